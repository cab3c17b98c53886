// Authorization: one table of who may do what, by role and by the relation of the actor's
// organization to the organization concerned. Every route and every process asks `authorize`.
import { z } from 'zod';
import { DomainError } from './errors';

export const Role = z.enum(['member', 'branch_secretary', 'committee_admin', 'province_admin']);
export type Role = z.infer<typeof Role>;

/** The caller, as the API resolved it from the bearer token. `system` is the bootstrap token. */
export interface Principal {
  actorId: string;
  role: Role | 'system';
  orgId: string | null;
  orgPath: string | null;
  memberId: string | null;
}

/** How the actor's organization relates to the organization concerned. */
export type Relation = 'own' | 'ancestor' | 'descendant' | 'unrelated';

export function relationOf(actorPath: string | null, targetPath: string): Relation {
  if (!actorPath) return 'unrelated';
  if (actorPath === targetPath) return 'own';
  if (targetPath.startsWith(actorPath)) return 'ancestor';
  if (actorPath.startsWith(targetPath)) return 'descendant';
  return 'unrelated';
}

export type Action =
  | 'org.import'
  | 'org.read'
  | 'org.update-contact'
  | 'org.update'
  | 'actor.create'
  | 'actor.link-member'
  | 'check-in.submit'
  | 'check-in.approve'
  | 'check-in.return'
  | 'check-in.withdraw'
  | 'deadline.extend'
  | 'process.read'
  | 'member.read'
  | 'member.update'
  | 'ops.read'
  | 'transfer.start-from'
  | 'transfer.start-to'
  | 'transfer.approve'
  | 'transfer.reject'
  | 'transfer.place'
  | 'transfer.withdraw'
  | 'transfer.import'
  | 'stats.read'
  | 'graduates.base-correct'
  | 'deletion.apply'
  | 'deletion.decide'
  | 'deletion.bulk-return'
  | 'dues.record'
  | 'dues.read'
  | 'discipline.start'
  | 'discipline.decide'
  | 'member-change.request'
  | 'member-change.decide'
  | 'join-date.window'
  | 'join-date.request'
  | 'join-date.file'
  | 'join-date.decide'
  | 'cadre.write'
  | 'cadre.read'
  | 'numbers.issue'
  | 'numbers.read'
  | 'numbers.void'
  | 'age-out.exception'
  | 'form.upload'
  | 'form.read'
  | 'health.read'
  | 'campaign.open'
  | 'campaign.read'
  | 'campaign.record'
  | 'campaign.review'
  | 'campaign.cadres'
  | 'award.record'
  | 'award.read'
  | 'award.revoke';

/**
 * A grant's relation: one of `Relation`, or `parent`: the actor's organization is the target's direct parent
 * (an ancestor exactly one level up; R20's "direct superior"), which `ancestor` alone does not say.
 */
type GrantRelation = Relation | 'parent';

/** The target sits directly below the actor's organization: one path segment more. */
export function isParentOf(actorPath: string | null, targetPath: string): boolean {
  if (!actorPath || actorPath === targetPath || !targetPath.startsWith(actorPath)) return false;
  const rest = targetPath.slice(actorPath.length);
  return rest.indexOf('/') === rest.length - 1;
}

/** A grant: the role, and either the relations it holds for, or `self` (the member acting on their own record). */
type Grant = { role: Role | 'system'; relations?: GrantRelation[]; self?: true };

const SUPERVISORS: Grant[] = [
  { role: 'committee_admin', relations: ['own', 'ancestor'] },
  { role: 'province_admin', relations: ['own', 'ancestor'] },
];

