// R22: yearly campaigns. The province opens its year's campaign (education evaluation, then annual registration),
// extends a phase for one city, closes it (services/campaigns.ts sends these to the campaign workflow). Every
// branch's task is a `campaign` process decided through POST /processes/{id}/decisions; here the branch records
// its members' grades and registrations, each organization registers its cadres, and everybody above reads the
// progress of their subtree: one query over the read model (campaign_tasks), grouped per child organization.
import { randomUUID, createHash } from 'node:crypto';
import { z } from 'zod';
import { sql, type Selectable } from 'kysely';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Api, AppDeps } from './deps';
import { authorize, type Action, type Principal } from '../domain/authz';
import {
  CadreRegistrationBody,
  CampaignOpen,
  CloseBody,
  ExtensionBody,
  GradeCode,
  GradesBody,
  RefusalConsentBody,
  RegistrationCode,
  RegistrationsBody,
} from '../domain/campaigns';
import { dueAt, targetAt } from '../domain/campaign-plan';
import { currentPhase, phaseDeadline, phaseProgress, isBehind, shareOf, type BranchCounts, type MemberCounts } from '../domain/campaign-progress';
import { DomainError, type FieldProblem } from '../domain/errors';
import { officeDay } from '../domain/office-day';
import { OrgId, pathIds } from '../domain/orgs';
import { likePrefix, recordOnce, type Db, type Tx } from '../db';
import type { CampaignsTable } from '../db/schema';
import { branchMembers, recountBranch } from '../services/campaign-checks';
import { currentPost } from '../db/queries/cadres';
import { recordRefusalConsent, refusalOf } from '../db/queries/campaigns';
import { closeCampaign, extendCampaign, openCampaign } from '../services/campaigns';
import { availableActions } from './process-steps';
import { errorResponses, iso, notFound, UuidParams } from './schemas';

type CampaignRow = Selectable<CampaignsTable>;

const Due = z.string();
const PhaseView = z.object({
  startsOn: z.string(),
  endsOn: Due,
  deadlines: z.array(z.object({ level: z.union([z.literal('branch'), z.number()]), on: Due })),
  targets: z.array(z.object({ by: Due, share: z.number() })),
});
const CampaignView = z.object({
  id: z.uuid(),
  provinceId: z.string(),
  year: z.number().int(),
  status: z.enum(['open', 'closed']),
  phases: z.object({ evaluation: PhaseView, registration: PhaseView }),
  excellentCap: z.number().nullable(),
  openedAt: z.string(),
  fannedOutAt: z.string().nullable(),
  tasks: z.number().int(),
  closedAt: z.string().nullable(),
});

function campaignView(c: CampaignRow): z.infer<typeof CampaignView> {
  const phases = c.phases;
  return {
    id: c.id,
    provinceId: c.province_id,
    year: c.year,
    status: c.status,
    phases,
    excellentCap: c.excellent_cap,
    openedAt: iso(c.opened_at)!,
    fannedOutAt: iso(c.fanned_out_at),
    tasks: c.tasks,
    closedAt: iso(c.closed_at),
  };
}

/** The province of the caller: the root of their organization's path (403 without an organization). */
function callerProvince(p: Principal): string {
  const root = p.orgPath ? pathIds(p.orgPath)[0] : undefined;
  if (!root || p.role === 'member' || p.role === 'system') throw DomainError.forbidden("campaigns are read by the organizations of the campaign's province");
  authorize(p, 'campaign.read', { orgPath: p.orgPath! });
  return root;
}

/** A campaign of the caller's province (404 for another province's: not theirs to know about). */
async function campaignOf(db: Db, id: string, p: Principal): Promise<CampaignRow> {
  const province = callerProvince(p);
  const c = await db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
  if (!c || c.province_id !== province) notFound('campaign');
  return c;
}

/** R22: only the province (the root's province admin) opens, extends and closes its campaign. */
function asProvince(p: Principal): { id: string; path: string } {
  if (!p.orgId || !p.orgPath || pathIds(p.orgPath).length !== 1) throw DomainError.forbidden('R22: only the province opens, extends and closes its campaign');
  authorize(p, 'campaign.open', { orgPath: p.orgPath });
  return { id: p.orgId, path: p.orgPath };
}

