// Side effects of the check-in review (R1-R4): member record, read model, events, notifications.
import { ApplicationFailure } from '@temporalio/common';
import { recordOnce, type Db } from './db';
import { applyProcessPatch, insertProcessRow, notifyMemberActors } from './processes';
import type { CheckInInput } from '../domain/check-in';

export interface SubmittedInput {
  input: CheckInInput;
  submittedAt: string;
  deadline: string;
}

export interface CheckInDecisionInput {
  key: string;
  processId: string;
  memberId: string;
  branchId: string;
  outcome: 'approved' | 'returned' | 'withdrawn';
  actorId: string;
  reason?: string;
}

export function createCheckInActivities(deps: { db: Db }) {
  const { db } = deps;
  return {
    /** R1: the check-in is pending review; the member record carries the submitted profile. */
    async recordCheckInSubmitted({ input, submittedAt, deadline }: SubmittedInput): Promise<void> {
      const { profile } = input;
      const { name, idNumber, joinDate, developmentNumber, ...details } = profile;
      const now = new Date();
      try {
      await recordOnce(
        db,
        {
          idempotency_key: `${input.processId}:submitted`,
          process_id: input.processId,
          member_id: input.memberId,
          org_id: input.branchId,
          type: 'check-in.submitted',
          actor_id: input.submittedBy,
          payload: { branchId: input.branchId, deadline },
        },
        async (tx) => {
          const member = {
            name,
            id_number: idNumber,
            join_date: joinDate,
            development_number: developmentNumber ?? null,
            branch_id: input.branchId,
            status: 'pending' as const,
            details: JSON.stringify(details),
            updated_at: now,
          };
          await tx
            .insertInto('members')
            .values({ id: input.memberId, ...member })
            .onConflict((oc) => oc.column('id').doUpdateSet(member).where('members.locked_at', 'is', null))
            .execute();
          await insertProcessRow(tx, { id: input.processId, kind: 'check-in', memberId: input.memberId, org: { id: input.branchId, path: input.branchPath }, step: 'branch-review', deadline, startedAt: submittedAt });
          if (input.linkActorId) {
            await tx.updateTable('actors').set({ member_id: input.memberId }).where('id', '=', input.linkActorId).where('member_id', 'is', null).execute();
          }
        },
      );
      } catch (e) {
        const err = e as { code?: string; constraint?: string };
        if (err.code === '23505') {
          throw ApplicationFailure.nonRetryable(`already recorded for another member (${err.constraint ?? 'unique'})`, 'conflict');
        }
        throw e;
      }
    },

    /** R1/R2/R4: the branch's decision, or the member's withdrawal, closes the review. */
    async recordCheckInDecision(d: CheckInDecisionInput): Promise<void> {
      const now = new Date();
      await recordOnce(
        db,
        {
          idempotency_key: d.key,
          process_id: d.processId,
          member_id: d.memberId,
          org_id: d.branchId,
          type: `check-in.${d.outcome}`,
          actor_id: d.actorId,
          payload: d.reason ? { reason: d.reason } : {},
        },
        async (tx) => {
          await tx
            .updateTable('members')
            .set({
              status: d.outcome === 'approved' ? 'active' : d.outcome,
              // R4: approval locks name, ID number, join date and development number for good.
              ...(d.outcome === 'approved' ? { locked_at: now, branch_id: d.branchId } : {}),
              updated_at: now,
            })
            .where('id', '=', d.memberId)
            .where('locked_at', 'is', null)
            .execute();
          await applyProcessPatch(tx, d.processId, { status: d.outcome, step: 'closed', closed: true }, now);
          const message =
            d.outcome === 'returned' ? `Your check-in was returned: ${d.reason ?? ''}` : `Your check-in was ${d.outcome}.`;
          await notifyMemberActors(tx, d.key, d.processId, d.memberId, message);
        },
      );
    },
  };
}

export type CheckInActivities = ReturnType<typeof createCheckInActivities>;
