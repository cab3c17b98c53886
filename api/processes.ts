// Reading processes (read model) and deciding them (Temporal updates), for every kind of process: what a kind
// has and who decides it come from its declaration (processes/), with no case for a particular kind here.
import { decisionConflict } from '../db/member-state';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Api, AppDeps } from './deps';
import { authorize, isAllowed, type Principal } from '../domain/authz';
import { DomainError, causes } from '../domain/errors';
import { ProcessKind, type DecisionCommand } from '../domain/processes';
import { DECLARATIONS } from '../processes';
import { decideUpdate } from '../processes/messages';
import { loadProcess } from '../services/processes';
import { personalView } from '../domain/privacy';
import type { Db } from '../db';
import type { ProcessRow } from '../db/schema';
import { actedOrgPaths, orgPathOf, processPage, processTimeline, readInbox } from '../db/queries/processes';
import {
  DecisionBody,
  DecisionResponse,
  NotificationsQuery,
  Notifications,
  ProcessDetail,
  ProcessKinds,
  ProcessListQuery,
  ProcessPage,
  type ProcessSummary,
} from '../contract/processes';
import { errorResponses, iso, notFound, UuidParams } from './schemas';
import { toDomainError } from '../temporal/errors';
import { countDecision } from './metrics';
import { decodeCursor, encodeCursor } from './cursor';
import { availableActions, decisionAuthz, processKinds, stepLabel, stepsOf } from './process-steps';
import { PREPARATIONS } from './decision-preparations';

/** The kind of process each decision request concerned, for the decisions counter. */
const decisionKind = new WeakMap<object, string>();

type Subject = { member_name: string | null; task_campaign_id: string | null; task_org_id: string | null; task_org_name: string | null };

function summary(r: ProcessRow & Subject): ProcessSummary {
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
  if (p.orgPath && (await actedOrgPaths(db, row.id)).some((orgPath) => isAllowed(p, 'process.read', { orgPath }))) return;
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
  const path = await orgPathOf(db, orgId);
  if (path === undefined) notFound('organization');
  authorize(p, 'process.read', { orgPath: path });
  return { path };
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

type ListQuery = z.output<typeof ProcessListQuery>;

/** One page of processes, newest first, filtered as the query says, within the scope. */
function listPage(db: Db, scope: { path?: string; orgId?: string; memberId?: string; open?: boolean }, q: ListQuery) {
  const cursor = q.cursor ? decodeCursor(Cursor, q.cursor) : undefined;
  const atStepSince = q.minDaysAtStep !== undefined ? new Date(Date.now() - q.minDaysAtStep * 86_400_000) : undefined;
  return processPage(db, { scope, kind: q.kind, status: q.status, step: q.step, overdue: q.overdue, atStepSince, after: cursor, limit: q.limit });
}

/** GET /processes: the processes in the caller's subtree (or a member's own), newest first; or the caller's To do. */
function listRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/processes',
    {
      schema: {
        summary:
          'Processes in the caller\'s subtree (or a member\'s own), newest first; overdue=true answers "what is stuck below me", acting=mine "what must my organization decide now"; each with the decisions the caller may take',
        querystring: ProcessListQuery,
        response: { 200: ProcessPage, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const p = req.principal;
      if (q.step && q.kind && !Object.hasOwn(stepsOf(q.kind), q.step))
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
        response: { 200: ProcessDetail, ...errorResponses },
      },
    },
    async (req) => {
      const row = await loadProcess(db, req.params.id);
      await authorizeRead(db, req.principal, row);
      const { events, orgName, memberBranchPath } = await processTimeline(db, row);
      // One privacy policy (issue 20): the timeline's values about the member as the record shows them to this reader.
      const view = personalView(req.principal, { orgPath: memberBranchPath ?? row.org_path, memberId: row.member_id });
      return {
        ...summary(row),
        orgName,
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
        response: { 200: DecisionResponse, ...errorResponses },
      },
      onResponse: async (req, reply) => countDecision(decisionKind.get(req), (req.body as { action?: unknown } | undefined)?.action, reply.statusCode),
    },
    async (req) => {
      const row = await loadProcess(db, req.params.id);
      const kind = ProcessKind.parse(row.kind);
      decisionKind.set(req, kind);
      const declaration = DECLARATIONS[kind];
      const action = decisionAuthz(kind, req.body.action);
      if (!action)
        throw DomainError.rule(declaration.actsRule, `a ${kind} has no "${req.body.action}" decision`, [
          { field: 'body.action', message: 'not available here' },
        ]);
      authorize(req.principal, action, { orgPath: row.org_path, memberId: row.member_id });
      if (row.closed_at) throw DomainError.conflict(`this ${kind} is already ${row.status}`);
      // R25: the member changed meanwhile (left, or a check-in's approval no longer legal): refused, naming why.
      const conflict = await decisionConflict(db, row, req.body.action);
      if (conflict) throw DomainError.conflict(`R25: ${conflict.message}`, 'R25');
      const { branchId: _branchId, ...decision } = req.body;
      const extra = declaration.prepare ? await PREPARATIONS[declaration.prepare](db, row, req.body, req.principal) : {};
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
        querystring: NotificationsQuery,
        response: { 200: Notifications, ...errorResponses },
      },
    },
    async (req) => {
      const p = req.principal;
      const rows = await readInbox(db, { actorId: p.role === 'system' ? null : p.actorId, orgId: p.role === 'member' ? null : p.orgId }, req.query.limit);
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

/** GET /process-kinds: every kind's steps and the decisions each takes (the console's filters and dialogs). */
function kindsRoute(app: Api): void {
  app.get(
    '/process-kinds',
    { schema: { summary: 'Every kind of process: its steps and the decisions each step takes', response: { 200: ProcessKinds, ...errorResponses } } },
    async () => ({ kinds: processKinds() }),
  );
}

export function processRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    kindsRoute(app);
    listRoute(app, deps);
    readRoute(app, deps);
    decideRoute(app, deps);
    notificationsRoute(app, deps);
  };
}
