// A whole Tuanwu in-process: the real API, a real worker on its own task queue, the real Temporal server
// and PostgreSQL. Free of vitest, so scripts (the history recorder) use it too.
import { randomBytes, randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { installWorkerRuntime } from '../worker/runtime';
import type { FastifyInstance } from 'fastify';
import { createDb, type Db } from '../db';
import { buildApp } from '../api/app';
import { createWorker, type Workers } from '../worker/index';
import type { Config } from '../domain/config';
import { DEFAULT_CHECK_IN_TIMING, type StepTiming } from '../domain/durations';
import { DEFAULT_TRANSFER_TIMING, type TransferTiming } from '../domain/transfers';
import { DEFAULT_GRADUATE_BASE_DATE, DEFAULT_GRADUATE_TARGETS, parseGraduateTargets } from '../domain/graduates';
import { DEFAULT_DUES_MAX_AHEAD_MONTHS } from '../domain/dues';
import { deletionTimingFromEnv, deletionWorkflowId, type AbuseWatch, type DeletionTiming } from '../domain/deletions';
import { disciplineTimingFromEnv, type DisciplineTiming, type ExpulsionApproval } from '../domain/discipline';
import { withIdCheckDigit } from '../domain/identifiers';
import { checkInWorkflowId } from '../domain/check-in';
import { createDataConverter, payloadKeysFromEnv } from '../temporal/codec';

// Tests log only errors (retried activity failures are expected in fault tests); nondeterminism is still recorded.
installWorkerRuntime('ERROR');

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
/** A fixed test key, so recorded histories replay in CI; never used outside tests. */
export const TEST_PAYLOAD_KEYS = 'test1:' + Buffer.alloc(32, 7).toString('base64');
export const payloadKeys = payloadKeysFromEnv({ TUANWU_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS });
export const dataConverter = createDataConverter(payloadKeys);

export interface System {
  app: FastifyInstance;
  db: Db;
  env: TestWorkflowEnvironment;
  config: Config;
  worker?: Workers;
  stop(): Promise<void>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
}

export interface Where {
  databaseUrl: string;
  temporalAddress: string;
  workflowBundlePath: string;
}

export interface SystemOptions {
  checkIn?: Partial<StepTiming>;
  transfer?: Partial<TransferTiming>;
  deletion?: Partial<DeletionTiming>;
  discipline?: Partial<DisciplineTiming>;
  abuse?: Partial<AbuseWatch>;
  dues?: Partial<Config['dues']>;
  memberChange?: Partial<StepTiming>;
  joinDate?: { branchReview?: Partial<StepTiming>; provinceReview?: Partial<StepTiming> };
  numbers?: Partial<Config['numbers']>;
  ageOut?: Partial<Config['ageOut']>;
  health?: Partial<Config['health']>;
  campaign?: Partial<Config['campaign']>;
  expulsionApproval?: ExpulsionApproval;
  spotCheckRate?: number;
  worker?: boolean;
  province?: string;
  peers?: Map<string, { url: string; key: Buffer }>;
}

export async function startSystemAt(where: Where, opts: SystemOptions = {}): Promise<System> {
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address: where.temporalAddress, client: { dataConverter } });
  const db = createDb(where.databaseUrl);
  const config: Config = {
    temporalAddress: where.temporalAddress,
    namespace: 'default',
    taskQueue: `test-${randomUUID()}`,
    databaseUrl: where.databaseUrl,
    apiHost: '127.0.0.1',
    apiPort: 0,
    adminToken: ADMIN_TOKEN,
    uiOrigins: ['http://127.0.0.1:8233'],
    timing: {
      checkIn: { ...DEFAULT_CHECK_IN_TIMING, ...opts.checkIn },
      transfer: { ...DEFAULT_TRANSFER_TIMING, ...opts.transfer },
      deletion: { ...deletionTimingFromEnv({}), ...opts.deletion },
      discipline: { ...disciplineTimingFromEnv({}), ...opts.discipline },
      memberChange: { ...DEFAULT_CHECK_IN_TIMING, ...opts.memberChange },
      joinDate: {
        branchReview: { ...DEFAULT_CHECK_IN_TIMING, ...opts.joinDate?.branchReview },
        provinceReview: { ...DEFAULT_CHECK_IN_TIMING, ...opts.joinDate?.provinceReview },
      },
    },
    numbers: { openAfterMs: 180 * 86_400_000, ...opts.numbers },
    ageOut: { checkEveryMs: 86_400_000, noticeMs: 30 * 86_400_000, ...opts.ageOut },
    health: { checkEveryMs: 86_400_000, ...opts.health },
    campaign: {
      reminderOffsetsMs: [3 * 86_400_000, 86_400_000],
      escalationIntervalMs: 86_400_000,
      excellentCap: null,
      fanOutPage: 500,
      startConcurrency: 32,
      ...opts.campaign,
    },
    abuse: { windowMs: 90 * 86_400_000, threshold: 0.3, minDeletions: 3, ...opts.abuse },
    dues: { checkEveryMs: 86_400_000, remindAt: 5, removeAt: 6, maxAheadMonths: DEFAULT_DUES_MAX_AHEAD_MONTHS, ...opts.dues },
    expulsionApproval: opts.expulsionApproval ?? 'parent',
    spotCheckRate: opts.spotCheckRate ?? 1,
    province: opts.province ?? 'gd',
    peers: opts.peers ?? new Map(),
    graduateTargets: parseGraduateTargets(DEFAULT_GRADUATE_TARGETS),
    graduateBaseDate: DEFAULT_GRADUATE_BASE_DATE,
  };
  const app = await buildApp({ db, client: env.client, config, payloadKeys });
  let running: Promise<void> | undefined;
  const sys: System = {
    app,
    db,
    env,
    config,
    async startWorker() {
      sys.worker = await createWorker({
        connection: env.nativeConnection,
        taskQueue: config.taskQueue,
        db,
        payloadKeys,
        province: config.province,
        peers: config.peers,
        client: env.client,
        config,
        workflowBundle: { codePath: where.workflowBundlePath },
      });
      running = sys.worker.run();
    },
    async stopWorker() {
      if (sys.worker && sys.worker.getState() === 'RUNNING') sys.worker.shutdown();
      await running;
      sys.worker = undefined;
    },
    async stop() {
      await sys.stopWorker();
      await app.close();
      await db.destroy();
      await env.teardown();
    },
  };
  if (opts.worker !== false) await sys.startWorker();
  return sys;
}

