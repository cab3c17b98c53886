// Side effects of the check-in review (R1-R4): member record, read model, events, notifications.
import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'kysely';
import { lockDevelopmentNumber, type Db, type Tx } from '../db';
import { openProcessOnce } from './processes';
import { submitFirstCheckIn } from '../db/member-state';
import { checkInContext } from '../db/queries/check-in';
import type { MembersTable } from '../db/schema';
import type { CheckInInput } from '../domain/check-in';
import { checkInAdmission, isRefusal, type MemberStatus } from '../domain/member-status';

// The table in domain/member-status.ts covers exactly the statuses the database holds.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statusesMatch: Same<MembersTable['status'], MemberStatus> = true;
void statusesMatch;

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
              await submitFirstCheckIn(
                tx,
                input.memberId,
                {
                  name,
                  id_number: idNumber,
                  join_date: joinDate,
                  development_number: developmentNumber ?? null,
                  branch_id: input.branchId,
                  details: JSON.stringify(details),
                  // R19: the admitting meeting and the late-entry flag, as the API decided them.
                  meeting_date: input.meetingDate ?? null,
                  late_entry: input.lateEntry ?? false,
                },
                input.processId,
                now,
              );
            } else {
              await tx
                .updateTable('members')
                .set({ details: sql<string>`details || ${JSON.stringify(details)}::jsonb`, updated_at: now })
                .where('id', '=', input.memberId)
                .execute();
            }
          },
          after: async (tx) => {
            // Issue 20 (R1): a check-in links its account only to the record it created (no record before it, as the
            // lock in `before` confirmed); an existing record is linked only by its branch (POST /api/actors).
            if (input.linkActorId && !seen) {
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

export type CheckInActivities = ReturnType<typeof createCheckInActivities>;
