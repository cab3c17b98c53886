// R25: one member, one truth. The only table of what a process may do to a member's status and branch: for each
// effect, the statuses it may start from, the status it leads to, and what happens when the member is no longer in
// one of those statuses (another process changed it meanwhile). db/member-state.ts applies it, under a row lock on
// the member, as a compare-and-set in the event's transaction; nothing else writes members.status or branch_id
// (test/member-transitions.test.ts greps for it).
import type { MemberStatus } from './member-status';
import type { ProcessKind } from './processes';

export type MemberEffect =
  /** R1/R2: a first check-in's record shows the review's state (a former member's record stays as it was). */
  | 'check-in.return'
  | 'check-in.withdraw'
  /** R1/R4/R10/R16: approval: a first membership (locks the four fields), or a former member's new one. */
  | 'check-in.approve'
  /** R9: a transfer completes into a branch here (internal, or a committee's placement of an inbound member). */
  | 'transfer.in'
  /** R10: released to another province. */
  | 'transfer.out'
  /** R14: the province approved the deletion. */
  | 'delete'
  /** R18: a sanction that keeps the member's status (warning, serious warning, removal from posts). */
  | 'sanction.mark'
  | 'sanction.probation'
  | 'sanction.expel'
  | 'sanction.remove'
  /** R18: the review at the end of probation. */
  | 'probation.restore'
  | 'probation.expel'
  /** R19: 28 reached (超龄离团). */
  | 'age-out'
  /** R23: revoking a punishment undoes what its sanction did to the member. */
  | 'revoke'
  /** R5/R7: an approved change of the member's data; the member must still be a member. */
  | 'data.change'
  /** R22: registering the member in the year's campaign. */
  | 'campaign.register';

/** What an effect that is no longer legal does: `void` ends the process saying so; `refuse` answers 409 R25 before anything is decided. */
export type WhenIllegal = 'void' | 'refuse';

export interface Transition {
  /** The statuses the effect may start from. */
  from: readonly MemberStatus[];
  /** The status it leads to; `same`: the status is kept (the effect changes other data, or only checks). */
  to: MemberStatus | 'same';
  /**
   * At a human decision (the API reads the member first): refuse with 409 R25 naming the other process. A decision
   * that slips past the check (a race), and every effect of a timer or a sweep, ends the process `void` instead.
   */
  atDecision: WhenIllegal;
  /** An illegal effect that is not a defect of anybody's: the record stays, the process ends as it was, nothing voided. */
  quiet?: boolean;
}

const MEMBERS: readonly MemberStatus[] = ['active', 'probation'];

export const MEMBER_TRANSITIONS: Record<MemberEffect, Transition> = {
  // R2: only a first check-in's record (pending) shows a return or a withdrawal; a former member's stays as it was.
  'check-in.return': { from: ['pending'], to: 'returned', atDecision: 'void', quiet: true },
  'check-in.withdraw': { from: ['pending'], to: 'withdrawn', atDecision: 'void', quiet: true },
  // R1: a first check-in (pending); R10/R16: a former member who left for another province or was deleted (not finally).
  'check-in.approve': { from: ['pending', 'transferred_out', 'deleted'], to: 'active', atDecision: 'refuse' },
  // R9: only an active member is transferred; a member on probation stays where the sanction was given (R18).
  'transfer.in': { from: ['active'], to: 'active', atDecision: 'refuse' },
  'transfer.out': { from: ['active'], to: 'transferred_out', atDecision: 'refuse' },
  // R14: an active member, or one on probation.
  delete: { from: MEMBERS, to: 'deleted', atDecision: 'refuse' },
  'sanction.mark': { from: MEMBERS, to: 'same', atDecision: 'refuse' },
  'sanction.probation': { from: ['active'], to: 'probation', atDecision: 'refuse' },
  'sanction.expel': { from: MEMBERS, to: 'expelled', atDecision: 'refuse' },
  'sanction.remove': { from: MEMBERS, to: 'removed', atDecision: 'refuse' },
  'probation.restore': { from: ['probation'], to: 'active', atDecision: 'refuse' },
  'probation.expel': { from: ['probation'], to: 'expelled', atDecision: 'refuse' },
  // A sweep: a member who left meanwhile is simply not aged out.
  'age-out': { from: MEMBERS, to: 'aged_out', atDecision: 'void', quiet: true },
  // R23: the status the sanction set comes back to active (db/member-state.ts checks it is still that sanction's).
  revoke: { from: ['probation', 'expelled', 'removed', 'active'], to: 'active', atDecision: 'refuse' },
  'data.change': { from: MEMBERS, to: 'same', atDecision: 'refuse' },
  'campaign.register': { from: MEMBERS, to: 'same', atDecision: 'refuse' },
};