export const POLICY: Record<Action, Grant[]> = {
  'org.import': [{ role: 'system' }, { role: 'province_admin', relations: ['own', 'ancestor'] }],
  'org.read': [{ role: 'branch_secretary', relations: ['own'] }, ...SUPERVISORS],
  // R20: "who creates it is responsible for it; the direct superior edits its subordinates' data". The
  // organization itself enters its contact data (R13 tells it and its parent that a phone is missing); its
  // direct superior (the parent exactly, not any ancestor) edits all its data but its place in the tree. The
  // province creates the tree (org.import) and may already change any node's data by re-importing it: it edits
  // through the same path, one organization at a time, rather than being pushed to a bulk import.
  'org.update-contact': [
    { role: 'system' },
    { role: 'branch_secretary', relations: ['own'] },
    { role: 'committee_admin', relations: ['own', 'parent'] },
    { role: 'province_admin', relations: ['own', 'ancestor'] },
  ],
  'org.update': [{ role: 'system' }, { role: 'committee_admin', relations: ['parent'] }, { role: 'province_admin', relations: ['own', 'ancestor'] }],
  'actor.create': [{ role: 'system' }, ...SUPERVISORS],
  // Issue 20 (R1): a member account is linked to an existing member record only by that member's branch: its
  // secretary or a committee above it (the target is the member's branch), or by the member's own first check-in.
  'actor.link-member': [{ role: 'system' }, { role: 'branch_secretary', relations: ['own'] }, ...SUPERVISORS],
  // R1: the member checks in; a secretary may enter it on the member's behalf, into their own branch.
  'check-in.submit': [
    { role: 'member', self: true },
    { role: 'branch_secretary', relations: ['own'] },
  ],
  // R1/R2: the branch decides.
  'check-in.approve': [{ role: 'branch_secretary', relations: ['own'] }],
  'check-in.return': [{ role: 'branch_secretary', relations: ['own'] }],
  // R2: only the member withdraws.
  'check-in.withdraw': [{ role: 'member', self: true }],
  // R3: an admin of any committee above the acting organization may extend its deadline.
  'deadline.extend': [
    { role: 'committee_admin', relations: ['ancestor'] },
    { role: 'province_admin', relations: ['ancestor'] },
  ],
  'process.read': [{ role: 'member', self: true }, { role: 'branch_secretary', relations: ['own'] }, ...SUPERVISORS],
  'member.read': [{ role: 'member', self: true }, { role: 'branch_secretary', relations: ['own'] }, ...SUPERVISORS],
  // R5/R6: the member edits their own data; the secretary corrects it for their branch.
  'member.update': [
    { role: 'member', self: true },
    { role: 'branch_secretary', relations: ['own'] },
  ],
  'ops.read': [{ role: 'system' }, { role: 'province_admin' }],
  // R9: the member, the sending organization or the receiving organization starts a transfer: the receiving
  // branch's own secretary (who then approves the arrival), or an admin of the receiving committee or above it.
  'transfer.start-from': [
    { role: 'member', self: true },
    { role: 'branch_secretary', relations: ['own'] },
  ],
  'transfer.start-to': [
    { role: 'branch_secretary', relations: ['own'] },
    { role: 'committee_admin', relations: ['own', 'ancestor'] },
    { role: 'province_admin', relations: ['own', 'ancestor'] },
  ],
  // R9: the organization at the step decides: the sending branch, then the receiving branch or committee.
  'transfer.approve': [
    { role: 'branch_secretary', relations: ['own'] },
    { role: 'committee_admin', relations: ['own'] },
    { role: 'province_admin', relations: ['own'] },
  ],
  'transfer.reject': [
    { role: 'branch_secretary', relations: ['own'] },
    { role: 'committee_admin', relations: ['own'] },
    { role: 'province_admin', relations: ['own'] },
  ],
  // R9: a receiving committee or general branch places the member into one of its branches.
  'transfer.place': [
    { role: 'committee_admin', relations: ['own'] },
    { role: 'province_admin', relations: ['own'] },
  ],
  'transfer.withdraw': [{ role: 'member', self: true }],
  // R12: a school (or any committee above the graduates' branches) files the graduates' roster.
  'transfer.import': SUPERVISORS,
  'stats.read': SUPERVISORS,
  // R12: a cohort's base is corrected by a committee above the school (the target), not by the school whose rate it measures.
  'graduates.base-correct': [
    { role: 'committee_admin', relations: ['ancestor'] },
    { role: 'province_admin', relations: ['ancestor'] },
  ],
  // R14: a branch applies; the city-level committee verifies; only the province approves (the workflow checks the role per step).
  'deletion.apply': [{ role: 'branch_secretary', relations: ['own'] }],
  'deletion.decide': [
    { role: 'branch_secretary', relations: ['own'] },
    { role: 'committee_admin', relations: ['own'] },
    { role: 'province_admin', relations: ['own'] },
  ],
  // R15: the province returns pending applications in bulk.
  'deletion.bulk-return': [{ role: 'province_admin', relations: ['own'] }],
  'dues.record': [{ role: 'branch_secretary', relations: ['own'] }, ...SUPERVISORS],
  'dues.read': [{ role: 'branch_secretary', relations: ['own'] }, ...SUPERVISORS],
  // R18: the branch opens a case (the daily dues check opens removal cases by itself, not through the API).
  'discipline.start': [{ role: 'branch_secretary', relations: ['own'] }],
  'discipline.decide': [
    { role: 'branch_secretary', relations: ['own'] },
    { role: 'committee_admin', relations: ['own'] },
    { role: 'province_admin', relations: ['own'] },
  ],
  // R5: the member asks for a change of political status, economic income or cadre flag; their branch reviews it.
  'member-change.request': [{ role: 'member', self: true }],
  'member-change.decide': [{ role: 'branch_secretary', relations: ['own'] }],
  // R7: the province opens and closes the join-date correction window.
  'join-date.window': [{ role: 'province_admin', relations: ['own'] }],
  // R7: inside the window the member asks, and the branch reviews.
  'join-date.request': [{ role: 'member', self: true }],
  // R7: outside it, only a city-level committee above the member files a formal request (the API checks the level).
  'join-date.file': [{ role: 'committee_admin', relations: ['own', 'ancestor'] }],
  // R7: the branch decides a request made in the window; only the province decides a formal one (the workflow checks the role per step).
  'join-date.decide': [
    { role: 'branch_secretary', relations: ['own'] },
    { role: 'province_admin', relations: ['own'] },
  ],
  // R8: an organization enters its own cadres (a branch its secretary, through its secretary's account); its
  // direct superior may enter them for it, as for its other data (R20).
  'cadre.write': [
    { role: 'branch_secretary', relations: ['own'] },
    { role: 'committee_admin', relations: ['own', 'parent'] },
    { role: 'province_admin', relations: ['own', 'ancestor'] },
  ],
  'cadre.read': [{ role: 'branch_secretary', relations: ['own'] }, ...SUPERVISORS],
  // R19: a committee above the school or unit issues its numbers; the organization itself and every level above read them.
  'numbers.issue': [
    { role: 'committee_admin', relations: ['ancestor'] },
    { role: 'province_admin', relations: ['own', 'ancestor'] },
  ],
  'numbers.read': [{ role: 'branch_secretary', relations: ['own'] }, ...SUPERVISORS],
  // R19: a number that will not be used is voided by the organization it was issued to or a committee above it.
  'numbers.void': [{ role: 'branch_secretary', relations: ['own'] }, ...SUPERVISORS],
  // R19 age-out: the branch records an exception before the date.
  'age-out.exception': [{ role: 'branch_secretary', relations: ['own'] }],
  // R24: the branch uploads the application form; it and every level above read the list of missing ones.
  'form.upload': [{ role: 'branch_secretary', relations: ['own'] }],
  'form.read': [{ role: 'member', self: true }, { role: 'branch_secretary', relations: ['own'] }, ...SUPERVISORS],
  // R21: health of an organization and its subtree, for it and every level above.
  'health.read': [{ role: 'branch_secretary', relations: ['own'] }, ...SUPERVISORS],
  // R22: the province opens, extends (for one city) and closes its campaign; the API checks it is the root.
  'campaign.open': [{ role: 'province_admin', relations: ['own'] }],
  // R22: progress of an organization's subtree, for it and every level above; a branch reads its own task.
  'campaign.read': [{ role: 'branch_secretary', relations: ['own'] }, ...SUPERVISORS],
  // R22: the branch records grades and registrations and hands in its steps.
  'campaign.record': [{ role: 'branch_secretary', relations: ['own'] }],
  // R22: the committee above the branch (its nearest; the task names it) confirms or returns the evaluation.
  'campaign.review': [
    { role: 'committee_admin', relations: ['own'] },
    { role: 'province_admin', relations: ['own'] },
  ],
  // R22 (团干部注册): each organization registers its own cadres.
  'campaign.cadres': [
    { role: 'branch_secretary', relations: ['own'] },
    { role: 'committee_admin', relations: ['own'] },
    { role: 'province_admin', relations: ['own'] },
  ],
  // R23: the member's branch or any committee above it records a reward or a punishment; the organization that
  // recorded one, or any above it, revokes a punishment (the target is the entry's organization).
  'award.record': [{ role: 'branch_secretary', relations: ['own'] }, ...SUPERVISORS],
  'award.read': [{ role: 'member', self: true }, { role: 'branch_secretary', relations: ['own'] }, ...SUPERVISORS],
  'award.revoke': [{ role: 'branch_secretary', relations: ['own'] }, ...SUPERVISORS],
};

