// A changed field as the console writes it: "政治面貌：共青团员 → 中共预备党员" (R5, R6; R7's join date).
import { i18n } from './i18n';
import type { FieldChange } from './api/members';

/** A field's value as text: yes/no for a flag, `empty` (「（空）」 by default) for none. */
export function valueText(v: unknown, empty?: string): string {
  const { t } = i18n.global;
  if (v === null || v === undefined || v === '') return empty ?? t('member.timeline.empty');
  if (typeof v === 'boolean') return v ? t('organization.yes') : t('organization.no');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function changeText(c: FieldChange): string {
  const { t, te } = i18n.global;
  const field = te(`member.${c.field}`) ? t(`member.${c.field}`) : c.field;
  return t('member.timeline.change', { field, from: valueText(c.from), to: valueText(c.to) });
}

/** The changes an event's payload carries: `changes: [{ field, from, to }]`, or R7's `{ from, to }` join dates. */
export function payloadChanges(payload: Record<string, unknown>): FieldChange[] {
  if (Array.isArray(payload.changes)) return payload.changes as FieldChange[];
  if (typeof payload.from === 'string' && typeof payload.to === 'string') return [{ field: 'joinDate', from: payload.from, to: payload.to }];
  return [];
}
