// Custom search attributes: PII-free, registered wherever a server is started (scripts/temporal.ts).
import { defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';

export const SA = {
  kind: defineSearchAttributeKey('TuanwuKind', 'KEYWORD'),
  /** The organization that must act. */
  org: defineSearchAttributeKey('TuanwuOrg', 'KEYWORD'),
  /** That organization and all its ancestors, so "below me" is one visibility query. */
  orgPath: defineSearchAttributeKey('TuanwuOrgPath', 'KEYWORD_LIST'),
  status: defineSearchAttributeKey('TuanwuStatus', 'KEYWORD'),
  deadline: defineSearchAttributeKey('TuanwuDeadline', 'DATETIME'),
  overdue: defineSearchAttributeKey('TuanwuOverdue', 'BOOL'),
} as const;

/** Name and CLI type of each, as `temporal server start-dev --search-attribute` takes them. */
export const SEARCH_ATTRIBUTE_DEFINITIONS: { name: string; type: 'Keyword' | 'KeywordList' | 'Datetime' | 'Bool' }[] = [
  { name: SA.kind.name, type: 'Keyword' },
  { name: SA.org.name, type: 'Keyword' },
  { name: SA.orgPath.name, type: 'KeywordList' },
  { name: SA.status.name, type: 'Keyword' },
  { name: SA.deadline.name, type: 'Datetime' },
  { name: SA.overdue.name, type: 'Bool' },
];

/**
 * The search attributes a process starts with (its kind, the organization that acts first and its ancestors,
 * pending, the first deadline): written once, for the API's starts and a workflow's child starts alike.
 */
export function startAttributes(kind: string, org: { id: string; path: string }, deadline: Date): SearchAttributePair[] {
  return [
    { key: SA.kind, value: kind },
    { key: SA.org, value: org.id },
    { key: SA.orgPath, value: org.path.split('/').filter((s) => s !== '') },
    { key: SA.status, value: 'pending' },
    { key: SA.deadline, value: deadline },
    { key: SA.overdue, value: false },
  ];
}
