// Side effects of deletions (R14-R17): the read model of each step, the member's soft delete, and the watch
// on deletions of graduates (R17), flagged to the levels above.
import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'kysely';
import { likePrefix, recordOnce, type Db } from '../db';
import { insertNotifications, openProcessOnce, type NotificationInput, type ProcessPatch, type Projection } from './processes';
import type { Config } from '../domain/config';
import { abuseWatchFromEnv, type DeletionInput } from '../domain/deletions';
import { cityLevelOf, pathIds } from '../domain/orgs';

export interface DeletionDeps {
  db: Db;
  /** R17: the abuse watch's window, threshold and minimum (config.abuse); the defaults without it. */
  config?: Pick<Config, 'abuse'>;
}

/** R14: only an active member (or one on probation) can be deleted. */
const DELETABLE = ['active', 'probation'] as const;

/** R14: a deletion's projection. Its outcome is kept on its row; an approval soft-deletes the member (the record and its history stay readable above). */
export const deletionProjection: Projection = async (tx, e, now) => {
  if (!e.outcome) return;
  await tx.updateTable('deletions').set({ status: e.outcome, decided_at: now }).where('process_id', '=', e.processId).execute();
  // The member's soft delete is the transition table's (R25, db/member-state.ts), applied by the append.
};

/** Rolls back an abuse flag's transaction: the organization is already flagged in this window. */
class AlreadyFlagged extends Error {}

export function createDeletionActivities({ db, config }: DeletionDeps) {
  const abuse = config?.abuse ?? abuseWatchFromEnv({});
  return {
    /** R14: the branch's application is recorded; the read model shows it at the city-level committee. */
    async recordDeletionApplied({ input, patch }: { input: DeletionInput; patch: ProcessPatch }): Promise<void> {
      const now = new Date();
      await openProcessOnce(
        db,
        {
          key: `${input.processId}:applied`,
          processId: input.processId,
          kind: 'deletion',
          memberId: input.memberId,
          org: patch.org!,
          step: patch.step!,
          deadline: patch.deadline ?? null,
          type: 'deletion.applied',
          actorId: input.appliedBy,
          payload: {
            category: input.category,
            reason: input.reason,
            ...(input.explanation ? { explanation: input.explanation } : {}),
            branchId: input.branch.id,
            cityId: input.city.id,
            graduate: input.graduate,
          },
          notify: [{ recipientOrgId: patch.org!.id, kind: 'task', message: 'An application to delete a member awaits your verification' }],
        },
        {
          before: async (tx) => {
            const member = await tx.selectFrom('members').select('status').where('id', '=', input.memberId).forUpdate().executeTakeFirst();
            if (!member || !(DELETABLE as readonly string[]).includes(member.status)) {
              const message = `only active members (or members on probation) can be deleted (this member is ${member?.status ?? 'unknown'})`;
              throw ApplicationFailure.create({ type: 'rule', message, details: [{ kind: 'rule', message, rule: 'R14' }], nonRetryable: true });
            }
          },
          after: async (tx) => {
            await tx
              .insertInto('deletions')
              .values({
                process_id: input.processId,
                member_id: input.memberId,
                branch_id: input.branch.id,
                branch_path: input.branch.path,
                city_id: input.city.id,
                category: input.category,
                graduate: input.graduate,
                status: 'pending',
                submitted_at: now,
              })
              .onConflict((oc) => oc.column('process_id').doNothing())
              .execute();
          },
        },
      );
    },

    /**
     * R17: after an approved deletion, every committee above the branch (below the province) whose approved
     * deletions in the window reach the minimum and whose graduates' share is above the threshold is flagged
     * once per window, to its parent and the province. Counts only: no names.
     */
    async watchDeletionAbuse({ processId, branchPath }: { processId: string; branchPath: string }): Promise<{ flagged: string[] }> {
      const ids = pathIds(branchPath);
      const committees = ids.slice(1, -1);
      if (committees.length === 0) return { flagged: [] };
      const since = new Date(Date.now() - abuse.windowMs);
      const rows = await db
        .selectFrom('organizations as o')
        .innerJoin('deletions as d', (j) => j.on(sql<boolean>`starts_with(d.branch_path, o.path)`))
        .select((eb) => [
          'o.id',
          'o.name',
          'o.path',
          'o.parent_id',
          eb.fn.countAll<number>().as('deletions'),
          eb.fn.countAll<number>().filterWhere('d.graduate', '=', true).as('graduates'),
        ])
        .where('o.id', 'in', committees)
        .where('d.branch_path', 'like', likePrefix(`${ids[0]}/${cityLevelOf(branchPath)}/`))
        .where('d.status', '=', 'approved')
        .where('d.decided_at', '>', since)
        .groupBy(['o.id', 'o.name', 'o.path', 'o.parent_id'])
        .execute();
      const province = ids[0]!;
      const days = Math.round(abuse.windowMs / 86_400_000);
      const flagged: string[] = [];
      for (const r of rows) {
        const deletions = Number(r.deletions);
        const graduates = Number(r.graduates);
        if (deletions < abuse.minDeletions || graduates / deletions <= abuse.threshold) continue;
        const key = `${processId}:abuse:${r.id}`;
        const message = `R17: ${graduates} of ${deletions} deletions in ${r.name} (${r.id}) in the last ${days} days were graduates`;
        const notes: NotificationInput[] = [...new Set([r.parent_id ?? province, province])].map((to) => ({ recipientOrgId: to, kind: 'escalation', message }));
        try {
          await recordOnce(
            db,
            {
              idempotency_key: key,
              process_id: null,
              org_id: r.id,
              type: 'deletion.abuse-flagged',
              actor_id: 'system:abuse-watch',
              payload: { deletions, graduates, windowDays: days, threshold: abuse.threshold, triggeredBy: processId },
            },
            async (tx) => {
              // One flag per organization and window, also when two approvals are weighed at once.
              await sql`select pg_advisory_xact_lock(hashtext(${`abuse:${r.id}`}))`.execute(tx);
              const already = await tx.selectFrom('abuse_flags').select('id').where('org_id', '=', r.id).where('window_start', '>', since).executeTakeFirst();
              if (already) throw new AlreadyFlagged();
              await tx.insertInto('abuse_flags').values({ org_id: r.id, org_path: r.path, window_start: new Date(), deletions, graduates }).execute();
              await insertNotifications(tx, key, processId, notes);
            },
          );
          flagged.push(r.id);
        } catch (e) {
          if (!(e instanceof AlreadyFlagged)) throw e;
        }
      }
      return { flagged };
    },
  };
}

export type DeletionActivities = ReturnType<typeof createDeletionActivities>;
