// Member data after check-in (R5, R7): the member asks for a reviewed change of political status, economic
// income or cadre flag; a join date is corrected inside the province's window (the member, reviewed by the
// branch) or by a city-level committee's formal request (the province decides); the province opens and closes
// the window. Decisions go through POST /api/processes/:id/decisions like every other process.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Api, AppDeps } from './deps';
import { authorize, type Principal } from '../domain/authz';
import { DomainError, type FieldProblem } from '../domain/errors';
import { profileRuleProblems } from '../domain/members';
import {
  MEMBER_DATA_STATUSES,
  MemberChangeRequest,
  JoinDateRequest,
  JoinDateWindowBody,
  REVIEWED_FIELDS,
  windowOpen,
  type JoinDateInput,
  type JoinDateRoute,
  type MemberChangeInput,
} from '../domain/member-data';
import { pathIds, type OrgRef } from '../domain/orgs';
import { recordOnce, type Db } from '../db';
import { memberChangeProcess } from '../processes/member-change';
import { joinDateProcess } from '../processes/join-date';
import { startProcess, type Recorded } from '../temporal/start-process';
import { answerOnce } from './idempotency';
import { loadMember } from './members';
import { errorResponses, UuidParams } from './schemas';
import { IdempotencyHeaders } from '../contract/common';
import { ChangeCreated, JoinDateCreated, WindowAnswer, type JoinDateWindow } from '../contract/member-data';
import { stepDeadline } from '../domain/calendar';

type Member = Awaited<ReturnType<typeof loadMember>>;

/** R7: the province's current correction window (opened and not closed), and whether it is open today. */
async function currentWindow(db: Db, provinceId: string): Promise<JoinDateWindow | null> {
  const w = await db
    .selectFrom('join_date_windows')
    .select(['id', 'opens_on', 'closes_on'])
    .where('province_id', '=', provinceId)
    .where('closed_at', 'is', null)
    .executeTakeFirst();
  return w ? { id: w.id, opensOn: w.opens_on, closesOn: w.closes_on, open: windowOpen(w) } : null;
}

/** The province (root organization) of the caller, or of the member the caller is. */
async function callersProvince(db: Db, p: Principal): Promise<string | null> {
  if (p.orgPath) return pathIds(p.orgPath)[0] ?? null;
  if (!p.memberId) return null;
  const m = await db
    .selectFrom('members')
    .innerJoin('organizations', 'organizations.id', 'members.branch_id')
    .select('organizations.path')
    .where('members.id', '=', p.memberId)
    .executeTakeFirst();
  return m ? (pathIds(m.path)[0] ?? null) : null;
}

/** The province admin's own province, for opening or closing its window (403 for anyone else). */
function windowProvince(p: Principal): string {
  const province = p.orgPath ? pathIds(p.orgPath)[0] : undefined;
  if (!province) throw DomainError.forbidden('R7: only the province opens and closes the join-date correction window');
  authorize(p, 'join-date.window', { orgPath: `${province}/` });
  return province;
}

/** GET, PUT, DELETE /join-date-window (R7): read, open (or move) and close the province's correction window. */
function windowRoutes(app: Api, { db }: AppDeps): void {
  app.get(
    '/join-date-window',
    {
      schema: {
        summary: "R7: the caller's province's join-date correction window, and whether it is open today",
        response: { 200: WindowAnswer, ...errorResponses },
      },
    },
    async (req) => {
      const province = await callersProvince(db, req.principal);
      return { window: province ? await currentWindow(db, province) : null };
    },
  );

  app.put(
    '/join-date-window',
    {
      schema: {
        summary: 'R7: the province opens the join-date correction window (dates included), replacing the current one',
        body: JoinDateWindowBody,
        response: { 200: WindowAnswer, ...errorResponses },
      },
    },
    async (req) => {
      const province = windowProvince(req.principal);
      const { opensOn, closesOn } = req.body;
      if (closesOn < opensOn) {
        throw DomainError.rule('R7', 'the window closes on or after the day it opens', [{ field: 'body.closesOn', message: `before ${opensOn}`, rule: 'R7' }]);
      }
      const id = randomUUID();
      await recordOnce(
        db,
        {
          idempotency_key: `join-date-window:${id}:opened`,
          org_id: province,
          type: 'join-date.window-opened',
          actor_id: req.principal.actorId,
          payload: { windowId: id, opensOn, closesOn },
        },
        async (tx) => {
          // Two windows opened at once: one after the other (the province's row is the lock), the last one current.
          await tx.selectFrom('organizations').select('id').where('id', '=', province).forUpdate().execute();
          await tx.updateTable('join_date_windows').set({ closed_at: new Date() }).where('province_id', '=', province).where('closed_at', 'is', null).execute();
          await tx
            .insertInto('join_date_windows')
            .values({ id, province_id: province, opens_on: opensOn, closes_on: closesOn, opened_by: req.principal.actorId })
            .execute();
        },
      );
      return { window: { id, opensOn, closesOn, open: windowOpen({ opens_on: opensOn, closes_on: closesOn }) } };
    },
  );

  app.delete(
    '/join-date-window',
    { schema: { summary: 'R7: the province closes the join-date correction window', response: { 200: WindowAnswer, ...errorResponses } } },
    async (req) => {
      const province = windowProvince(req.principal);
      const current = await currentWindow(db, province);
      if (current) {
        await recordOnce(
          db,
          {
            idempotency_key: `join-date-window:${current.id}:closed`,
            org_id: province,
            type: 'join-date.window-closed',
            actor_id: req.principal.actorId,
            payload: { windowId: current.id },
          },
          async (tx) => {
            await tx.updateTable('join_date_windows').set({ closed_at: new Date() }).where('id', '=', current.id).execute();
          },
        );
      }
      return { window: null };
    },
  );
}

