// Reading processes (read model) and deciding them (Temporal updates), for every kind of process.
import { decisionConflict } from '../db/member-state';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Api, AppDeps } from './deps';
import { authorize, isAllowed, type Principal } from '../domain/authz';
import { DomainError, causes } from '../domain/errors';
import { DecisionBody, ProcessKind, ProcessStatus, type DecisionCommand } from '../domain/processes';
import { decideUpdate } from '../workflows/common';
import { prepareTransferDecision } from '../services/transfers';
import { prepareDisciplineDecision } from '../services/discipline';
import { prepareCampaignDecision } from '../services/campaign-checks';
import { loadProcess } from '../services/processes';
import { personalView } from '../domain/privacy';
import { likePrefix, type Db } from '../db';
import type { ProcessRow } from '../db/schema';
import { errorResponses, iso, notFound, UuidParams } from './schemas';
import { toDomainError } from '../services/temporal-errors';
import { countDecision } from './metrics';
import { decodeCursor, encodeCursor } from './cursor';
import { ALL_STEPS, DECISION_AUTHZ, STEPS, availableActions, stepLabel } from './process-steps';

/** The kind of process each decision request concerned, for the decisions counter. */
const decisionKind = new WeakMap<object, string>();

/** What the API resolves for the workflow before sending a decision (the step the caller saw, a branch to place into). */
type Prepare = (db: Db, row: ProcessRow, body: DecisionBody, p: Principal) => Promise<Partial<DecisionCommand>>;
/** The step the caller saw and the caller's role, for workflows whose steps each belong to one role. */
const stepAndRole: Prepare = async (_db, row, _body, p) => ({ step: row.step, actorRole: p.role });

/** Per kind of process; which authorization each decision needs is DECISION_AUTHZ (api/process-steps.ts). */
const PREPARE: Partial<Record<ProcessKind, Prepare>> = {
  transfer: prepareTransferDecision,
  deletion: stepAndRole,
  discipline: prepareDisciplineDecision,
  'join-date': stepAndRole,
  campaign: prepareCampaignDecision,
};

const ProcessSummary = z.object({
  id: z.uuid(),
  kind: z.string(),
  memberId: z.string().nullable(),
  memberName: z.string().nullable(),
  orgId: z.string(),
  status: z.string(),
  step: z.string(),
  stepSince: z.string(),
  deadline: z.string().nullable(),
  overdue: z.boolean(),
  startedAt: z.string(),
  closedAt: z.string().nullable(),
  /** A process about an organization, not a member (R22: a branch's campaign task): that branch and its campaign. */
  campaignTask: z.object({ campaignId: z.uuid(), orgId: z.string(), orgName: z.string() }).nullable(),
});

const TimelineEvent = z.object({
  type: z.string(),
  actorId: z.string().nullable(),
  orgId: z.string().nullable(),
  at: z.string(),
  payload: z.record(z.string(), z.unknown()),
});

type Subject = { member_name: string | null; task_campaign_id: string | null; task_org_id: string | null; task_org_name: string | null };

function summary(r: ProcessRow & Subject): z.infer<typeof ProcessSummary> {
  return {
    id: r.id,
    kind: r.kind,
    memberId: r.member_id,
    memberName: r.member_name,
    orgId: r.org_id,
    status: r.status,
    step: r.step,
    stepSince: iso(r.step_since)!,
    deadline: iso(r.deadline),
    overdue: r.overdue,
    startedAt: iso(r.started_at)!,
    closedAt: iso(r.closed_at),
    campaignTask: r.task_campaign_id ? { campaignId: r.task_campaign_id, orgId: r.task_org_id!, orgName: r.task_org_name ?? r.task_org_id! } : null,
  };
}

/** gRPC FAILED_PRECONDITION "Workflow Task in failed state": the server takes no update until a task succeeds. */
function taskInFailedState(e: unknown): boolean {
  for (const c of causes(e, 5)) if (c.code === 9 && /workflow task in failed state/i.test(String(c.message ?? ''))) return true;
  return false;
}

/**
 * A process is read where it is now (and above), and also by every organization that acted on it (and those
 * above), after it moved on or closed: the sending branch of a completed transfer, the committee that approved
 * a disciplinary case.
 */
