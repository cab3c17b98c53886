// The member record's status and what a check-in does to it (R1, R2, R4, R9, R10, R14, R16, R18): one table,
// read by the API (POST /api/check-ins refuses here, before anything starts) and by the check-in activities
// (the submission and the approval), so the refusal and the effect cannot drift apart.
//
// Where statuses are set: activities/check-in.ts (pending, returned, withdrawn, active), activities/transfer.ts
// (active, transferred_out), activities/deletion.ts (deleted), workflows/discipline.ts SANCTION_STATUS and
// its probation review via activities/processes.ts (active, probation, expelled, removed).
import type { DeletionCategory } from './deletions';
import type { ProblemKind } from './errors';

export const MEMBER_STATUSES = [
  'pending',
  'returned',
  'withdrawn',
  'active',
  'transferred_out',
  'deleted',
  'probation',
  'expelled',
  'removed',
  'aged_out',
] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

export interface CheckInRefusal {
  kind: Extract<ProblemKind, 'conflict' | 'rule'>;
  rule: string;
  message: string;
}

/**
 * How a new check-in treats the record, when one may start:
 * - `first`: no membership was ever approved. The submission writes the profile and sets `pending`; a return
 *   or a withdrawal sets `returned` / `withdrawn` (R2); the approval makes the member active in the branch
 *   and locks the four fields (R4).
 * - `again`: a former member (the four fields are locked since the first approval, R4). The submission keeps
 *   the record as it is (status, branch, the four fields; other data is updated, R6), so a return or a
 *   withdrawal leaves it as it was; the approval makes the member active in the new branch, a new membership:
 *   the four fields keep their values, the earlier branch stays in the history (events of both processes).
 */
export type CheckInMode = 'first' | 'again';

/** What approving the open check-in does to a record in this status (the status seen at the approval). */
export type ApprovalEffect = 'first-membership' | 'new-membership' | 'none';

export interface StatusRow {
  /** A new check-in: the mode it runs in, or why it is refused. */
  checkIn: CheckInMode | CheckInRefusal;
  approval: ApprovalEffect;
}

const refuse = (kind: CheckInRefusal['kind'], rule: string, message: string): CheckInRefusal => ({ kind, rule, message });

/** Before any record exists: a first check-in (R1). */
export const NO_RECORD: StatusRow = { checkIn: 'first', approval: 'first-membership' };

export const MEMBER_STATUS_TABLE: Record<MemberStatus, StatusRow> = {
  // R2: at most one open check-in per member; its own approval is the first membership.
  pending: { checkIn: refuse('conflict', 'R2', 'a check-in is already open for this member'), approval: 'first-membership' },
  // R2: the member corrects the data (a wrongly chosen branch too) and checks in again.
  returned: { checkIn: 'first', approval: 'first-membership' },
  withdrawn: { checkIn: 'first', approval: 'first-membership' },
  // R9: an active member changes branch by a transfer; R16: one approved in the wrong branch is deleted first.
  active: {
    checkIn: refuse(
      'conflict',
      'R9',
      'already an active member: use a transfer to change branch (R9); a check-in approved in the wrong branch is undone by a deletion first (R16)',
    ),
    approval: 'none',
  },
  // R10: left for another province; coming back, the member checks in with the receiving branch here (directly,
  // or as the check-in of the inbound transfer). A transfer still open holds the check-in's workflow ID (R2).
  transferred_out: { checkIn: 'again', approval: 'new-membership' },
  // R16: a check-in approved in the wrong branch is undone by a deletion; the member then checks in to the
  // right branch. Refused below for deletions that are final (deceased, duplicate) and a probation that stands.
  deleted: { checkIn: 'again', approval: 'new-membership' },
  // R18: a sanction stands: a check-in elsewhere would shed the probation; the branch ends it (restored or expelled).
  probation: { checkIn: refuse('rule', 'R18', 'the member is on probation (留团察看): a sanction stands, no new check-in until it ends'), approval: 'none' },
  // R18: expelled (开除团籍): membership ended by a sanction; it is not regained by a check-in.
  expelled: { checkIn: refuse('rule', 'R18', 'the member was expelled (开除团籍): an expelled member cannot rejoin by a check-in'), approval: 'none' },
  // R18: removed from the roll (除名) by the branch meeting, approved above: membership ended; coming back is a
  // new admission (with a new development number, R19), not a check-in of the old record.
  removed: {
    checkIn: refuse('rule', 'R18', 'the member was removed from the roll (除名): membership ended, it is not regained by a check-in'),
    approval: 'none',
  },
  // R19: left the league by age at 28 (超龄离团, League Constitution): membership ended, no check-in brings it back.
  aged_out: { checkIn: refuse('rule', 'R19', 'the member left the league by age (超龄离团): membership ended at 28'), approval: 'none' },
};

/** R14: deletions after which the record must never become a member again. */
const FINAL_DELETIONS: readonly DeletionCategory[] = ['deceased', 'duplicate'];

export interface CheckInContext {
  /** The category of the approved deletion, for a deleted record. */
  deletedAs?: string | null;
  /** The sanction in force (members.sanction). */
  sanction?: string | null;
  /** R22: deleted after a refusal of registration (不予注册) the deciding committee has not consented to lift. */
  refusedRegistration?: { rule: string; message: string } | null;
}

export function statusRow(status: string | null | undefined): StatusRow {
  if (status === null || status === undefined) return NO_RECORD;
  const row = (MEMBER_STATUS_TABLE as Record<string, StatusRow | undefined>)[status];
  if (!row) throw new Error(`unknown member status ${status}`);
  return row;
}

/** A new check-in for a record in `status` (none: no record): the mode it runs in, or the refusal. */
export function checkInAdmission(status: string | null | undefined, ctx: CheckInContext = {}): CheckInMode | CheckInRefusal {
  const row = statusRow(status);
  if (typeof row.checkIn !== 'string') return row.checkIn;
  if (status === 'deleted') {
    if (ctx.deletedAs && (FINAL_DELETIONS as readonly string[]).includes(ctx.deletedAs)) {
      return refuse('rule', 'R14', `the member was deleted as ${ctx.deletedAs}: that deletion is final, no new check-in`);
    }
    if (ctx.sanction === 'probation') return MEMBER_STATUS_TABLE.probation.checkIn as CheckInRefusal;
    if (ctx.refusedRegistration) return refuse('rule', ctx.refusedRegistration.rule, ctx.refusedRegistration.message);
  }
  return row.checkIn;
}

export function isRefusal(a: CheckInMode | CheckInRefusal): a is CheckInRefusal {
  return typeof a !== 'string';
}

/** The statuses whose records the approval changes, by effect (for a guarded UPDATE). */
export function statusesWithApproval(effect: Exclude<ApprovalEffect, 'none'>): MemberStatus[] {
  return MEMBER_STATUSES.filter((s) => MEMBER_STATUS_TABLE[s].approval === effect);
}