/** The member's branch as the process's acting organization. */
function branchOf(m: Member): OrgRef {
  return { id: m.branch_id!, path: m.branch_path!, parentId: m.branch_parent_id ?? null, kind: m.branch_kind ?? 'branch' };
}

/** R5/R7: only a member whose check-in was approved (and who is still a member) changes data this way. */
function requireMemberInForce(m: Member, rule: string): void {
  if (m.branch_path && MEMBER_DATA_STATUSES.includes(m.status)) return;
  throw DomainError.rule(rule, `only a member whose check-in was approved changes their data after it (this member is ${m.status})`, [
    { field: 'params.id', message: `the member is ${m.status}`, rule },
  ]);
}

/** R5: the change's fields, each different from the value in force (422 naming each unchanged field). */
function changedFields(m: Member, body: MemberChangeRequest): Pick<MemberChangeInput, 'fields' | 'previous'> {
  const details = m.details as Record<string, unknown>;
  const fields: MemberChangeInput['fields'] = {};
  const previous: MemberChangeInput['previous'] = {};
  const problems: FieldProblem[] = [];
  for (const f of REVIEWED_FIELDS) {
    const to = body[f];
    if (to === undefined) continue;
    const from = details[f];
    if (from === to) problems.push({ field: `body.${f}`, rule: 'R5', message: `${f} is already ${String(to)}: nothing to review` });
    fields[f] = to;
    previous[f] = typeof from === 'string' || typeof from === 'boolean' ? from : null;
  }
  if (problems.length > 0) throw DomainError.rule('R5', problems.map((p) => p.message).join('; '), problems);
  return { fields, previous };
}

/**
 * The shell both start routes share (R5, R7): the member named in the path asks for a reviewed change; the answer
 * (201, the pending process) is given once per Idempotency-Key; `start` checks the request and starts the process.
 */
function memberProcessRoute<B extends z.ZodObject, R extends z.ZodObject>(
  app: Api,
  db: Db,
  route: { url: string; summary: string; body: B; created: R; start: (p: Principal, m: Member, body: z.infer<B>) => Promise<z.infer<R>> },
): void {
  // Widened to plain objects: fastify's type provider cannot resolve a generic schema's types (zod checks them).
  const body: z.ZodObject = route.body;
  const created: z.ZodObject = route.created;
  app.post(
    route.url,
    { schema: { summary: route.summary, params: UuidParams, headers: IdempotencyHeaders, body, response: { 201: created, 200: created, ...errorResponses } } },
    async (req, reply) => {
      const p = req.principal;
      const answer = await answerOnce(db, p.actorId, req.headers['idempotency-key'], { id: req.params.id, ...req.body }, async () => {
        const m = await loadMember(db, req.params.id);
        return { statusCode: 201, response: await route.start(p, m, req.body as z.infer<B>) };
      });
      return reply.code(answer.statusCode as 201).send(answer.response as Record<string, unknown>);
    },
  );
}

/** What a start route answers: the recorded process, pending at its first step. */
function pending(recorded: Recorded, memberId: string) {
  return { processId: recorded.processId, memberId, status: 'pending' as const, step: recorded.step, deadline: recorded.deadline };
}

/** POST /members/:id/changes (R5): the member asks; the branch reviews; answers once the process is recorded. */
function changeRoute(app: Api, { db, client, config }: AppDeps): void {
  memberProcessRoute(app, db, {
    url: '/members/:id/changes',
    summary:
      'R5: the member asks to change political status, economic income or the cadre flag; the branch reviews it (the old values stay in force until then)',
    body: MemberChangeRequest,
    created: ChangeCreated,
    start: async (p, m, body) => {
      authorize(p, 'member-change.request', { orgPath: m.branch_path ?? '', memberId: m.id });
      requireMemberInForce(m, 'R5');
      const { fields, previous } = changedFields(m, body);
      const branch = branchOf(m);
      const input: MemberChangeInput = {
        processId: randomUUID(),
        memberId: m.id,
        branch,
        requestedBy: p.actorId,
        fields,
        previous,
        timing: config.timing.memberChange,
      };
      // R5: one open change review per member, enforced by the workflow ID (409 citing R5).
      const recorded = await startProcess(
        { client, config },
        {
          process: memberChangeProcess,
          memberId: m.id,
          input,
          org: branch,
          deadline: new Date(stepDeadline(config.timing.memberChange, Date.now())),
          alreadyOpen: 'a change of member data is already under review for this member: wait for the branch, or withdraw it',
        },
      );
      return { ...pending(recorded, m.id), fields };
    },
  });
}