async function authorizeRead(db: Db, p: Principal, row: ProcessRow): Promise<void> {
  if (isAllowed(p, 'process.read', { orgPath: row.org_path, memberId: row.member_id })) return;
  if (p.orgPath) {
    const acted = await db
      .selectFrom('events')
      .innerJoin('organizations', 'organizations.id', 'events.org_id')
      .select('organizations.path')
      .distinct()
      .where('events.process_id', '=', row.id)
      .execute();
    if (acted.some((o) => isAllowed(p, 'process.read', { orgPath: o.path }))) return;
  }
  authorize(p, 'process.read', { orgPath: row.org_path, memberId: row.member_id });
}

/** A page boundary: the last process's start time and id (newest first). */
const Cursor = z.tuple([z.iso.datetime(), z.string()]);

/** The subtree a principal may list: their organization's, or for a member only their own processes. */
async function listScope(db: Db, p: Principal, orgId: string | undefined): Promise<{ path?: string; memberId?: string }> {
  if (p.role === 'member') {
    if (!p.memberId) return { memberId: '00000000-0000-0000-0000-000000000000' };
    return { memberId: p.memberId };
  }
  if (p.role === 'system' || !p.orgPath) throw DomainError.forbidden('only members, secretaries and admins list processes');
  if (!orgId) return { path: p.orgPath };
  const org = await db.selectFrom('organizations').select('path').where('id', '=', orgId).executeTakeFirst();
  if (!org) notFound('organization');
  authorize(p, 'process.read', { orgPath: org.path });
  return { path: org.path };
}

/**
 * To do (`acting=mine`): the open processes the caller's own organization must decide now (a member: their own
 * open processes). Only the caller's organization: an `orgId` naming another is a mistake, refused.
 */
function actingScope(p: Principal, orgId: string | undefined): { orgId?: string; memberId?: string } {
  if (p.role === 'member') return { memberId: p.memberId ?? '00000000-0000-0000-0000-000000000000' };
  if (p.role === 'system' || !p.orgId) throw DomainError.forbidden('only members, secretaries and admins have processes to do');
  if (orgId !== undefined && orgId !== p.orgId)
    throw new DomainError({
      kind: 'invalid',
      message: "acting=mine lists what the caller's own organization must decide",
      fields: [{ field: 'querystring.orgId', message: 'leave it out with acting=mine, or name your own organization' }],
    });
  return { orgId: p.orgId };
}

const ListQuery = z.object({
  kind: ProcessKind.optional(),
  status: ProcessStatus.optional(),
  orgId: z.string().max(63).optional(),
  overdue: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  acting: z.enum(['mine']).optional(),
  // The steps of every kind, listed in the OpenAPI spec; the kind's own are checked with `kind`.
  step: z.enum(ALL_STEPS as [string, ...string[]]).optional(),
  minDaysAtStep: z.coerce.number().int().min(0).max(3660).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});
type ListQuery = z.infer<typeof ListQuery>;

const ProcessListItem = ProcessSummary.extend({ orgName: z.string().nullable(), stepLabel: z.string(), actions: z.array(z.string()) });

/** One page of processes, newest first, filtered as the query says, within the scope. */
async function listPage(db: Db, scope: { path?: string; orgId?: string; memberId?: string; open?: boolean }, q: ListQuery) {
  const cursor = q.cursor ? decodeCursor(Cursor, q.cursor) : undefined;
  const atStepSince = q.minDaysAtStep !== undefined ? new Date(Date.now() - q.minDaysAtStep * 86_400_000) : undefined;
  return db
    .selectFrom('processes')
    .leftJoin('members', 'members.id', 'processes.member_id')
    .leftJoin('organizations', 'organizations.id', 'processes.org_id')
    .leftJoin('campaign_tasks as task', 'task.process_id', 'processes.id')
    .leftJoin('organizations as task_org', 'task_org.id', 'task.org_id')
    .selectAll('processes')
    .select([
      'members.name as member_name',
      'organizations.name as org_name',
      'task.campaign_id as task_campaign_id',
      'task.org_id as task_org_id',
      'task_org.name as task_org_name',
    ])
    .$if(!!scope.path, (b) => b.where('processes.org_path', 'like', likePrefix(scope.path!)))
    .$if(!!scope.orgId, (b) => b.where('processes.org_id', '=', scope.orgId!))
    .$if(!!scope.memberId, (b) => b.where('processes.member_id', '=', scope.memberId!))
    .$if(!!scope.open, (b) => b.where('processes.closed_at', 'is', null))
    .$if(!!q.kind, (b) => b.where('processes.kind', '=', q.kind!))
    .$if(!!q.status, (b) => b.where('processes.status', '=', q.status!))
    .$if(!!q.step, (b) => b.where('processes.step', '=', q.step!))
    .$if(!!atStepSince, (b) => b.where('processes.step_since', '<=', atStepSince!))
    .$if(q.overdue === true, (b) => b.where('processes.overdue', '=', true).where('processes.closed_at', 'is', null))
    .$if(q.overdue === false, (b) => b.where('processes.overdue', '=', false))
    .$if(!!cursor, (b) =>
      b.where((eb) =>
        eb.or([
          eb('processes.started_at', '<', new Date(cursor![0])),
          eb.and([eb('processes.started_at', '=', new Date(cursor![0])), eb('processes.id', '<', cursor![1])]),
        ]),
      ),
    )
    .orderBy('processes.started_at', 'desc')
    .orderBy('processes.id', 'desc')
    .limit(q.limit + 1)
    .execute();
}

