// R25: the one writer of a member's status and branch. Every effect a process has on a member comes here, in the
// event's transaction, under a row lock on the member, and is checked against the transition table
// (domain/member-transitions.ts) from the status the member has now; the UPDATE is a compare-and-set on it.
import { sql } from 'kysely';
import type { Db, Tx } from './index';
import type { MemberStatus } from '../domain/member-status';
import { endPostsOfMember } from './queries/cadres';
import { settleRegistrationsOfLeftMember } from './queries/campaigns';
import { EFFECT_RULES, MEMBER_TRANSITIONS, STATUS_WORDS, isLeft, isLegal, statusAfter, type MemberEffect } from '../domain/member-transitions';

export interface MemberTransitionInput {
  memberId: string;
  effect: MemberEffect;
  /** The process whose effect this is (null: a sweep, or a revocation by hand). */
  processId: string | null;
  /** check-in.approve, transfer.in: the branch the member is in from now on. */
  branchId?: string;
  /** sanction.*: the sanction in force from now on (R18, R23). */
  sanction?: string | null;
  /** revoke: the case whose sanction is revoked, and the sanction (R23). */
  revokes?: { processId: string | null; sanction: string };
  now: Date;
}

export type TransitionResult =
  | { ok: true; from: MemberStatus; to: MemberStatus; left: boolean }
  | {
      ok: false;
      /** The status the member has now (null: no such member). */
      status: MemberStatus | null;
      /** The process whose effect set that status, when one did. */
      byProcessId: string | null;
      byKind: string | null;
      message: string;
      rule: 'R25';
      /** Not a conflict of processes (R2's return of a former member's check-in): nothing to void. */
      quiet: boolean;
    };

interface Current {
  status: MemberStatus;
  locked_at: Date | null;
  sanction: string | null;
  status_process_id: string | null;
}

/** The member as the effect finds it, locked until the transaction ends. */
export async function lockMember(tx: Tx, memberId: string): Promise<Current | undefined> {
  return tx.selectFrom('members').select(['status', 'locked_at', 'sanction', 'status_process_id']).where('id', '=', memberId).forUpdate().executeTakeFirst();
}

/** Why an effect is no longer legal, in words a secretary reads, naming the process that changed the member. */
async function illegal(tx: Db | Tx, t: MemberTransitionInput, m: Current | undefined): Promise<TransitionResult & { ok: false }> {
  if (!m) return { ok: false, status: null, byProcessId: null, byKind: null, message: 'no such member', rule: 'R25', quiet: false };
  const by = m.status_process_id ? await tx.selectFrom('processes').select(['id', 'kind']).where('id', '=', m.status_process_id).executeTakeFirst() : undefined;
  const who = by ? ` by a ${by.kind} process (${EFFECT_RULES[t.effect]} cannot apply)` : '';
  return {
    ok: false,
    status: m.status,
    byProcessId: by?.id ?? null,
    byKind: by?.kind ?? null,
    message: `the member is ${STATUS_WORDS[m.status]}: changed meanwhile${who}`,
    rule: 'R25',
    quiet: MEMBER_TRANSITIONS[t.effect].quiet ?? false,
  };
}

/**
 * Applies one effect to the member, if the table allows it from the member's status now. Returns what it did, or
 * why it did nothing (the caller ends its process `void`, or refuses). Callers hold the event's transaction.
 */
export async function transitionMember(tx: Tx, t: MemberTransitionInput): Promise<TransitionResult> {
  const m = await lockMember(tx, t.memberId);
  if (!m || !isLegal(t.effect, m.status)) return illegal(tx, t, m);
  const set = columnsFor(t, m);
  if (set === undefined) return illegal(tx, t, m);
  const to = (set.status as MemberStatus | undefined) ?? m.status;
  const changesStatus = to !== m.status;
  const updated = await tx
    .updateTable('members')
    .set({
      ...set,
      ...(changesStatus ? { status_process_id: t.processId, status_changed_at: t.now } : {}),
      updated_at: t.now,
    })
    .where('id', '=', t.memberId)
    // The compare-and-set: the status the table was checked against.
    .where('status', '=', m.status)
    .returning('id')
    .executeTakeFirst();
  if (!updated) return illegal(tx, t, m);
  const left = changesStatus && isLeft(to);
  if (left) {
    const reason = `the member is ${STATUS_WORDS[to]} (R25)`;
    // R8: the member's posts end; R22: their open campaign registrations are settled.
    await endPostsOfMember(tx, t.memberId, t.now, reason);
    await settleRegistrationsOfLeftMember(tx, t.memberId, t.now, reason);
  } else if (t.effect === 'sanction.mark' && t.sanction === 'removal-from-posts') {
    // R18: 撤销团内职务 ends the member's posts.
    await endPostsOfMember(tx, t.memberId, t.now, 'removed from league posts (撤销团内职务, R18)');
  }
  return { ok: true, from: m.status, to, left };
}

type MemberColumns = {
  status?: MemberStatus;
  branch_id?: string;
  locked_at?: Date;
  deleted_at?: Date | null;
  sanction?: string | null;
};

