// R8: cadres (团干部). An organization enters its own cadres: a committee its committee members and staff, a
// general branch its committee members (its secretary among them), a branch only its secretary. A cadre is a
// person (name, ID number) with a post and a term; one who is also a member keeps their member record, the two
// linked by ID number only.
import { z } from 'zod';
import type { FieldProblem } from './errors';
import { IdNumber } from './members';
import type { OrgKind } from './orgs';
import { singleLine } from './text';

export const CadreRole = z.enum(['secretary', 'committee_member', 'staff']);
export type CadreRole = z.infer<typeof CadreRole>;

/** R8: the roles each kind of organization enters. */
export const CADRE_ROLES: Record<OrgKind, readonly CadreRole[]> = {
  committee: ['committee_member', 'staff'],
  general_branch: ['secretary', 'committee_member'],
  branch: ['secretary'],
};

const KIND_LABEL: Record<OrgKind, string> = { committee: 'a committee', general_branch: 'a general branch', branch: 'a branch' };

/** R8: why `kind` may not enter a cadre of `role` (a problem naming `body.role`), or undefined when it may. */
export function cadreRoleProblem(kind: OrgKind, role: CadreRole): FieldProblem | undefined {
  const allowed = CADRE_ROLES[kind];
  if (allowed.includes(role)) return undefined;
  return { field: 'body.role', rule: 'R8', message: `${KIND_LABEL[kind]} enters only ${allowed.join(' and ')} cadres, not ${role}` };
}

/** A day of a term: a real calendar date within reason (PostgreSQL refuses a year 0 that the ISO pattern lets through). */
const TermDate = z.iso.date().refine((d) => d >= '1900-01-01' && d <= '2099-12-31', 'a date from 1900-01-01 to 2099-12-31');

/** POST /organizations/{id}/cadres: one person, their post and term. */
export const CadreBody = z
  .strictObject({
    name: singleLine(50),
    idNumber: IdNumber,
    role: CadreRole,
    /** The post's title: 书记, 副书记, 委员, 专职团干 … */
    post: singleLine(30),
    termStart: TermDate,
    termEnd: TermDate.optional(),
  })
  .superRefine((b, ctx) => {
    if (b.termEnd !== undefined && b.termEnd < b.termStart)
      ctx.addIssue({ code: 'custom', path: ['termEnd'], message: 'the term cannot end before it starts' });
  });
export type CadreBody = z.infer<typeof CadreBody>;

/** POST /organizations/{id}/cadres/{cadreId}/end: the day the term ended (today when left out). */
export const EndCadreBody = z.strictObject({ endedOn: TermDate.optional() });

/**
 * The events' payload: what the cadre is, never who (no name, no ID number: the event log is read widely; the
 * person is the cadre row and, if a member, the event's member_id).
 */
export function cadreEventPayload(c: { id: string; role: CadreRole; post: string; termStart: string; termEnd: string | null }): Record<string, unknown> {
  return { cadreId: c.id, role: c.role, post: c.post, termStart: c.termStart, termEnd: c.termEnd };
}
