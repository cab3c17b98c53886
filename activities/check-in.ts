// Side effects of the check-in review (R1-R4): member record, read model, events, notifications.
import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'kysely';
import { lockDevelopmentNumber, type Db, type Tx } from '../db';
import { openProcessOnce, type Projection } from './processes';
import type { ProcessStatus } from '../domain/processes';
import type { MembersTable } from '../db/schema';
import type { CheckInInput } from '../domain/check-in';
import { checkInAdmission, isRefusal, statusRow, type CheckInContext, type MemberStatus } from '../domain/member-status';

// The table in domain/member-status.ts covers exactly the statuses the database holds.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statusesMatch: Same<MembersTable['status'], MemberStatus> = true;
void statusesMatch;

/**
 * What the member-status table needs beyond the status (domain/member-status.ts): the sanction in force (R18)
 * and, for a deleted record, the category of its approved deletion (R14). The API and the activity both ask here.
 */
export async function checkInContext(q: Db | Tx, m: { id: string; status: string; sanction: string | null }): Promise<CheckInContext> {
  const deletion =
    m.status === 'deleted'
      ? await q
          .selectFrom('deletions')
          .select('category')
          .where('member_id', '=', m.id)
          .where('status', '=', 'approved')
          .orderBy('decided_at', 'desc')
          .limit(1)
          .executeTakeFirst()
      : undefined;
  return { sanction: m.sanction, deletedAs: deletion?.category ?? null };
}

/** The record as a new check-in sees it: its status and branch, and the table's context. */
async function memberForCheckIn(q: Db | Tx, memberId: string, forUpdate: boolean) {
  const row = await q
    .selectFrom('members')
    .select(['id', 'status', 'branch_id', 'sanction'])
    .where('id', '=', memberId)
    .$if(forUpdate, (b) => b.forUpdate())
    .executeTakeFirst();
  return row ? { ...row, ...(await checkInContext(q, row)) } : undefined;
}

export interface SubmittedInput {
  input: CheckInInput;
  submittedAt: string;
  deadline: string;
}

/**
 * R2/R4: a check-in's projection. Its outcome changes the member record by the member-status table
 * (domain/member-status.ts): approval activates and locks a first membership, or starts a former member's new one.
 */
export const checkInProjection: Projection = async (tx, e, now) => {
  if (!e.outcome || !e.memberId || !e.orgId) return;
  const current = await tx.selectFrom('members').select(['status', 'locked_at']).where('id', '=', e.memberId).forUpdate().executeTakeFirst();
  const change = current ? memberChange(current, e.outcome, e.orgId, now) : undefined;
  if (change)
    await tx
      .updateTable('members')
      .set({ ...change, updated_at: now })
      .where('id', '=', e.memberId)
      .execute();
};