/** GET /processes: the processes in the caller's subtree (or a member's own), newest first; or the caller's To do. */
function listRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/processes',
    {
      schema: {
        summary:
          'Processes in the caller\'s subtree (or a member\'s own), newest first; overdue=true answers "what is stuck below me", acting=mine "what must my organization decide now"; each with the decisions the caller may take',
        querystring: ListQuery,
        response: { 200: z.object({ items: z.array(ProcessListItem), nextCursor: z.string().nullable() }), ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const p = req.principal;
      if (q.step && q.kind && !Object.hasOwn(STEPS[q.kind], q.step))
        throw new DomainError({
          kind: 'invalid',
          message: `a ${q.kind} has no step "${q.step}"`,
          fields: [{ field: 'querystring.step', message: `not a step of a ${q.kind}` }],
        });
      const scope = q.acting === 'mine' ? { ...actingScope(p, q.orgId), open: true } : await listScope(db, p, q.orgId);
      const rows = await listPage(db, scope, q);
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return {
        items: page.map((r) => ({ ...summary(r), orgName: r.org_name, stepLabel: stepLabel(r.kind, r.step), actions: availableActions(p, r) })),
        nextCursor: rows.length > q.limit && last ? encodeCursor([last.started_at.toISOString(), last.id]) : null,
      };
    },
  );
}

/** GET /processes/:id: a process and its timeline. */
function readRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/processes/:id',
    {
      schema: {
        summary: 'A process: its state and the timeline of its events',
        params: UuidParams,
        response: { 200: ProcessListItem.extend({ timeline: z.array(TimelineEvent) }), ...errorResponses },
      },
    },
    async (req) => {
      const row = await loadProcess(db, req.params.id);
      await authorizeRead(db, req.principal, row);
      const [events, org, member] = await Promise.all([
        db.selectFrom('events').select(['type', 'actor_id', 'org_id', 'occurred_at', 'payload']).where('process_id', '=', row.id).orderBy('id').execute(),
        db.selectFrom('organizations').select('name').where('id', '=', row.org_id).executeTakeFirst(),
        row.member_id
          ? db
              .selectFrom('members')
              .innerJoin('organizations', 'organizations.id', 'members.branch_id')
              .select('organizations.path')
              .where('members.id', '=', row.member_id)
              .executeTakeFirst()
          : undefined,
      ]);
      // One privacy policy (issue 20): the timeline's values about the member as the record shows them to this reader.
      const view = personalView(req.principal, { orgPath: member?.path ?? row.org_path, memberId: row.member_id });
      return {
        ...summary(row),
        orgName: org?.name ?? null,
        stepLabel: stepLabel(row.kind, row.step),
        actions: availableActions(req.principal, row),
        timeline: events.map((e) => ({
          type: e.type,
          actorId: e.actor_id,
          orgId: e.org_id,
          at: iso(e.occurred_at)!,
          payload: view.payload((({ workflowRunId: _omit, ...rest }) => rest)(e.payload as Record<string, unknown>)) as Record<string, unknown>,
        })),
      };
    },
  );
}

