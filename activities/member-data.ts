// Side effects of reviewed changes of member data (R5) and join-date corrections (R7): the pending values
// (member_changes) written with the process's first event, and the projection that applies an approval to the
// member record in the closing event's transaction. Until then the values in force stay as they are.
import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'kysely';
import type { Db, Tx } from '../db';
import { MEMBER_DATA_STATUSES, type JoinDateInput, type MemberChangeInput } from '../domain/member-data';
import { openProcessOnce, type OpenProcessInput, type ProcessPatch, type Projection } from './processes';

/** Refuses the first write when the member's check-in is no longer in force (changed since the API checked). */
async function lockMemberForChange(tx: Tx, memberId: string, rule: string): Promise<void> {
  const member = await tx.selectFrom('members').select('status').where('id', '=', memberId).forUpdate().executeTakeFirst();
  if (!member || !MEMBER_DATA_STATUSES.includes(member.status)) {
    const message = `only members whose check-in was approved change their data this way (this member is ${member?.status ?? 'unknown'})`;
    throw ApplicationFailure.create({ type: 'rule', message, details: [{ kind: 'rule', message, rule }], nonRetryable: true });
  }
}

/** The process's first event and row, and the pending values (member_changes), in one transaction. */
async function openChange(
  db: Db,
  opened: OpenProcessInput & { memberId: string },
  row: { kind: 'data' | 'join-date'; route: 'window' | 'formal' | null; fields: object; previous: object; reason: string | null },
  rule: string,
): Promise<void> {
  await openProcessOnce(db, opened, {
    before: (tx) => lockMemberForChange(tx, opened.memberId, rule),
    after: async (tx) => {
      await tx
        .insertInto('member_changes')
        .values({
          process_id: opened.processId,
          member_id: opened.memberId,
          kind: row.kind,
          route: row.route,
          fields: JSON.stringify(row.fields),
          previous: JSON.stringify(row.previous),
          reason: row.reason,
          status: 'pending',
          requested_by: opened.actorId ?? 'unknown',
        })
        .onConflict((oc) => oc.column('process_id').doNothing())
        .execute();
    },
  });
}

/**
 * R5/R7: the projection of both kinds. The closing event sets the outcome on the pending row; an approval puts
 * the new values in force: the reviewed fields into the member's details (R5), or the join date (R7: the only
 * change of it after approval, R4).
 */
export const memberDataProjection: Projection = async (tx, e, now) => {
  if (!e.outcome) return;
  const change = await tx
    .updateTable('member_changes')
    .set({ status: e.outcome, decided_at: now })
    .where('process_id', '=', e.processId)
    .where('status', '=', 'pending')
    .returning(['member_id', 'kind', 'fields'])
    .executeTakeFirst();
  if (!change || e.outcome !== 'approved') return;
  const fields = change.fields as Record<string, unknown>;
  if (change.kind === 'join-date') {
    await tx
      .updateTable('members')
      .set({ join_date: String(fields.joinDate), updated_at: now })
      .where('id', '=', change.member_id)
      .execute();
    return;
  }
  await tx
    .updateTable('members')
    .set({ details: sql<string>`details || ${JSON.stringify(fields)}::jsonb`, updated_at: now })
    .where('id', '=', change.member_id)
    .execute();
};

export function createMemberDataActivities({ db }: { db: Db }) {
  return {
    /** R5: the member's request is recorded, pending at the branch; the values in force stay until it decides. */
    async recordMemberChangeRequested({ input, patch }: { input: MemberChangeInput; patch: ProcessPatch }): Promise<void> {
      const requested = Object.entries(input.fields).map(([field, to]) => ({ field, from: input.previous[field as keyof typeof input.previous] ?? null, to }));
      await openChange(
        db,
        {
          key: `${input.processId}:requested`,
          processId: input.processId,
          kind: 'member-change',
          memberId: input.memberId,
          org: patch.org!,
          step: patch.step!,
          deadline: patch.deadline ?? null,
          type: 'member-change.requested',
          actorId: input.requestedBy,
          payload: { requested },
          notify: [{ recipientOrgId: patch.org!.id, kind: 'task', message: 'A change of member data awaits your review (R5)' }],
        },
        { kind: 'data', route: null, fields: input.fields, previous: input.previous, reason: null },
        'R5',
      );
    },

    /** R7: a join-date correction is recorded, pending at the branch (window) or the province (formal request). */
    async recordJoinDateRequested({ input, patch }: { input: JoinDateInput; patch: ProcessPatch }): Promise<void> {
      await openChange(
        db,
        {
          key: `${input.processId}:requested`,
          processId: input.processId,
          kind: 'join-date',
          memberId: input.memberId,
          org: patch.org!,
          step: patch.step!,
          deadline: patch.deadline ?? null,
          type: 'join-date.requested',
          actorId: input.requestedBy,
          payload: { route: input.route, from: input.previous, to: input.joinDate, ...(input.reason ? { reason: input.reason } : {}) },
          notify: [{ recipientOrgId: patch.org!.id, kind: 'task', message: 'A correction of a join date awaits your decision (R7)' }],
        },
        { kind: 'join-date', route: input.route, fields: { joinDate: input.joinDate }, previous: { joinDate: input.previous }, reason: input.reason ?? null },
        'R7',
      );
    },
  };
}

export type MemberDataActivities = ReturnType<typeof createMemberDataActivities>;
