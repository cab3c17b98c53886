// Member data after check-in: reviewed changes (R5), direct edits (R6) and join-date corrections (R7).
// The shapes the API takes and the workflows run with; the workflows import only its types.
import { z } from 'zod';
import type { StepTiming } from './durations';
import type { OrgRef } from './orgs';
import { freeText, singleLine } from './text';
import { REVIEWED_FIELDS } from './members';
import { officeDay } from './office-day';

export { REVIEWED_FIELDS };
export type ReviewedField = (typeof REVIEWED_FIELDS)[number];

/** R5: a member of the Communist Party (probationary or full) stays a league member until age-out (保留团籍). */
export const PARTY_STATUSES: readonly string[] = ['中共预备党员', '中共党员'];

/** Members whose check-in was approved and who are still members: their data changes after approval (R5-R7). */
export const MEMBER_DATA_STATUSES: readonly string[] = ['active', 'probation'];

/** Body of POST /api/members/{id}/changes (R5): at least one field, each different from the value in force. */
export const MemberChangeRequest = z
  .object({
    politicalStatus: singleLine(30).optional(),
    economicIncome: singleLine(30).optional(),
    isCadre: z.boolean().optional(),
  })
  .strict()
  .refine((b) => REVIEWED_FIELDS.some((f) => b[f] !== undefined), {
    message: `R5: name at least one of ${REVIEWED_FIELDS.join(', ')}`,
  });
export type MemberChangeRequest = z.infer<typeof MemberChangeRequest>;

/** Body of POST /api/members/{id}/join-date (R7); a city-level committee's formal request needs the reason. */
export const JoinDateRequest = z.object({ joinDate: z.iso.date(), reason: freeText(500).optional() }).strict();
export type JoinDateRequest = z.infer<typeof JoinDateRequest>;

/** A window's day: a calendar date of this era (PostgreSQL has no year 0). */
const WindowDay = z.iso.date().refine((d) => d >= '1900-01-01' && d <= '2999-12-31', 'a date between 1900 and 2999');

/** Body of PUT /api/join-date-window (R7): the dates the window is open, both included. */
export const JoinDateWindowBody = z.object({ opensOn: WindowDay, closesOn: WindowDay }).strict();

/** One changed field, in an event's payload and the member's history: the value before and after. */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** The fields of `next` whose value differs from `current`, as changes (in the order of `next`). */
export function fieldChanges(current: Record<string, unknown>, next: Record<string, unknown>): FieldChange[] {
  return Object.entries(next)
    .filter(([f, to]) => to !== undefined && current[f] !== to)
    .map(([field, to]) => ({ field, from: current[field] ?? null, to }));
}

/** Workflow input of a reviewed change (R5): the new values and those in force when it was asked. */
export interface MemberChangeInput {
  processId: string;
  memberId: string;
  branch: OrgRef;
  requestedBy: string;
  fields: Partial<Record<ReviewedField, string | boolean>>;
  previous: Partial<Record<ReviewedField, string | boolean | null>>;
  timing: StepTiming;
}

/** R7: the member inside the province's window (the branch reviews), or a city-level committee's formal request (the province decides). */
export type JoinDateRoute = 'window' | 'formal';
export type JoinDateStep = 'branch-review' | 'province-review';

/** Workflow input of a join-date correction (R7). */
export interface JoinDateInput {
  processId: string;
  memberId: string;
  route: JoinDateRoute;
  branch: OrgRef;
  province: OrgRef;
  requestedBy: string;
  joinDate: string;
  previous: string;
  reason?: string;
  timing: { branchReview: StepTiming; provinceReview: StepTiming };
}

/** R7: whether the window is open on `today` (both dates included). */
export function windowOpen(w: { opens_on: string; closes_on: string }, today: string = officeDay()): boolean {
  return w.opens_on <= today && today <= w.closes_on;
}

/** R24: members who joined from this date on need their application form uploaded. */
export const APPLICATION_FORMS_FROM = '2020-01-01';

/** R24: whether a member who joined on `joinDate` needs the form. */
export function applicationFormRequired(joinDate: string): boolean {
  return joinDate >= APPLICATION_FORMS_FROM;
}

/** The event types of a member's history, by prefix, and the kinds of process their deadline events belong to. */
const CATEGORY_BY_PREFIX: [string, string][] = [
  ['check-in.', 'check-in'],
  ['member-change.', 'change'],
  ['member.updated', 'change'],
  ['join-date.', 'join-date'],
  ['transfer.', 'transfer'],
  ['deletion.', 'deletion'],
  ['discipline.', 'sanction'],
  ['sanction.', 'sanction'],
  ['reward.', 'reward'],
  ['cadre.', 'cadre'],
  ['numbers.', 'numbers'],
  ['number.', 'numbers'],
  ['application-form.', 'form'],
  ['member.aged-out', 'age-out'],
  ['age-out.', 'age-out'],
];
const CATEGORY_BY_KIND: Record<string, string> = {
  'check-in': 'check-in',
  'member-change': 'change',
  'join-date': 'join-date',
  transfer: 'transfer',
  deletion: 'deletion',
  discipline: 'sanction',
};
export const HISTORY_CATEGORIES = [
  'check-in',
  'change',
  'join-date',
  'transfer',
  'deletion',
  'sanction',
  'reward',
  'cadre',
  'numbers',
  'form',
  'age-out',
  'other',
] as const;
export type HistoryCategory = (typeof HISTORY_CATEGORIES)[number];

/** The category of an event in the member's history: by its type, else by its process's kind (a deadline's events). */
export function historyCategory(type: string, processKind: string | null): HistoryCategory {
  const byType = CATEGORY_BY_PREFIX.find(([prefix]) => type.startsWith(prefix))?.[1];
  return (byType ?? (processKind ? CATEGORY_BY_KIND[processKind] : undefined) ?? 'other') as HistoryCategory;
}