export interface Target {
  orgPath: string;
  memberId?: string | null;
}

export function isAllowed(p: Principal, action: Action, target: Target): boolean {
  const relation = relationOf(p.orgPath, target.orgPath);
  return POLICY[action].some((g) => {
    if (g.role !== p.role) return false;
    if (g.self) return !!p.memberId && !!target.memberId && p.memberId === target.memberId;
    return g.relations === undefined || g.relations.some((r) => (r === 'parent' ? isParentOf(p.orgPath, target.orgPath) : r === relation));
  });
}

/** Throws 403 unless the principal may do the action on the target. */
export function authorize(p: Principal, action: Action, target: Target): void {
  if (!isAllowed(p, action, target)) {
    throw DomainError.forbidden(`${p.role} may not ${action} here: outside your organization or role`);
  }
}

/** What a new account is bound to: the organization it sits in, and the member record it acts for (null: none). */
export interface Binding {
  role: Role;
  orgPath: string | null;
  memberId: string | null;
  /** The member's branch, when the record has one. */
  memberBranchPath: string | null;
}

/**
 * Issue 20: every grant that binds an account checks the caller's subtree against both ends: the organization
 * the account sits in, and the member's branch (R1: an account is linked to an existing record only by that
 * member's branch, its secretary or a committee above it). The bootstrap token binds anything.
 */