/** The columns an effect writes, from the member as found; undefined: the effect does not apply to this record. */
function columnsFor(t: MemberTransitionInput, m: Current): MemberColumns | undefined {
  const to = statusAfter(t.effect, m.status);
  const status = to !== m.status ? { status: to } : {};
  switch (t.effect) {
    case 'check-in.approve':
      if (!t.branchId) throw new Error('check-in.approve needs the branch');
      // R4: a first membership locks name, ID number, join date and development number for good.
      if (m.status === 'pending') return m.locked_at === null ? { ...status, locked_at: t.now, branch_id: t.branchId } : undefined;
      // R10/R16: a former member's new membership; locked_at is the month the dues streak counts from (R18).
      return { ...status, branch_id: t.branchId, deleted_at: null, locked_at: t.now };
    case 'check-in.return':
    case 'check-in.withdraw':
      // R2: a former member's record (locked since the first approval) stays as it was.
      return m.locked_at === null ? status : undefined;
    case 'transfer.in':
      if (!t.branchId) throw new Error('transfer.in needs the branch');
      return { ...status, branch_id: t.branchId };
    case 'delete':
      return { ...status, deleted_at: t.now };
    case 'sanction.mark':
    case 'sanction.probation':
    case 'sanction.expel':
    case 'sanction.remove':
    case 'probation.expel':
      return { ...status, sanction: t.sanction ?? null };
    case 'probation.restore':
      return { ...status, sanction: null };
    case 'revoke': {
      const r = t.revokes;
      if (!r) throw new Error('revoke needs the sanction');
      // R23: a sanction that changed the status comes undone only while the status is still that sanction's.
      const setBy = m.status_process_id === r.processId;
      if (r.sanction === 'probation') return m.status === 'probation' && m.sanction === 'probation' ? { status: 'active', sanction: null } : undefined;
      if (r.sanction === 'expulsion') return m.status === 'expelled' && setBy ? { status: 'active', sanction: null } : undefined;
      if (r.sanction === 'removal-from-roll') return m.status === 'removed' && setBy ? { status: 'active', sanction: null } : undefined;
      // A sanction that kept the status: only the mark is lifted (posts are not given back: R8, a post is entered anew).
      return m.status === 'active' || m.status === 'probation' ? (m.sanction === r.sanction ? { sanction: null } : {}) : undefined;
    }
    case 'age-out':
    case 'transfer.out':
      return status;
    case 'data.change':
    case 'campaign.register':
      return {};
  }
}

/**
 * R25, read before a human decision: whether the effect is legal for the member now. The API refuses with 409 R25
 * naming the other process (`atDecision: refuse`); the event's transaction checks again under the lock.
 */
export async function effectProblem(q: Db | Tx, memberId: string, effect: MemberEffect): Promise<(TransitionResult & { ok: false }) | undefined> {
  const m = await q.selectFrom('members').select(['status', 'locked_at', 'sanction', 'status_process_id']).where('id', '=', memberId).executeTakeFirst();
  if (m && isLegal(effect, m.status)) return undefined;
  return illegal(q, { memberId, effect, processId: null, now: new Date() }, m);
}

/**
 * R1: a first check-in writes the submitted profile into the record, new or returned/withdrawn (never one locked
 * by an approval, R4): the record's only other status write, `pending`.
 */
export async function submitFirstCheckIn(
  tx: Tx,
  memberId: string,
  member: {
    name: string;
    id_number: string;
    join_date: string;
    development_number: string | null;
    branch_id: string;
    details: string;
    meeting_date: string | null;
    late_entry: boolean;
  },
  processId: string,
  now: Date,
): Promise<void> {
  const row = { ...member, status: 'pending' as const, status_process_id: processId, status_changed_at: now, updated_at: now };
  await tx
    .insertInto('members')
    .values({ id: memberId, ...row })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet(row).where('members.locked_at', 'is', null).where(sql.ref('members.status'), 'in', ['pending', 'returned', 'withdrawn']),
    )
    .execute();
}

/**
 * R25, before a human decision is sent: the member left after this process began (its workflow is being told and
 * ends `void`), or a check-in's approval is no longer legal. The API answers 409 R25 naming the other process.
 */
export async function decisionConflict(
  q: Db | Tx,
  p: { member_id: string | null; started_at: Date; kind: string },
  action: string,
): Promise<(TransitionResult & { ok: false }) | undefined> {
  if (!p.member_id || action === 'extend') return undefined;
  const m = await q
    .selectFrom('members')
    .select(['status', 'locked_at', 'sanction', 'status_process_id', 'status_changed_at'])
    .where('id', '=', p.member_id)
    .executeTakeFirst();
  if (!m) return undefined;
  const effect: MemberEffect = p.kind === 'check-in' ? 'check-in.approve' : 'data.change';
  if (p.kind === 'check-in')
    return action === 'approve' && !isLegal(effect, m.status) ? illegal(q, { memberId: p.member_id, effect, processId: null, now: new Date() }, m) : undefined;
  const leftSince = isLeft(m.status) && m.status_changed_at !== null && m.status_changed_at > p.started_at;
  return leftSince ? illegal(q, { memberId: p.member_id, effect, processId: null, now: new Date() }, m) : undefined;
}