async function orgOf(db: Db | Tx, id: string) {
  return (
    (await db.selectFrom('organizations').select(['id', 'path', 'depth', 'kind', 'name']).where('id', '=', id).executeTakeFirst()) ?? notFound('organization')
  );
}

const closedCampaign = () => DomainError.conflict('R22: the campaign is closed', 'R22');

/** The caller's view of one organization in a campaign: the campaign, the organization (authorized for `action`). */
async function campaignOrg(db: Db, p: Principal, campaignId: string, orgId: string, action: Action) {
  const campaign = await campaignOf(db, campaignId, p);
  const org = await orgOf(db, orgId);
  authorize(p, action, { orgPath: org.path });
  if (pathIds(org.path)[0] !== campaign.province_id) notFound('organization');
  return { campaign, org };
}

/** The same, for a branch with its task in the campaign (404 for an organization that has none: only branches do). */
async function campaignBranch(db: Db, p: Principal, campaignId: string, orgId: string, action: Action) {
  const { campaign, org } = await campaignOrg(db, p, campaignId, orgId, action);
  const task = await db.selectFrom('campaign_tasks').selectAll().where('campaign_id', '=', campaign.id).where('org_id', '=', org.id).executeTakeFirst();
  if (!task) throw DomainError.notFound('this organization has no task in the campaign (only branches have one)');
  return { campaign, org, task };
}