export function authorizeBinding(p: Principal, b: Binding): void {
  if (p.role === 'system') return;
  if (b.orgPath === null && b.memberId === null) throw DomainError.forbidden('only the bootstrap admin creates actors outside an organization');
  if (b.orgPath !== null) authorize(p, b.memberId !== null ? 'actor.link-member' : 'actor.create', { orgPath: b.orgPath });
  if (b.memberId !== null) {
    // R1: no branch, no one below the province to vouch for the record: only the bootstrap admin links it.
    if (b.memberBranchPath === null || !isAllowed(p, 'actor.link-member', { orgPath: b.memberBranchPath })) {
      throw new DomainError({
        kind: 'forbidden',
        rule: 'R1',
        message: "an account is linked to a member record only by that member's branch or a committee above it",
        fields: [{ field: 'body.memberId', message: 'outside your organization', rule: 'R1' }],
      });
    }
  }
  if (b.role === 'province_admin' && p.role !== 'province_admin') throw DomainError.forbidden('only a province admin creates province admins');
}

/** The member record a check-in found (the one asked for, or the one holding the ID number). */
export interface CheckInRecord {
  id: string;
  branchId: string | null;
  /** A member account is linked to it. */
  linked: boolean;
}

/**
 * Issue 20 (R1, R2): whether this check-in may go on for the record found. A member token checks in only for its
 * own record, or, not linked yet, only where no record holds the ID number (a first check-in links it); anyone
 * else's check-in does not rewrite the profile (`rewrites`: the fields it would change) of a record a member
 * account holds or another branch entered: the member corrects their own data (R2), the branch then reviews it.
 */
export function checkInRecordRefusal(p: Principal, branchId: string, record: CheckInRecord | undefined, rewrites: readonly string[]): DomainError | undefined {
  if (!record) return undefined;
  if (p.role === 'member') {
    if (p.memberId === record.id) return undefined;
    const message = p.memberId
      ? 'a member checks in only for themselves: this ID number belongs to another member record'
      : "a member record with this ID number exists: an account is linked to it only by the member's branch (R1), not by a check-in";
    return new DomainError({
      kind: 'forbidden',
      rule: 'R1',
      message,
      fields: [{ field: 'body.profile.idNumber', message: 'another member record', rule: 'R1' }],
    });
  }
  if (rewrites.length === 0 || (!record.linked && record.branchId === branchId)) return undefined;
  return new DomainError({
    kind: 'forbidden',
    rule: 'R2',
    message: "a check-in does not rewrite another's record before its branch approves: the member corrects their own data (R2)",
    fields: rewrites.map((f) => ({ field: `body.profile.${f}`, message: 'differs from the member record', rule: 'R2' })),
  });
}
