// Deletions (R14-R17): a branch applies, the province returns pending applications in bulk (R15), and the
// supervisors see which organizations delete an unusual share of graduates (R17). Decisions go through
// POST /api/processes/:id/decisions like every other process.
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import type { Api, AppDeps } from './deps';
import { authorize } from '../domain/authz';
import { DomainError } from '../domain/errors';
import { BulkReturn, DeletionApplication } from '../domain/deletions';
import type { DecisionCommand } from '../domain/processes';
import { likePrefix } from '../db';
import { decideUpdate } from '../processes/messages';
import { errorResponses, iso, notFound } from './schemas';
import { AbuseView, BulkReturned, DeletionCreated, IdempotencyHeaders, OrgQuery } from '../contract/deletions';
import { answerOnce } from './idempotency';
import { mapLimit } from '../domain/concurrency';
import { toDomainError } from '../temporal/errors';
import { startDeletion } from '../temporal/deletion-start';

/** POST /deletions (R14, R16): the branch applies; answers once the process is recorded. */
function applyRoute(app: Api, { db, client, config }: AppDeps): void {
  app.post(
    '/deletions',
    {
      schema: {
        summary: 'R14/R16: the branch applies to delete a member; the city-level committee verifies, only the province decides',
        headers: IdempotencyHeaders,
        body: DeletionApplication,
        response: { 201: DeletionCreated, 200: DeletionCreated, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = req.principal;
      const body = req.body;
      const answer = await answerOnce(db, p.actorId, req.headers['idempotency-key'], body, async () => {
        const member = await db
          .selectFrom('members')
          .leftJoin('organizations as b', 'b.id', 'members.branch_id')
          .select(['members.id', 'members.status', 'b.path as branch_path', 'b.special_kind'])
          .where('members.id', '=', body.memberId)
          .executeTakeFirst();
        if (!member) notFound('member');
        authorize(p, 'deletion.apply', { orgPath: member.branch_path ?? '', memberId: member.id });
        if (member.status !== 'active' && member.status !== 'probation') {
          throw DomainError.rule('R14', `only active members (or members on probation) can be deleted (this member is ${member.status})`, [
            { field: 'body.memberId', message: `member is ${member.status}`, rule: 'R14' },
          ]);
        }
        const recorded = await startDeletion(
          { db, client, config },
          { id: member.id, branchPath: member.branch_path!, graduate: member.special_kind === 'graduate' },
          { ...body, appliedBy: p.actorId },
        );
        return { statusCode: 201, response: { processId: recorded.processId, memberId: member.id, step: recorded.step, deadline: recorded.deadline } };
      });
      return reply.code(answer.statusCode as 201).send(answer.response);
    },
  );
}

/**
 * R15: the steps at which an application is pending review (已申请删除，待审核): at the city and at the province. One at
 * the branch's re-check was returned already and is the branch's to file again: nothing to return.
 */
const PENDING_REVIEW = ['city-review', 'province-review'] as const;

/** POST /deletions/bulk-return (R15): the province returns pending applications in bulk. */
function bulkReturnRoute(app: Api, { db, client }: AppDeps): void {
  app.post(
    '/deletions/bulk-return',
    {
      schema: {
        summary:
          'R15: the province returns every application pending review in its subtree (at the city or at the province) that matches all the filters given, for re-checking by the branches',
        body: BulkReturn,
        response: { 200: BulkReturned, ...errorResponses },
      },
    },
    async (req) => {
      const p = req.principal;
      if (!p.orgPath) throw DomainError.forbidden('only the province returns applications in bulk');
      authorize(p, 'deletion.bulk-return', { orgPath: p.orgPath });
      const { reason, cityId, category, olderThanDays } = req.body;
      const pending = await db
        .selectFrom('processes')
        .innerJoin('deletions', 'deletions.process_id', 'processes.id')
        .select(['processes.id', 'processes.workflow_id', 'processes.run_id', 'processes.step'])
        .where('processes.kind', '=', 'deletion')
        // R15: all of them, "at any level" (seed 004), not only those already at the province.
        .where('processes.step', 'in', PENDING_REVIEW)
        .where('processes.closed_at', 'is', null)
        .where('processes.org_path', 'like', likePrefix(p.orgPath))
        .$if(cityId !== undefined, (q) => q.where('deletions.city_id', '=', cityId!))
        .$if(category !== undefined, (q) => q.where('deletions.category', '=', category!))
        .$if(olderThanDays !== undefined, (q) => q.where('processes.step_since', '<=', new Date(Date.now() - olderThanDays! * 86_400_000)))
        .orderBy('processes.step_since')
        .execute();
      const returned: string[] = [];
      await mapLimit(pending, 8, async (r) => {
        // Sent as the decision the province takes on each at the step it was seen at: one that moved on meanwhile refuses it.
        const cmd: DecisionCommand = { action: 'return', reason, actorId: p.actorId, step: r.step, actorRole: p.role };
        try {
          await client.workflow.getHandle(r.workflow_id, r.run_id ?? undefined).executeUpdate(decideUpdate, { args: [cmd], updateId: randomUUID() });
          returned.push(r.id);
        } catch (e) {
          const problem = toDomainError(e, 'deletion');
          if (e instanceof WorkflowNotFoundError || (problem instanceof DomainError && problem.problem.kind === 'conflict')) return;
          throw problem;
        }
      });
      return { matched: pending.length, returned: returned.length, processIds: returned };
    },
  );
}

/** GET /deletions/abuse (R17): who deletes an unusual share of graduates. */
function abuseRoute(app: Api, { db, config }: AppDeps): void {
  app.get(
    '/deletions/abuse',
    {
      schema: {
        summary: "R17: organizations in the caller's subtree flagged for deleting graduates, and the current shares, those above the threshold marked",
        querystring: OrgQuery,
        response: {
          200: AbuseView,
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const p = req.principal;
      const orgId = req.query.orgId ?? p.orgId;
      if (!orgId) throw DomainError.forbidden('the abuse watch is for the admins of an organization');
      const org = await db.selectFrom('organizations').select(['id', 'path']).where('id', '=', orgId).executeTakeFirst();
      if (!org) notFound('organization');
      authorize(p, 'stats.read', { orgPath: org.path });
      const { windowMs, threshold, minDeletions } = config.abuse;
      const since = new Date(Date.now() - windowMs);
      const prefix = likePrefix(org.path);
      const [flags, current] = await Promise.all([
        db.selectFrom('abuse_flags').selectAll().where('org_path', 'like', prefix).orderBy('flagged_at', 'desc').orderBy('id', 'desc').limit(1000).execute(),
        // Every committee of the subtree with approved deletions in the window, weighed in one query.
        db
          .selectFrom('organizations as o')
          .innerJoin('deletions as d', (j) => j.on(sql<boolean>`starts_with(d.branch_path, o.path)`))
          .select((eb) => [
            'o.id',
            'o.name',
            eb.fn.countAll<number>().as('deletions'),
            eb.fn.countAll<number>().filterWhere('d.graduate', '=', true).as('graduates'),
          ])
          .where('o.path', 'like', prefix)
          .where('o.kind', '!=', 'branch')
          .where('d.branch_path', 'like', prefix)
          .where('d.status', '=', 'approved')
          .where('d.decided_at', '>', since)
          .groupBy(['o.id', 'o.name'])
          .orderBy('o.id')
          .execute(),
      ]);
      return {
        orgId: org.id,
        windowDays: Math.round(windowMs / 86_400_000),
        threshold,
        minDeletions,
        flags: flags.map((f) => ({
          orgId: f.org_id,
          windowStart: iso(f.window_start)!,
          flaggedAt: iso(f.flagged_at)!,
          deletions: f.deletions,
          graduates: f.graduates,
        })),
        current: current.map((c) => {
          const deletions = Number(c.deletions);
          const graduates = Number(c.graduates);
          const share = graduates / deletions;
          return {
            orgId: c.id,
            name: c.name,
            deletions,
            graduates,
            share: Math.round(share * 1000) / 1000,
            above: deletions >= minDeletions && share > threshold,
          };
        }),
      };
    },
  );
}

export function deletionRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    applyRoute(app, deps);
    bulkReturnRoute(app, deps);
    abuseRoute(app, deps);
  };
}