export interface CallResult<T = any> {
  status: number;
  body: T;
}

export async function call<T = any>(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<CallResult<T>> {
  const res = await app.inject({
    method,
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    ...(body !== undefined ? { payload: body as object } : {}),
  });
  return { status: res.statusCode, body: res.body ? (res.json() as T) : (undefined as T) };
}

/** A unique, valid ID number of someone born on `birth` (YYYYMMDD). */
export function idNumber(birth = '20000101'): string {
  const seq = String(Math.floor(Math.random() * 1000)).padStart(3, '0');
  const region = String(110000 + Math.floor(Math.random() * 89999)).slice(0, 6);
  return withIdCheckDigit(`${region}${birth}${seq}`);
}

export function devNumber(): string {
  return `D${randomBytes(8).toString('hex')}`;
}

export function profile(overrides: Record<string, unknown> = {}) {
  return {
    name: '张三',
    idNumber: idNumber(`2000${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}15`),
    joinDate: '2016-05-04',
    developmentNumber: devNumber(),
    phone: '13800138000',
    ...overrides,
  };
}

/**
 * province
 * ├── city1 ── county1 ── school1 ── branch1, branch2
 * └── city2 ── county2 ── branch3
 */
export interface Tree {
  ids: Record<'province' | 'city1' | 'city2' | 'county1' | 'county2' | 'school1' | 'branch1' | 'branch2' | 'branch3', string>;
  tokens: Record<'province' | 'city1' | 'county2' | 'school1' | 'sec1' | 'sec2' | 'sec3', string>;
}

export async function seedTree(app: FastifyInstance): Promise<Tree> {
  const p = `t${randomBytes(4).toString('hex')}`;
  const ids = {
    province: `${p}-gd`,
    city1: `${p}-sz`,
    city2: `${p}-gz`,
    county1: `${p}-ft`,
    county2: `${p}-th`,
    school1: `${p}-sch`,
    branch1: `${p}-b1`,
    branch2: `${p}-b2`,
    branch3: `${p}-b3`,
  };
  const orgs = [
    { id: ids.province, parentId: null, name: '团省委', kind: 'committee' },
    { id: ids.city1, parentId: ids.province, name: '深圳团市委', kind: 'committee' },
    { id: ids.city2, parentId: ids.province, name: '广州团市委', kind: 'committee' },
    { id: ids.county1, parentId: ids.city1, name: '福田区团委', kind: 'committee' },
    { id: ids.county2, parentId: ids.city2, name: '天河区团委', kind: 'committee' },
    { id: ids.school1, parentId: ids.county1, name: '某中学团委', kind: 'committee' },
    { id: ids.branch1, parentId: ids.school1, name: '高一(1)班团支部', kind: 'branch', contactPhone: '0755-12345678' },
    { id: ids.branch2, parentId: ids.school1, name: '高一(2)班团支部', kind: 'branch', contactPhone: '0755-12345679' },
    { id: ids.branch3, parentId: ids.county2, name: '某社区团支部', kind: 'branch', contactPhone: '020-12345678' },
  ];
  const imp = await call(app, 'POST', '/api/organizations/import', ADMIN_TOKEN, { organizations: orgs });
  if (imp.status !== 200) throw new Error(`import failed: ${JSON.stringify(imp.body)}`);
  const actor = async (role: string, orgId: string | null, label: string) => {
    const r = await call(app, 'POST', '/api/actors', ADMIN_TOKEN, { role, orgId, label });
    if (r.status !== 201) throw new Error(`actor failed: ${JSON.stringify(r.body)}`);
    return r.body.token as string;
  };
  const tokens = {
    province: await actor('province_admin', ids.province, 'province admin'),
    city1: await actor('committee_admin', ids.city1, 'city1 admin'),
    county2: await actor('committee_admin', ids.county2, 'county2 admin'),
    school1: await actor('committee_admin', ids.school1, 'school1 admin'),
    sec1: await actor('branch_secretary', ids.branch1, 'branch1 secretary'),
    sec2: await actor('branch_secretary', ids.branch2, 'branch2 secretary'),
    sec3: await actor('branch_secretary', ids.branch3, 'branch3 secretary'),
  };
  return { ids, tokens };
}

/** A fresh member actor (not yet linked to a member record); its first check-in links it. */
export async function newMemberToken(app: FastifyInstance): Promise<string> {
  const r = await call(app, 'POST', '/api/actors', ADMIN_TOKEN, { role: 'member', label: 'member' });
  if (r.status !== 201) throw new Error(`actor failed: ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

/** A member actor linked to the member record `memberId` (the member's own token). */
export async function memberActorToken(app: FastifyInstance, memberId: string): Promise<string> {
  const r = await call(app, 'POST', '/api/actors', ADMIN_TOKEN, { role: 'member', memberId, label: 'member' });
  if (r.status !== 201) throw new Error(`actor failed: ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Handle = ReturnType<TestWorkflowEnvironment['client']['workflow']['getHandle']>;

/**
 * The workflow's result, or, if it has not closed within `timeoutMs`, a description of where it stands
 * (status, pending activities with their attempts and last failure, the last events of its history), so a
 * stuck process fails the test with its cause instead of a bare test timeout.
 */
export async function resultWithin<R>(handle: Handle, timeoutMs: number): Promise<R | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
  const outcome = await Promise.race([handle.result() as Promise<R>, late]).finally(() => clearTimeout(timer));
  if (outcome !== 'late') return outcome;
  const desc = await handle.describe();
  const pending = (desc.raw.pendingActivities ?? []).map(
    (a) => `${a.activityType?.name ?? '?'} attempt ${a.attempt ?? 0} (${a.lastFailure?.message ?? 'no failure'})`,
  );
  const events = ((await handle.fetchHistory()).events ?? []).slice(-12).map((e) => {
    const failure = e.workflowTaskFailedEventAttributes?.failure ?? e.activityTaskFailedEventAttributes?.failure;
    return `${String(e.eventId)} ${proto.temporal.api.enums.v1.EventType[e.eventType ?? 0]}${failure ? ` (${failure.message ?? ''})` : ''}`;
  });
  return `not closed after ${timeoutMs} ms: ${desc.status.name}, ${desc.historyLength} events; pending: [${pending.join('; ')}]; last events: [${events.join(', ')}]`;
}

/**
 * After any fault: each process completed approved, its event log matches the workflow's own counts
 * (nothing lost, nothing written twice), and the read model and member record agree with the log.
 */
export async function expectApprovedAndConsistent(
  sys: System,
  created: { processId: string; memberId: string }[],
  resultTimeoutMs = 120_000,
): Promise<string[]> {
  const problems: string[] = [];
  const until = Date.now() + resultTimeoutMs; // one budget for all: a stuck process costs it once, not per process
  for (const c of created) {
    const handle = sys.env.client.workflow.getHandle(checkInWorkflowId(c.memberId));
    const result = await resultWithin<{ processId: string; status: string }>(handle, Math.max(1_000, until - Date.now()));
    if (typeof result === 'string') {
      problems.push(`${c.processId}: ${result}`);
      continue;
    }
    if (result.status !== 'approved' || result.processId !== c.processId) problems.push(`${c.processId}: result ${JSON.stringify(result)}`);
    const state = (await handle.query('state')) as { remindersSent: number; escalations: number };
    const events = await sys.db.selectFrom('events').select('type').where('process_id', '=', c.processId).execute();
    const count = (t: string) => events.filter((e) => e.type === t).length;
    const expect = (what: string, got: unknown, want: unknown) =>
      got !== want && problems.push(`${c.processId}: ${what} ${String(got)}, expected ${String(want)}`);
    expect('submitted events', count('check-in.submitted'), 1);
    expect('approved events', count('check-in.approved'), 1);
    expect('reminder events', count('deadline.reminder'), state.remindersSent);
    expect('overdue+escalation events', count('deadline.overdue') + count('deadline.escalated'), state.escalations);
    const row = await sys.db.selectFrom('processes').selectAll().where('id', '=', c.processId).executeTakeFirstOrThrow();
    expect('read-model status', row.status, 'approved');
    expect('read-model overdue', row.overdue, false);
    expect('read-model closed', row.closed_at !== null, true);
    const member = await sys.db.selectFrom('members').select('status').where('id', '=', c.memberId).executeTakeFirstOrThrow();
    expect('member status', member.status, 'active');
  }
  return problems;
}

/** An active member of `branchId`: checked in by the branch's secretary and approved (R1). */
export async function activeMember(app: FastifyInstance, branchId: string, secretaryToken: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const created = await call(app, 'POST', '/api/check-ins', secretaryToken, { branchId, profile: profile(overrides) });
  if (created.status !== 201) throw new Error(`check-in failed: ${JSON.stringify(created.body)}`);
  const approved = await call(app, 'POST', `/api/processes/${created.body.processId}/decisions`, secretaryToken, { action: 'approve' });
  if (approved.status !== 200) throw new Error(`approval failed: ${JSON.stringify(approved.body)}`);
  return created.body.memberId as string;
}

/** Imports organizations below the seeded tree. */
export async function importOrgs(app: FastifyInstance, orgs: Record<string, unknown>[]): Promise<void> {
  const r = await call(app, 'POST', '/api/organizations/import', ADMIN_TOKEN, { organizations: orgs });
  if (r.status !== 200) throw new Error(`import failed: ${JSON.stringify(r.body)}`);
}

export async function actorToken(app: FastifyInstance, role: string, orgId: string | null, label = role): Promise<string> {
  const r = await call(app, 'POST', '/api/actors', ADMIN_TOKEN, { role, orgId, label });
  if (r.status !== 201) throw new Error(`actor failed: ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

/** The `call`/`seedTree` helpers against an API running in another process, over real HTTP. */
export function httpApp(base: string): FastifyInstance {
  const inject = async (o: { method: string; url: string; headers?: Record<string, string>; payload?: object }) => {
    const res = await fetch(base + o.url, {
      method: o.method,
      headers: { ...(o.payload !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers },
      ...(o.payload !== undefined ? { body: JSON.stringify(o.payload) } : {}),
      signal: AbortSignal.timeout(60_000),
    });
    const body = await res.text();
    return { statusCode: res.status, body, json: () => JSON.parse(body) as unknown };
  };
  return { inject } as unknown as FastifyInstance;
}

export interface Spawned {
  child: ChildProcess;
  /** The last lines it printed (stdout and stderr), for a failure message. */
  output(): string;
  alive(): boolean;
  /** Sends `signal` and waits for the exit; answers the exit code (or the signal that ended it). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

/** Runs `npm run api` or `npm run worker` as its own process (node + tsx, as the npm scripts do). */
export function spawnTuanwu(what: 'api' | 'worker', env: Record<string, string>): Spawned {
  const entry = what === 'api' ? 'api/main.ts' : 'worker/main.ts';
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    child,
    output: () => out,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode!;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Waits until GET `url` answers 200. */
export async function waitForHttp(url: string, timeoutMs = 120_000, spawned?: Spawned): Promise<void> {
  await eventually(
    async () => {
      if (spawned && !spawned.alive()) throw new Error(`exited: ${spawned.output().slice(-3000)}`);
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      return r?.status === 200;
    },
    timeoutMs,
    `${url} to answer`,
  );
}

/** R12: the organization-import row of a graduate branch of the 2026 cohort. */
export function graduateBranchRow(id: string, parentId: string): Record<string, unknown> {
  return {
    id,
    parentId,
    name: '2026届毕业生团支部',
    kind: 'branch',
    specialKind: 'graduate',
    graduationDate: '2026-06-30',
    contactPhone: '0755-22223333',
  };
}

/** R12: a graduate branch of the 2026 cohort, imported below `parentId` under a fresh ID, and its secretary's token. */
export async function graduateBranch(app: FastifyInstance, parentId: string): Promise<{ id: string; secretary: string }> {
  const id = `${parentId}-g26${randomBytes(2).toString('hex')}`;
  await importOrgs(app, [graduateBranchRow(id, parentId)]);
  return { id, secretary: await actorToken(app, 'branch_secretary', id) };
}

/**
 * R12: `n` active members of a graduate branch (named from `names` in turn, if given). With `since`, they are
 * made to look approved then: a day before the cohort's base date (06-01) puts them in its base.
 */
export async function graduateMembers(
  sys: Pick<System, 'app' | 'db'>,
  branch: { id: string; secretary: string },
  n: number,
  o: { since?: string; names?: readonly string[] } = {},
): Promise<{ memberId: string; idNumber: string }[]> {
  const out: { memberId: string; idNumber: string }[] = [];
  for (let i = 0; i < n; i++) {
    const id = idNumber('20000301');
    const name = o.names ? { name: o.names[i % o.names.length] } : {};
    out.push({ memberId: await activeMember(sys.app, branch.id, branch.secretary, { idNumber: id, ...name }), idNumber: id });
  }
  if (o.since !== undefined && out.length > 0) {
    await sys.db
      .updateTable('members')
      .set({ locked_at: o.since })
      .where(
        'id',
        'in',
        out.map((g) => g.memberId),
      )
      .execute();
  }
  return out;
}

/**
 * R14: an active member of `branch` (a branch in `tree`'s city1) deleted to the end: applied for by its
 * secretary, approved by the city and by the province, and the workflow ended (R17's watch runs before it ends).
 */
export async function deletedMember(
  sys: System,
  tree: Tree,
  branch: { id: string; secretary: string },
  o: { reason?: string; profile?: Record<string, unknown> } = {},
): Promise<{ memberId: string; processId: string }> {
  const memberId = await activeMember(sys.app, branch.id, branch.secretary, o.profile);
  const applied = await call(sys.app, 'POST', '/api/deletions', branch.secretary, { memberId, category: 'left', reason: o.reason ?? 'moved away for good' });
  if (applied.status !== 201) throw new Error(`deletion failed: ${JSON.stringify(applied.body)}`);
  const processId = applied.body.processId as string;
  for (const token of [tree.tokens.city1, tree.tokens.province]) {
    const approved = await call(sys.app, 'POST', `/api/processes/${processId}/decisions`, token, { action: 'approve' });
    if (approved.status !== 200) throw new Error(`deletion approval failed: ${JSON.stringify(approved.body)}`);
  }
  await sys.env.client.workflow.getHandle(deletionWorkflowId(memberId)).result();
  return { memberId, processId };
}

/**
 * R22: a campaign plan for tests: both phases started yesterday (an office day), each ending `evaluationMs` /
 * `registrationMs` from now (instants: short runs); `extra` is merged in (targets, deadlines per level, the cap).
 */
export function testCampaignPlan(
  o: {
    year?: number;
    evaluationMs?: number;
    registrationMs?: number;
    evaluation?: Record<string, unknown>;
    registration?: Record<string, unknown>;
    extra?: Record<string, unknown>;
  } = {},
) {
  const yesterday = new Date(Date.now() + 8 * 3_600_000 - 86_400_000).toISOString().slice(0, 10);
  const at = (ms: number) => new Date(Date.now() + ms).toISOString();
  return {
    year: o.year ?? new Date().getUTCFullYear(),
    evaluation: { startsOn: yesterday, endsOn: at(o.evaluationMs ?? 3_600_000), deadlines: [], targets: [], ...o.evaluation } as Record<string, unknown>,
    registration: { startsOn: yesterday, endsOn: at(o.registrationMs ?? 7_200_000), deadlines: [], targets: [], ...o.registration } as Record<string, unknown>,
    ...o.extra,
  };
}

/** R22: the tree's province opens a campaign (`plan`, testCampaignPlan's by default); answers once it has fanned out, with each branch's task process. */
export async function openTestCampaign(
  sys: Pick<System, 'app' | 'db'>,
  tree: Tree,
  plan: Record<string, unknown> = testCampaignPlan(),
): Promise<{ campaignId: string; tasks: Record<'branch1' | 'branch2' | 'branch3', string> }> {
  const opened = await call(sys.app, 'POST', '/api/campaigns', tree.tokens.province, plan);
  if (opened.status !== 201) throw new Error(`campaign open failed: ${JSON.stringify(opened.body)}`);
  const campaignId = opened.body.campaignId as string;
  await eventually(
    async () => (await sys.db.selectFrom('campaigns').select('fanned_out_at').where('id', '=', campaignId).executeTakeFirst())?.fanned_out_at ?? undefined,
    60_000,
    'the campaign to fan out',
  );
  const rows = await sys.db.selectFrom('campaign_tasks').select(['org_id', 'process_id']).where('campaign_id', '=', campaignId).execute();
  const task = (id: string) => rows.find((r) => r.org_id === id)?.process_id ?? '';
  return { campaignId, tasks: { branch1: task(tree.ids.branch1), branch2: task(tree.ids.branch2), branch3: task(tree.ids.branch3) } };
}

/** R23: a reward as a branch or a committee enters it (POST /api/members/:id/awards), with `over` merged in. */
export function testAward(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'reward',
    kind: '优秀共青团员',
    level: 'school',
    decidedOn: '2025-05-04',
    decidingOrg: '某中学团委',
    documentNumber: '校团发〔2025〕3号',
    ...over,
  };
}

/**
 * R18: opens a case on `memberId` in branch1 and takes it through verification, the talk and the branch meeting's
 * decision (`sanction`, with its materials): the case then waits at the approval step. Returns the case.
 */
export async function caseAtApproval(sys: System, tree: Tree, memberId: string, sanction: string, extra: Record<string, unknown> = {}): Promise<string> {
  const sec = tree.tokens.sec1;
  const opened = await call(sys.app, 'POST', '/api/discipline', sec, { memberId, grounds: 'misconduct', details: 'repeated absence from league life' });
  if (opened.status !== 201) throw new Error(`case failed: ${JSON.stringify(opened.body)}`);
  const id = opened.body.processId as string;
  await call(sys.app, 'POST', `/api/processes/${id}/decisions`, sec, { action: 'approve' });
  await call(sys.app, 'POST', `/api/discipline/${id}/talk`, sec, { heldOn: '2026-11-01', summary: 'talked with the member' });
  const upload = await sys.app.inject({
    method: 'POST',
    url: `/api/discipline/${id}/materials`,
    headers: { authorization: `Bearer ${sec}`, 'content-type': 'application/pdf', 'x-filename': 'minutes.pdf' },
    payload: Buffer.from(`%PDF-1.4 minutes of the branch meeting ${id}`),
  });
  const decided = await call(sys.app, 'POST', `/api/discipline/${id}/decision`, sec, {
    heldOn: '2026-11-05',
    sanction,
    materialIds: [upload.json().id],
    summary: 'decided by the branch meeting',
    ...extra,
  });
  if (decided.status !== 200) throw new Error(`meeting failed: ${JSON.stringify(decided.body)}`);
  return id;
}