export function createCheckInActivities(deps: { db: Db }) {
  const { db } = deps;
  return {
    /**
     * R1: the check-in is pending review. A first check-in (domain/member-status.ts) writes the submitted profile
     * into the record; a former member's (R10, R16) keeps the record as it is until the approval: the status and
     * branch, and the four fields locked since the first approval (R4); other data is updated directly (R6). A
     * status the table refuses (changed since the API checked) refuses the submission: nothing is written.
     */
    async recordCheckInSubmitted({ input, submittedAt, deadline }: SubmittedInput): Promise<void> {
      const { profile } = input;
      const { name, idNumber, joinDate, developmentNumber, ...details } = profile;
      const now = new Date();
      // Read before the event is written: its payload names the earlier membership (R16: the history shows both).
      const seen = await memberForCheckIn(db, input.memberId, false);
      const previous = seen && checkInAdmission(seen.status, seen) === 'again' ? { status: seen.status, branchId: seen.branch_id } : undefined;
      try {
        const opened = {
          key: `${input.processId}:submitted`,
          processId: input.processId,
          kind: 'check-in',
          memberId: input.memberId,
          org: { id: input.branchId, path: input.branchPath },
          step: 'branch-review',
          deadline,
          startedAt: submittedAt,
          type: 'check-in.submitted',
          actorId: input.submittedBy,
          payload: { branchId: input.branchId, deadline, ...(previous ? { previous } : {}) },
        };
        // The member first (the process row refers to it), then the actor's link to it.
        await openProcessOnce(db, opened, {
          before: async (tx) => {
            const current = await memberForCheckIn(tx, input.memberId, true);
            const admission = checkInAdmission(current?.status, current ?? {});
            if (isRefusal(admission)) {
              throw ApplicationFailure.create({
                type: 'conflict',
                message: admission.message,
                details: [{ kind: admission.kind, rule: admission.rule }],
                nonRetryable: true,
              });
            }
            // Changed between the read and the lock: the event's payload would be wrong; the retry reads again.
            if (current?.status !== seen?.status || current?.branch_id !== seen?.branch_id) throw new Error('the member record changed meanwhile');
            if (admission === 'first') {
              // R19: a number voided since the API checked it is not taken (the void checks the other way round).
              if (developmentNumber) {
                await lockDevelopmentNumber(tx, developmentNumber);
                const voided = await tx.selectFrom('number_voids').select('number').where('number', '=', developmentNumber).executeTakeFirst();
                if (voided) {
                  const message = 'this development number was voided meanwhile: it will not be used';
                  throw ApplicationFailure.create({ type: 'conflict', message, details: [{ kind: 'rule', rule: 'R19' }], nonRetryable: true });
                }
              }
              const member = {
                name,
                id_number: idNumber,
                join_date: joinDate,
                development_number: developmentNumber ?? null,
                branch_id: input.branchId,
                status: 'pending' as const,
                details: JSON.stringify(details),
                // R19: the admitting meeting and the late-entry flag, as the API decided them.
                meeting_date: input.meetingDate ?? null,
                late_entry: input.lateEntry ?? false,
                updated_at: now,
              };
              await tx
                .insertInto('members')
                .values({ id: input.memberId, ...member })
                .onConflict((oc) => oc.column('id').doUpdateSet(member).where('members.locked_at', 'is', null))
                .execute();
            } else {
              await tx
                .updateTable('members')
                .set({ details: sql<string>`details || ${JSON.stringify(details)}::jsonb`, updated_at: now })
                .where('id', '=', input.memberId)
                .execute();
            }
          },
          after: async (tx) => {
            if (input.linkActorId) {
              await tx.updateTable('actors').set({ member_id: input.memberId }).where('id', '=', input.linkActorId).where('member_id', 'is', null).execute();
            }
          },
        });
      } catch (e) {
        const err = e as { code?: string; constraint?: string };
        if (err.code === '23505') {
          throw ApplicationFailure.nonRetryable(`already recorded for another member (${err.constraint ?? 'unique'})`, 'conflict');
        }
        throw e;
      }
    },

    /**
     * R1/R2/R4: the branch's decision, or the member's withdrawal, closes the review. What it does to the record
     * is the table's (domain/member-status.ts), by the status the approval finds: a first membership becomes
     * active in the branch and locks the four fields (R4); a former member's (R10, R16) becomes active in the new
     * branch, a new membership, with the four fields as they were. A return or a withdrawal marks a first
     * check-in's record and leaves a former member's as it was.
     */
  };
}

/** The change a check-in's outcome makes to the record, by the member-status table; undefined: none. */
function memberChange(current: { status: string; locked_at: Date | null }, outcome: ProcessStatus, branchId: string, now: Date) {
  const effect = statusRow(current.status).approval;
  if (outcome !== 'approved') {
    // R2: a first check-in's record shows the outcome; a former member's stays as it was.
    return effect === 'first-membership' && current.locked_at === null ? { status: outcome as 'returned' | 'withdrawn' } : undefined;
  }
  if (effect === 'first-membership' && current.locked_at === null) {
    // R4: approval locks name, ID number, join date and development number for good.
    return { status: 'active' as const, locked_at: now, branch_id: branchId };
  }
  if (effect === 'new-membership') {
    // R10/R16: a new membership in this branch; the four fields stay locked with their values (R4). locked_at is
    // also the month of activation the dues streak counts from (R18, activities/dues.ts): the new membership's,
    // so the months spent deleted or in another province, when no dues could be paid here, are not unpaid months.
    return { status: 'active' as const, branch_id: branchId, deleted_at: null, locked_at: now };
  }
  return undefined;
}

export type CheckInActivities = ReturnType<typeof createCheckInActivities>;