/** POST /processes/:id/decisions: a decision on a waiting step, sent to the workflow. */
function decideRoute(app: Api, { db, client }: AppDeps): void {
  app.post(
    '/processes/:id/decisions',
    {
      schema: {
        summary: 'Decide a waiting step: approve, return (with a reason), withdraw, or extend the deadline (with a reason)',
        params: UuidParams,
        body: DecisionBody,
        response: { 200: z.object({ processId: z.uuid(), status: z.string(), deadline: z.string() }), ...errorResponses },
      },
      onResponse: async (req, reply) => countDecision(decisionKind.get(req), (req.body as { action?: unknown } | undefined)?.action, reply.statusCode),
    },
    async (req) => {
      const row = await loadProcess(db, req.params.id);
      const kind = ProcessKind.parse(row.kind);
      decisionKind.set(req, kind);
      const action = DECISION_AUTHZ[kind][req.body.action];
      if (!action)
        throw DomainError.rule(kind === 'transfer' ? 'R9' : 'R1', `a ${kind} has no "${req.body.action}" decision`, [
          { field: 'body.action', message: 'not available here' },
        ]);
      authorize(req.principal, action, { orgPath: row.org_path, memberId: row.member_id });
      if (row.closed_at) throw DomainError.conflict(`this ${kind} is already ${row.status}`);
      // R25: the member changed meanwhile (left, or a check-in's approval no longer legal): refused, naming why.
      const conflict = await decisionConflict(db, row, req.body.action);
      if (conflict) throw DomainError.conflict(`R25: ${conflict.message}`, 'R25');
      const { branchId: _branchId, ...decision } = req.body;
      const extra = (await PREPARE[kind]?.(db, row, req.body, req.principal)) ?? {};
      const cmd: DecisionCommand = { ...decision, ...extra, actorId: req.principal.actorId };
      const handle = client.workflow.getHandle(row.workflow_id, row.run_id ?? undefined);
      // One update id per request: if no worker admits it in time (e.g. all restarting), sending it again
      // under the same id cannot apply it twice.
      const updateId = randomUUID();
      // The server also refuses updates for a moment while the workflow's task has failed or timed out
      // repeatedly (a worker killed mid-task): retried with a backoff for up to 30 s, then 503.
      const until = Date.now() + 30_000;
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await handle.executeUpdate(decideUpdate, { args: [cmd], updateId });
          return { processId: row.id, ...result };
        } catch (e) {
          const timedOut = e instanceof WorkflowUpdateRPCTimeoutOrCancelledError;
          if ((timedOut && attempt < 3) || (taskInFailedState(e) && Date.now() < until)) {
            if (!timedOut) await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
            continue;
          }
          if (timedOut || taskInFailedState(e)) {
            throw new DomainError({ kind: 'unavailable', message: 'no worker confirmed the decision in time; send it again' });
          }
          throw toDomainError(e, kind);
        }
      }
    },
  );
}

/** GET /notifications: the caller's inbox. */
function notificationsRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/notifications',
    {
      schema: {
        summary: "Reminders, escalations and decisions addressed to the caller or the caller's organization",
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.string(),
                kind: z.string(),
                processId: z.string().nullable(),
                message: z.string(),
                createdAt: z.string(),
                recipientOrgId: z.string().nullable(),
                firstRead: z.boolean(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const p = req.principal;
      const rows = await db
        .selectFrom('notifications')
        .selectAll()
        .where((eb) =>
          eb.or([eb('recipient_actor_id', '=', p.role === 'system' ? null : p.actorId), eb('recipient_org_id', '=', p.role === 'member' ? null : p.orgId)]),
        )
        .orderBy('id', 'desc')
        .limit(req.query.limit)
        .execute();
      // The outbox's delivery channel is this inbox: what the recipient has fetched counts as delivered.
      const undelivered = rows.filter((n) => n.delivered_at === null).map((n) => n.id);
      if (undelivered.length > 0) {
        await db.updateTable('notifications').set({ delivered_at: new Date() }).where('id', 'in', undelivered).execute();
      }
      return {
        items: rows.map((n) => ({
          id: String(n.id),
          kind: n.kind,
          processId: n.process_id,
          message: n.message,
          createdAt: iso(n.created_at)!,
          recipientOrgId: n.recipient_org_id,
          firstRead: n.delivered_at === null,
        })),
      };
    },
  );
}

export function processRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    listRoute(app, deps);
    readRoute(app, deps);
    decideRoute(app, deps);
    notificationsRoute(app, deps);
  };
}