/** R7: who may ask for this member's join date to change, and by which route (403 for anyone else). */
async function joinDateRoute(db: Db, p: Principal, m: Member, body: JoinDateRequest): Promise<JoinDateRoute> {
  const target = { orgPath: m.branch_path ?? '', memberId: m.id };
  if (p.role === 'member') {
    authorize(p, 'join-date.request', target);
    const window = await currentWindow(db, pathIds(m.branch_path ?? '')[0] ?? '');
    if (!window?.open) {
      const when = window ? `the window is ${window.opensOn} to ${window.closesOn}` : 'no window is open';
      throw DomainError.rule('R7', `a member asks for a new join date only inside the window the province opens (${when})`, [
        { field: 'body.joinDate', message: `outside the correction window: ${when}`, rule: 'R7' },
      ]);
    }
    return 'window';
  }
  authorize(p, 'join-date.file', target);
  const org = await db
    .selectFrom('organizations')
    .select(['kind', 'depth'])
    .where('id', '=', p.orgId ?? '')
    .executeTakeFirst();
  if (org?.kind !== 'committee' || org.depth !== 1) {
    throw DomainError.forbidden('R7: outside the window only a city-level committee (directly below the province) files a formal request');
  }
  if (!body.reason) {
    throw DomainError.rule('R7', 'a formal request to the province needs the reason', [
      { field: 'body.reason', message: 'required for a formal request', rule: 'R7' },
    ]);
  }
  return 'formal';
}

/** R7 (and R19 on the new date): the new join date differs from the one in force and is a possible one. */
function joinDateProblems(m: Member, joinDate: string): FieldProblem[] {
  if (joinDate === m.join_date) return [{ field: 'body.joinDate', rule: 'R7', message: `the join date is already ${joinDate}` }];
  const rules = profileRuleProblems({ idNumber: m.id_number, joinDate, developmentNumber: m.development_number ?? undefined }, new Date());
  return rules.map((r) => ({ ...r, field: 'body.joinDate' }));
}

/** The province the member belongs to: the root above their branch. */
async function provinceOf(db: Db, branchPath: string): Promise<OrgRef> {
  const root = await db
    .selectFrom('organizations')
    .select(['id', 'path', 'parent_id', 'kind'])
    .where('id', '=', pathIds(branchPath)[0] ?? '')
    .executeTakeFirstOrThrow();
  return { id: root.id, path: root.path, parentId: root.parent_id, kind: root.kind };
}

/** POST /members/:id/join-date (R7): in the window the member asks, else a city-level committee files formally. */
function joinDateStartRoute(app: Api, { db, client, config }: AppDeps): void {
  memberProcessRoute(app, db, {
    url: '/members/:id/join-date',
    summary:
      'R7: a new join date: the member inside the window the province opens (the branch reviews), or a formal request of a city-level committee (the province decides)',
    body: JoinDateRequest,
    created: JoinDateCreated,
    start: async (p, m, body) => {
      const route = await joinDateRoute(db, p, m, body);
      requireMemberInForce(m, 'R7');
      const problems = joinDateProblems(m, body.joinDate);
      if (problems.length > 0) throw DomainError.rule(problems[0]!.rule!, problems.map((x) => x.message).join('; '), problems);
      const branch = branchOf(m);
      const province = await provinceOf(db, branch.path);
      const input: JoinDateInput = {
        processId: randomUUID(),
        memberId: m.id,
        route,
        branch,
        province,
        requestedBy: p.actorId,
        joinDate: body.joinDate,
        previous: m.join_date,
        ...(body.reason ? { reason: body.reason } : {}),
        timing: config.timing.joinDate,
      };
      const first =
        route === 'formal' ? { org: province, timing: config.timing.joinDate.provinceReview } : { org: branch, timing: config.timing.joinDate.branchReview };
      // R7: one open correction per member, enforced by the workflow ID (409 citing R7).
      const recorded = await startProcess(
        { client, config },
        {
          process: joinDateProcess,
          memberId: m.id,
          input,
          org: first.org,
          deadline: new Date(stepDeadline(first.timing, Date.now())),
          alreadyOpen: 'a correction of the join date is already open for this member',
        },
      );
      return { ...pending(recorded, m.id), route };
    },
  });
}

export function memberDataRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    changeRoute(app, deps);
    joinDateStartRoute(app, deps);
    windowRoutes(app, deps);
  };
}