/** The statuses of a member who left the league or this province: their other processes are closed (R25). */
export const LEFT_STATUSES: readonly MemberStatus[] = ['deleted', 'expelled', 'removed', 'aged_out', 'transferred_out'];

export function isLeft(status: string): boolean {
  return (LEFT_STATUSES as readonly string[]).includes(status);
}

export function isLegal(effect: MemberEffect, status: string): boolean {
  return (MEMBER_TRANSITIONS[effect].from as readonly string[]).includes(status);
}

/** The status an effect leads to from `status` (legal or not: the caller checked). */
export function statusAfter(effect: MemberEffect, status: MemberStatus): MemberStatus {
  const to = MEMBER_TRANSITIONS[effect].to;
  return to === 'same' ? status : to;
}

/** What a member's status is called where people read it (the refusal names it and the process that set it). */
export const STATUS_WORDS: Record<MemberStatus, string> = {
  pending: 'waiting for check-in review',
  returned: 'returned to the member',
  withdrawn: 'withdrawn',
  active: 'active',
  transferred_out: 'transferred out',
  deleted: 'deleted',
  probation: 'on probation',
  expelled: 'expelled',
  removed: 'removed from the roll',
  aged_out: 'aged out',
};

/**
 * R25: which processes may be open together for one member. A start that the table forbids answers 409 R25 naming
 * the open process. Symmetric; a kind is never open twice (its workflow ID, per member). `age-out` is the notice a
 * month before 28 (R19): it is no process of its own, and blocks nothing.
 *
 * - A check-in is open only while the record is not a member: nothing else runs on it, but the inbound transfer
 *   whose child it is (R10).
 * - A disciplinary case binds the member to the branch (R18): no transfer while it is open, either way round.
 * - A deletion may be filed whatever else is open (R14: deceased, duplicate…); its approval closes the rest.
 */
export type MemberProcessKind = Exclude<ProcessKind, 'campaign'>;

export const OPEN_TOGETHER: Record<MemberProcessKind, readonly MemberProcessKind[]> = {
  'check-in': ['transfer'],
  transfer: ['check-in', 'member-change', 'join-date', 'deletion'],
  deletion: ['transfer', 'member-change', 'join-date', 'discipline'],
  discipline: ['member-change', 'join-date', 'deletion'],
  'member-change': ['transfer', 'deletion', 'discipline', 'join-date'],
  'join-date': ['transfer', 'deletion', 'discipline', 'member-change'],
};

export function mayBeOpenTogether(a: string, b: string): boolean {
  const row = (OPEN_TOGETHER as Record<string, readonly string[] | undefined>)[a];
  return row === undefined || row.includes(b);
}

/** The process kind that produces an effect, for messages: "deleted meanwhile by the deletion …". */
export const EFFECT_RULES: Record<MemberEffect, string> = {
  'check-in.return': 'R2',
  'check-in.withdraw': 'R2',
  'check-in.approve': 'R1',
  'transfer.in': 'R9',
  'transfer.out': 'R10',
  delete: 'R14',
  'sanction.mark': 'R18',
  'sanction.probation': 'R18',
  'sanction.expel': 'R18',
  'sanction.remove': 'R18',
  'probation.restore': 'R18',
  'probation.expel': 'R18',
  'age-out': 'R19',
  revoke: 'R23',
  'data.change': 'R5',
  'campaign.register': 'R22',
};