/** Locks the branch's task for the write (grades and registrations of one branch are written one at a time). */
async function lockedStep(tx: Tx, campaignId: string, orgId: string): Promise<string> {
  const row = await tx
    .selectFrom('campaign_tasks')
    .select('step')
    .where('campaign_id', '=', campaignId)
    .where('org_id', '=', orgId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return row.step;
}

function refuseAll(problems: FieldProblem[]): void {
  if (problems.length > 0) throw DomainError.rule(problems[0]!.rule ?? 'R22', problems.map((x) => `${x.field}: ${x.message}`).join('; '), problems);
}

const BranchOrgParams = UuidParams.extend({ orgId: OrgId });
const IdempotencyHeaders = z.object({ 'idempotency-key': z.string().min(1).max(200).optional() });

/** POST /campaigns, GET /campaigns, GET /campaigns/:id. */
function campaignRoutes(app: Api, { db, client, config }: AppDeps): void {
  app.post(
    '/campaigns',
    {
      schema: {
        summary:
          "R22: the province opens its year's campaign: education evaluation then annual registration, their dates, a deadline per level, dated targets, the cap on 优秀",
        body: CampaignOpen,
        response: { 201: z.object({ campaignId: z.uuid(), workflowId: z.string(), year: z.number().int() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const province = asProvince(req.principal);
      // One campaign per province and year (R22): refused here, before the workflow is asked (its update-with-start
      // answers a repeated open with the first campaign).
      const existing = await db
        .selectFrom('campaigns')
        .select('id')
        .where('province_id', '=', province.id)
        .where('year', '=', req.body.year)
        .executeTakeFirst();
      if (existing) throw DomainError.conflict(`R22: the province's ${req.body.year} campaign is already open (or was)`, 'R22');
      const opened = await openCampaign({ client, config }, { province, plan: req.body, actorId: req.principal.actorId });
      reply.code(201);
      return { ...opened, year: req.body.year };
    },
  );
  app.get(
    '/campaigns',
    {
      schema: {
        summary: "R22: the campaigns of the caller's province, newest year first",
        response: { 200: z.object({ items: z.array(CampaignView) }), ...errorResponses },
      },
    },
    async (req) => {
      const province = callerProvince(req.principal);
      const rows = await db.selectFrom('campaigns').selectAll().where('province_id', '=', province).orderBy('year', 'desc').limit(100).execute();
      return { items: rows.map(campaignView) };
    },
  );
  app.get(
    '/campaigns/:id',
    { schema: { summary: "R22: a campaign of the caller's province", params: UuidParams, response: { 200: CampaignView, ...errorResponses } } },
    async (req) => campaignView(await campaignOf(db, req.params.id, req.principal)),
  );
}

const BranchCountsView = z.object({
  total: z.number().int(),
  evaluated: z.number().int(),
  confirmed: z.number().int(),
  registered: z.number().int(),
  done: z.number().int(),
  inProgress: z.number().int(),
  overdue: z.number().int(),
  unfinished: z.number().int(),
});
const MemberCountsView = z.object({ total: z.number().int(), evaluated: z.number().int(), registered: z.number().int() });
const PhaseProgressView = z.object({
  share: z.number(),
  deadline: z.string(),
  target: z.object({ by: z.string(), share: z.number() }).nullable(),
  behind: z.boolean(),
});
const ShareView = z.object({ share: z.number(), behind: z.boolean() });
const ProgressView = z.object({
  orgId: z.string(),
  phase: z.enum(['evaluation', 'registration']),
  branches: BranchCountsView,
  members: MemberCountsView,
  cadres: z.object({ current: z.number().int(), registered: z.number().int() }),
  evaluation: PhaseProgressView,
  registration: PhaseProgressView,
  children: z.array(
    z.object({
      orgId: z.string(),
      name: z.string(),
      kind: z.string(),
      branches: BranchCountsView,
      members: MemberCountsView,
      evaluation: ShareView,
      registration: ShareView,
    }),
  ),
});

type CountRow = BranchCounts & { child: string; members_total: number; members_evaluated: number; members_registered: number };

/**
 * R22: the subtree's counts in ONE query over the read model, grouped per child organization ('' is the
 * organization's own task, when it is a branch). The tasks under each parent of branches are summed already
 * (campaign_rollups, kept by a trigger in the same transaction as each task's change): the subtree's rollups are
 * grouped by the child their parent lies in; the branches right below the organization come from their own rows.
 * The province's progress sums a few thousand rollups, not 50,000 tasks (bench figure 9).
 */
async function subtreeCounts(db: Db, campaignId: string, path: string): Promise<CountRow[]> {
  const { rows } = await sql<CountRow>`
    select child, sum(total)::int as total, sum(evaluated)::int as evaluated, sum(confirmed)::int as confirmed,
      sum(registered)::int as registered, sum(done)::int as done, sum(in_progress)::int as "inProgress",
      sum(overdue)::int as overdue, sum(unfinished)::int as unfinished, sum(members_total)::int as members_total,
      sum(members_evaluated)::int as members_evaluated, sum(members_registered)::int as members_registered
    from (
      select split_part(substr(parent_path, length(${path}) + 1), '/', 1) as child, total, evaluated, confirmed, registered,
        done, in_progress, overdue, unfinished, members_total, members_evaluated, members_registered
      from campaign_rollups
      where campaign_id = ${campaignId} and parent_path like ${likePrefix(path)} and parent_path <> ${path}
      union all
      select case when org_path = ${path} then '' else org_id end, 1,
        (evaluated_at is not null)::int, (confirmed_at is not null)::int, (registered_at is not null)::int,
        (step = 'done')::int, (step not in ('done', 'unfinished'))::int, (overdue and step not in ('done', 'unfinished'))::int,
        (step = 'unfinished')::int, members_total, members_evaluated, members_registered
      from campaign_tasks
      where campaign_id = ${campaignId} and (parent_path = ${path} or org_path = ${path})
    ) parts
    group by child`.execute(db);
  return rows;
}

/** R22 (团干部注册): current cadres of the subtree and those registered in the campaign: two cheap aggregates. */
async function cadreCounts(db: Db, campaignId: string, path: string): Promise<{ current: number; registered: number }> {
  const [current, registered] = await Promise.all([
    db
      .selectFrom('cadres')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('org_path', 'like', likePrefix(path))
      .where(currentPost('cadres', officeDay()))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('campaign_cadres')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('campaign_id', '=', campaignId)
      .where('org_path', 'like', likePrefix(path))
      .executeTakeFirstOrThrow(),
  ]);
  return { current: Number(current.n), registered: Number(registered.n) };
}

/** The latest extension of each phase per city (a handful of rows per campaign). */
async function extensionsOf(db: Db, campaignId: string): Promise<Map<string, string>> {
  const rows = await db.selectFrom('campaign_extensions').select(['org_id', 'phase', 'until']).where('campaign_id', '=', campaignId).execute();
  const latest = new Map<string, string>();
  for (const r of rows) {
    const key = `${r.org_id}:${r.phase}`;
    const before = latest.get(key);
    if (before === undefined || dueAt(r.until) > dueAt(before)) latest.set(key, r.until);
  }
  return latest;
}

const sumCounts = (rows: CountRow[]): CountRow =>
  rows.reduce(
    (a, r) => {
      for (const k of Object.keys(a) as (keyof CountRow)[]) if (k !== 'child') (a[k] as number) += r[k] as number;
      return a;
    },
    {
      child: '',
      total: 0,
      evaluated: 0,
      confirmed: 0,
      registered: 0,
      done: 0,
      inProgress: 0,
      overdue: 0,
      unfinished: 0,
      members_total: 0,
      members_evaluated: 0,
      members_registered: 0,
    },
  );

function splitCounts(r: CountRow): { branches: BranchCounts; members: MemberCounts } {
  const { child: _c, members_total, members_evaluated, members_registered, ...branches } = r;
  return { branches, members: { total: members_total, evaluated: members_evaluated, registered: members_registered } };
}

/** GET /campaigns/:id/progress. */
function progressRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/campaigns/:id/progress',
    {
      schema: {
        summary:
          "R22: progress of an organization's subtree (default: the caller's): branches done, in progress, overdue; members evaluated and registered; cadres registered; each phase's share against its target and deadline, and which child organizations are behind",
        params: UuidParams,
        querystring: z.object({ orgId: OrgId.optional() }),
        response: { 200: ProgressView, ...errorResponses },
      },
    },
    async (req) => {
      const p = req.principal;
      const { campaign, org } = await campaignOrg(db, p, req.params.id, req.query.orgId ?? p.orgId ?? '', 'campaign.read');
      const [rows, cadres, extensions] = await Promise.all([
        subtreeCounts(db, campaign.id, org.path),
        cadreCounts(db, campaign.id, org.path),
        extensionsOf(db, campaign.id),
      ]);
      const childIds = rows.map((r) => r.child).filter((c) => c !== '');
      const children =
        childIds.length === 0 ? [] : await db.selectFrom('organizations').select(['id', 'name', 'kind', 'depth']).where('id', 'in', childIds).execute();
      const phases = campaign.phases;
      const now = Date.now();
      const city = pathIds(org.path)[1];
      const ext = (cityId: string | undefined, phase: 'evaluation' | 'registration') =>
        cityId === undefined ? undefined : extensions.get(`${cityId}:${phase}`);
      const total = sumCounts(rows);
      const byId = new Map(rows.map((r) => [r.child, r]));
      const { branches, members } = splitCounts(total);
      return {
        orgId: org.id,
        phase: currentPhase(phases, branches, now, ext(city, 'evaluation')),
        branches,
        members,
        cadres,
        evaluation: phaseProgress(phases.evaluation, 'evaluation', branches, phaseDeadline(phases.evaluation, org, ext(city, 'evaluation')), now),
        registration: phaseProgress(phases.registration, 'registration', branches, phaseDeadline(phases.registration, org, ext(city, 'registration')), now),
        children: children
          .sort((a, b) => a.id.localeCompare(b.id))
          .map((c) => {
            const counts = splitCounts(byId.get(c.id)!);
            const childCity = city ?? c.id;
            const share = (phase: 'evaluation' | 'registration') => {
              const plan = phases[phase];
              const s = shareOf(phase === 'evaluation' ? counts.branches.confirmed : counts.branches.done, counts.branches.total);
              const target = targetAt(plan.targets, now);
              return { share: s, behind: isBehind(s, counts.branches.total, target, phaseDeadline(plan, c, ext(childCity, phase)), now) };
            };
            return { orgId: c.id, name: c.name, kind: c.kind, ...counts, evaluation: share('evaluation'), registration: share('registration') };
          }),
      };
    },
  );
}

const BranchTaskView = z.object({
  processId: z.uuid(),
  step: z.string(),
  deadline: z.string(),
  overdue: z.boolean(),
  returnedReason: z.string().nullable(),
  members: z.array(
    z.object({
      memberId: z.uuid(),
      name: z.string(),
      grade: GradeCode.nullable(),
      registration: z.object({ decision: RegistrationCode, reason: z.string().nullable(), followUpOn: z.string().nullable() }).nullable(),
      turns28: z.boolean(),
    }),
  ),
  cadres: z.array(z.object({ cadreId: z.uuid(), name: z.string(), post: z.string(), registered: z.boolean() })),
  excellentCap: z.number().nullable(),
  availableActions: z.array(z.string()),
});

/** GET /campaigns/:id/branches/:orgId: the branch's task, its members with what was recorded, its cadres. */
function branchRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/campaigns/:id/branches/:orgId',
    {
      schema: {
        summary:
          "R22: a branch's task in the campaign: its step and deadline, its members with their grade and registration (no ID numbers), its cadres, the decisions the caller may take",
        params: BranchOrgParams,
        response: { 200: BranchTaskView, ...errorResponses },
      },
    },
    async (req) => {
      const { campaign, org, task } = await campaignBranch(db, req.principal, req.params.id, req.params.orgId, 'campaign.read');
      const [members, cadres, process] = await Promise.all([
        branchMembers(db, campaign, org.id),
        db
          .selectFrom('cadres')
          .leftJoin('campaign_cadres as cc', (j) => j.onRef('cc.cadre_id', '=', 'cadres.id').on('cc.campaign_id', '=', campaign.id))
          .select(['cadres.id', 'cadres.name', 'cadres.post', 'cc.cadre_id as registered'])
          .where('cadres.org_id', '=', org.id)
          .where(currentPost('cadres', officeDay()))
          .orderBy('cadres.id')
          .execute(),
        db.selectFrom('processes').selectAll().where('id', '=', task.process_id).executeTakeFirst(),
      ]);
      return {
        processId: task.process_id,
        step: task.step,
        deadline: iso(task.deadline)!,
        overdue: task.overdue,
        returnedReason: task.returned_reason,
        members: members.map((m) => ({
          memberId: m.id,
          name: m.name,
          grade: m.grade,
          registration: m.decision === null ? null : { decision: m.decision, reason: m.reason, followUpOn: m.follow_up_on },
          turns28: m.turns28,
        })),
        cadres: cadres.map((c) => ({ cadreId: c.id, name: c.name, post: c.post, registered: c.registered !== null })),
        excellentCap: campaign.excellent_cap,
        availableActions: process ? availableActions(req.principal, process) : [],
      };
    },
  );
}

/** The event key of one write: the request's Idempotency-Key (a retry writes nothing twice), else a fresh one. */
const writeKey = (what: string, campaignId: string, orgId: string, actorId: string, key: string | undefined) =>
  `campaign.${what}:${campaignId}:${orgId}:${actorId}:${key ?? randomUUID()}`;

/** How many of `items` have each of `values` (by `of`), in the order of `values`. */
const countBy = <V extends string, I>(values: readonly V[], items: readonly I[], of: (i: I) => unknown) =>
  Object.fromEntries(values.map((v) => [v, items.filter((i) => of(i) === v).length])) as Record<V, number>;

type Recount = Awaited<ReturnType<typeof recountBranch>>;

/**
 * A branch's write to its task (its grades, its registrations): in one transaction, keyed by the request, the
 * `campaign.<what>-recorded` event, the task locked (one write per branch at a time) and its step checked, the
 * rows `write` writes, and the task's member counts recounted. Undefined when the same request was already
 * recorded (it writes nothing); else what `write` answered and the recount.
 */
async function recordOnTask<T>(
  db: Db,
  w: {
    what: 'grades' | 'registrations';
    campaign: CampaignRow;
    org: { id: string };
    task: { process_id: string };
    actorId: string;
    key: string | undefined;
    payload: Record<string, unknown>;
    /** The steps the write is taken at, and how the refusal names them. */
    steps: readonly string[];
    stepsText: string;
  },
  write: (tx: Tx, step: string) => Promise<T>,
): Promise<{ result: T; counts: Recount } | undefined> {
  const { campaign, org } = w;
  let done: { result: T; counts: Recount } | undefined;
  await recordOnce(
    db,
    {
      idempotency_key: writeKey(w.what, campaign.id, org.id, w.actorId, w.key),
      type: `campaign.${w.what}-recorded`,
      process_id: w.task.process_id,
      org_id: org.id,
      actor_id: w.actorId,
      payload: { campaignId: campaign.id, ...w.payload },
    },
    async (tx) => {
      const step = await lockedStep(tx, campaign.id, org.id);
      if (!w.steps.includes(step)) throw DomainError.conflict(`R22: ${w.what} are recorded at ${w.stepsText}; this branch's task is at "${step}"`, 'R22');
      const result = await write(tx, step);
      done = { result, counts: await recountBranch(tx, campaign.id, org.id) };
    },
  );
  return done;
}

/** PUT /campaigns/:id/branches/:orgId/grades. */
function gradesRoute(app: Api, { db }: AppDeps): void {
  app.put(
    '/campaigns/:id/branches/:orgId/grades',
    {
      schema: {
        summary:
          "R22: the branch records its members' grades (优秀, 合格, 基本合格, 不合格) at its evaluation step; the cap on 优秀 is checked when it hands them in",
        params: BranchOrgParams,
        headers: IdempotencyHeaders,
        body: GradesBody,
        response: { 200: z.object({ evaluated: z.number().int(), total: z.number().int() }), ...errorResponses },
      },
    },
    async (req) => {
      const p = req.principal;
      const { campaign, org, task } = await campaignBranch(db, p, req.params.id, req.params.orgId, 'campaign.record');
      if (campaign.status !== 'open') throw closedCampaign();
      const grades = req.body.grades;
      const byGrade = countBy(['excellent', 'qualified', 'basic', 'unqualified'], grades, (g) => g.grade);
      const recorded = await recordOnTask(
        db,
        {
          what: 'grades',
          campaign,
          org,
          task,
          actorId: p.actorId,
          key: req.headers['idempotency-key'],
          payload: { grades: grades.length, byGrade },
          steps: ['evaluation'],
          stepsText: 'the evaluation step',
        },
        async (tx) => {
          const ids = new Set((await branchMembers(tx, campaign, org.id)).map((m) => m.id));
          refuseAll(
            grades.flatMap((g, i) =>
              ids.has(g.memberId) ? [] : [{ field: `body.grades.${i}.memberId`, rule: 'R22', message: 'not a member of this branch (active or on probation)' }],
            ),
          );
          await tx
            .insertInto('campaign_grades')
            .values(grades.map((g) => ({ campaign_id: campaign.id, member_id: g.memberId, org_id: org.id, grade: g.grade, recorded_by: p.actorId })))
            .onConflict((oc) =>
              oc
                .columns(['campaign_id', 'member_id'])
                .doUpdateSet((eb) => ({ grade: eb.ref('excluded.grade'), recorded_by: eb.ref('excluded.recorded_by'), recorded_at: new Date() })),
            )
            .execute();
        },
      );
      // A repeated request (same Idempotency-Key) wrote nothing: the counts as they stand.
      const counts = recorded?.counts ?? (await db.transaction().execute((tx) => recountBranch(tx, campaign.id, org.id)));
      return { evaluated: counts.evaluated, total: counts.total };
    },
  );
}

/** R22/R19: the problems of a registration entry, given the member's grade and what they already have. */
function entryProblems(
  e: z.infer<typeof RegistrationsBody>['entries'][number],
  i: number,
  m: { grade: string | null; decision: string | null; turns28: boolean } | undefined,
  step: string,
  today: string,
): FieldProblem[] {
  const at = `body.entries.${i}`;
  if (!m) return [{ field: `${at}.memberId`, rule: 'R22', message: 'not a member of this branch (active or on probation)' }];
  const out: FieldProblem[] = [];
  if (step === 'follow-up' && m.decision !== 'deferred')
    out.push({
      field: `${at}.memberId`,
      rule: 'R22',
      message: 'at the follow-up step only members whose registration was deferred (暂缓注册) are decided again',
    });
  if (e.decision === 'registered' && m.turns28)
    out.push({ field: `${at}.decision`, rule: 'R19', message: 'the member turns 28 this year: not registered, they age out (超龄离团)' });
  if (e.decision === 'registered' && m.grade === 'unqualified' && !e.reason)
    out.push({ field: `${at}.reason`, rule: 'R22', message: 'a member graded 不合格 is registered (准予注册) only with a reason' });
  if (e.followUpOn !== undefined && e.followUpOn <= today)
    out.push({ field: `${at}.followUpOn`, rule: 'R22', message: `the follow-up date is after today (${today})` });
  return out;
}

/** PUT /campaigns/:id/branches/:orgId/registrations. */
function registrationsRoute(app: Api, { db }: AppDeps): void {
  app.put(
    '/campaigns/:id/branches/:orgId/registrations',
    {
      schema: {
        summary:
          'R22: the branch registers its members: 准予注册, 暂缓注册 (reason, follow-up date) or 不予注册 (reason; the deletion follows, R14); 不合格 registered only with a reason; a member turning 28 this year is not registered (R19)',
        params: BranchOrgParams,
        headers: IdempotencyHeaders,
        body: RegistrationsBody,
        response: {
          200: z.object({ registered: z.number().int(), deferred: z.number().int(), refused: z.number().int(), total: z.number().int() }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const p = req.principal;
      const { campaign, org, task } = await campaignBranch(db, p, req.params.id, req.params.orgId, 'campaign.record');
      if (campaign.status !== 'open') throw closedCampaign();
      const entries = req.body.entries;
      const DECISIONS = ['registered', 'deferred', 'refused'] as const;
      const tally = (ms: { decision: string | null }[]) => ({ ...countBy(DECISIONS, ms, (m) => m.decision), total: ms.length });
      const recorded = await recordOnTask(
        db,
        {
          what: 'registrations',
          campaign,
          org,
          task,
          actorId: p.actorId,
          key: req.headers['idempotency-key'],
          payload: { entries: entries.length, byDecision: countBy(DECISIONS, entries, (e) => e.decision) },
          steps: ['registration', 'follow-up'],
          stepsText: 'the registration and follow-up steps',
        },
        async (tx, step) => {
          const members = new Map((await branchMembers(tx, campaign, org.id)).map((m) => [m.id, m]));
          const today = officeDay();
          refuseAll(entries.flatMap((e, i) => entryProblems(e, i, members.get(e.memberId), step, today)));
          await tx
            .insertInto('campaign_registrations')
            .values(
              entries.map((e) => ({
                campaign_id: campaign.id,
                member_id: e.memberId,
                org_id: org.id,
                decision: e.decision,
                reason: e.reason ?? null,
                follow_up_on: e.followUpOn ?? null,
                recorded_by: p.actorId,
              })),
            )
            .onConflict((oc) =>
              oc.columns(['campaign_id', 'member_id']).doUpdateSet((eb) => ({
                decision: eb.ref('excluded.decision'),
                reason: eb.ref('excluded.reason'),
                follow_up_on: eb.ref('excluded.follow_up_on'),
                recorded_by: eb.ref('excluded.recorded_by'),
                recorded_at: new Date(),
              })),
            )
            .execute();
          return tally(await branchMembers(tx, campaign, org.id));
        },
      );
      return recorded?.result ?? tally(await branchMembers(db, campaign, org.id));
    },
  );
}

/** PUT /campaigns/:id/cadres/:orgId (团干部注册). */
function cadresRoute(app: Api, { db }: AppDeps): void {
  app.put(
    '/campaigns/:id/cadres/:orgId',
    {
      schema: {
        summary: 'R22 (团干部注册): an organization registers its current cadres (the R8 registry) in the campaign, while it is open',
        params: BranchOrgParams,
        body: CadreRegistrationBody,
        response: { 200: z.object({ registered: z.number().int(), current: z.number().int() }), ...errorResponses },
      },
    },
    async (req) => {
      const p = req.principal;
      const { campaign, org } = await campaignOrg(db, p, req.params.id, req.params.orgId, 'campaign.cadres');
      if (campaign.status !== 'open') throw closedCampaign();
      const current = await db
        .selectFrom('cadres')
        .leftJoin('campaign_cadres as cc', (j) => j.onRef('cc.cadre_id', '=', 'cadres.id').on('cc.campaign_id', '=', campaign.id))
        .select(['cadres.id', 'cc.cadre_id as registered'])
        .where('cadres.org_id', '=', org.id)
        .where(currentPost('cadres', officeDay()))
        .execute();
      const ids = new Set(current.map((c) => c.id));
      refuseAll(
        req.body.cadreIds.flatMap((id, i) =>
          ids.has(id) ? [] : [{ field: `body.cadreIds.${i}`, rule: 'R22', message: 'not a current cadre of this organization (R8 registry, term not ended)' }],
        ),
      );
      const already = new Set(current.filter((c) => c.registered !== null).map((c) => c.id));
      const fresh = [...new Set(req.body.cadreIds)].filter((id) => !already.has(id)).sort();
      if (fresh.length > 0) {
        // Keyed by what is registered: a retry, or the same cadres sent twice, registers and records them once.
        const digest = createHash('sha256').update(fresh.join(',')).digest('hex').slice(0, 32);
        await recordOnce(
          db,
          {
            idempotency_key: `campaign.cadres:${campaign.id}:${org.id}:${digest}`,
            type: 'campaign.cadres-registered',
            org_id: org.id,
            actor_id: p.actorId,
            payload: { campaignId: campaign.id, cadreIds: fresh },
          },
          async (tx) => {
            await tx
              .insertInto('campaign_cadres')
              .values(fresh.map((id) => ({ campaign_id: campaign.id, cadre_id: id, org_id: org.id, org_path: org.path, registered_by: p.actorId })))
              .onConflict((oc) => oc.columns(['campaign_id', 'cadre_id']).doNothing())
              .execute();
          },
        );
      }
      return { registered: new Set([...already, ...fresh]).size, current: current.length };
    },
  );
}

/** POST /campaigns/:id/extensions and POST /campaigns/:id/close: the province's decisions on its campaign. */
function provinceRoutes(app: Api, { db, client }: AppDeps): void {
  app.post(
    '/campaigns/:id/extensions',
    {
      schema: {
        summary: "R22: the province extends a phase for one city, with a reason: the deadlines of the city's branches' tasks move later",
        params: UuidParams,
        body: ExtensionBody,
        response: { 201: z.object({ extensionId: z.uuid() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      asProvince(req.principal);
      const campaign = await campaignOf(db, req.params.id, req.principal);
      if (campaign.status !== 'open') throw closedCampaign();
      const city = await db.selectFrom('organizations').select(['id', 'path', 'parent_id']).where('id', '=', req.body.cityId).executeTakeFirst();
      if (!city || city.parent_id !== campaign.province_id)
        throw DomainError.rule('R22', 'a phase is extended for a city: an organization directly below the province', [
          { field: 'body.cityId', rule: 'R22', message: city ? 'not a city-level organization of the province' : 'unknown organization' },
        ]);
      const { phase, until, reason } = req.body;
      const extended = await extendCampaign({ client }, campaign, {
        city: { id: city.id, path: city.path },
        phase,
        until,
        reason,
        actorId: req.principal.actorId,
      });
      reply.code(201);
      return extended;
    },
  );
  app.post(
    '/campaigns/:id/close',
    {
      schema: {
        summary: 'R22: the province closes its campaign; every branch not done is recorded as unfinished, none dropped',
        params: UuidParams,
        body: CloseBody,
        response: { 200: z.object({ unfinished: z.number().int() }), ...errorResponses },
      },
    },
    async (req) => {
      asProvince(req.principal);
      const campaign = await campaignOf(db, req.params.id, req.principal);
      if (campaign.status !== 'open') throw closedCampaign();
      return closeCampaign({ client }, campaign, { ...(req.body.reason ? { reason: req.body.reason } : {}), actorId: req.principal.actorId });
    },
  );
}

/** POST /campaigns/:id/refusals/:memberId/consent. */
function refusalConsentRoute(app: Api, { db }: AppDeps): void {
  app.post(
    '/campaigns/:id/refusals/:memberId/consent',
    {
      schema: {
        summary:
          'R22: a member deleted after 不予注册 in this campaign is not checked in again until the deciding committee (the province, which alone decides deletions, R14) consents, with a reason',
        params: UuidParams.extend({ memberId: z.uuid() }),
        body: RefusalConsentBody,
        response: { 201: z.object({ deletionProcessId: z.uuid() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = req.principal;
      const campaign = await campaignOf(db, req.params.id, p);
      const province = await orgOf(db, campaign.province_id);
      authorize(p, 'campaign.review', { orgPath: province.path });
      if (!(await refusalOf(db, campaign.id, req.params.memberId)))
        throw DomainError.notFound('no refusal of registration (不予注册) in this campaign waits for consent for this member');
      const consented = await recordRefusalConsent(db, {
        campaignId: campaign.id,
        memberId: req.params.memberId,
        orgId: province.id,
        actorId: p.actorId,
        reason: req.body.reason,
      });
      if (!consented) throw DomainError.conflict('R22: the consent was recorded meanwhile', 'R22');
      reply.code(201);
      return consented;
    },
  );
}

export function campaignsRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    campaignRoutes(app, deps);
    progressRoute(app, deps);
    branchRoute(app, deps);
    gradesRoute(app, deps);
    registrationsRoute(app, deps);
    cadresRoute(app, deps);
    provinceRoutes(app, deps);
    refusalConsentRoute(app, deps);
  };
}
