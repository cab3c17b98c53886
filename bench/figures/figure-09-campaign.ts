// Figure 9 (issue 14): an R22 campaign at scale, on the bench's tree of BENCH_ORGS organizations (~48,000 branches).
// The province opens the year's campaign through the API (POST /api/campaigns, as the province admin of `bp`) with
// the worker in a process of its own (the production defaults for its workflow cache; the V8 heap limit of
// docs/deploy.md), and the bench measures:
// - the fan-out: from the request until campaigns.fanned_out_at is set, as branch tasks/s; and until every task's
//   first workflow task has run (they all wait on their deadlines);
// - the largest histories, in events: the campaign workflow, each partition's fan-out (every run, if one continued
//   as new), and a sample of tasks;
// - the worker's RSS while every task waits on its deadline (VmRSS after the fan-out, and its peak VmHWM);
// - the progress query's p95 (GET /api/campaigns/{id}/progress) for the province and for a city, through the HTTP
//   handler, over BENCH_CAMPAIGN_CALLS calls each, after SQL has moved tasks to a mix of steps.
// TUANWU_CAMPAIGN_FAN_OUT_PAGE / TUANWU_CAMPAIGN_START_CONCURRENCY, when set, replace the API's values (the
// campaign's input carries them to the fan-out).
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { sql } from 'kysely';
import proto from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { ADMIN_TOKEN, call, testCampaignPlan, type System } from '../../test/system';
import { campaignFanOutWorkflowId, campaignTaskWorkflowId } from '../../domain/workflow-ids';
import { byPattern, cpuProfile } from '../cpu';
import type { Figure, FigureResult } from '../figure';
import { summarize } from '../stats';
import { campaignTaskQueue } from '../../domain/task-queues';

interface CampaignBenchTree {
  orgCount: number;
  /** The tree's branches (ids), in the order seedTree made them. */
  branches: string[];
  cities: string[];
  /** A committee admin's token for each city, in the same order. */
  cityTokens: string[];
}

interface CampaignBenchDeps {
  sys: System;
  /** Starts a worker process of its own polling `queue`; resolves once it polls. */
  spawnWorker(queue: string): Promise<ChildProcess>;
  sizes: { calls: number };
  log: (m: string) => void;
}

const TARGET_RATE = 200;
const TARGET_RSS = 2 ** 30;
const TARGET_MS = 50;
const MiB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** VmRSS and VmHWM of a process, in bytes (0 once it is gone). */
function memoryOf(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** CPU ticks of a process (utime + stime). */
function ticksOf(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** The whole machine's busy cores over a window (every process: ours and the other helpers'). */
function machineBusy(): () => number {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3]! + f[4]!;
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const start = read();
  const t0 = Date.now();
  return () => {
    const end = read();
    const busy = end.total - start.total - (end.idle - start.idle);
    return busy / 100 / ((Date.now() - t0) / 1000);
  };
}

/** The workflow task queue's backlog (tasks not yet handed to a worker), if the server reports it. */
async function backlog(client: Client, queue: string): Promise<number | undefined> {
  try {
    const r = await client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: queue },
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      reportStats: true,
    });
    const n = r.stats?.approximateBacklogCount;
    return n === undefined || n === null ? undefined : Number(n);
  } catch {
    return undefined;
  }
}

/**
 * Opens the campaign through the API and waits until it has fanned out (campaigns.fanned_out_at), then until the
 * worker is idle (the queue's backlog empty, the worker under a tenth of a core for 5 s): every task has run its
 * first workflow task and waits on its deadline.
 */
async function fanOut(d: CampaignBenchDeps, worker: ChildProcess, provinceToken: string) {
  const { sys, log } = d;
  const pid = worker.pid!;
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, memoryOf(pid).rss)), 500);
  const cpu = cpuProfile({
    'temporal server': byPattern('temporal server start-dev'),
    postgres: byPattern('postgres'),
    'API process (this)': () => [process.pid],
    'worker process': () => [pid],
  });
  const machine = machineBusy();
  const load = loadavg()[0]!;
  const plan = testCampaignPlan({ evaluationMs: 30 * 86_400_000, registrationMs: 60 * 86_400_000 });
  const t0 = Date.now();
  const opened = await call(sys.app, 'POST', '/api/campaigns', provinceToken, plan);
  if (opened.status !== 201) throw new Error(`campaign open failed: ${opened.status} ${JSON.stringify(opened.body)}`);
  const openMs = Date.now() - t0;
  const { campaignId, workflowId } = opened.body as { campaignId: string; workflowId: string };
  let fannedOutAt: Date | null = null;
  let lastLog = Date.now();
  while (fannedOutAt === null) {
    await sleep(500);
    const row = await sys.db.selectFrom('campaigns').select(['fanned_out_at', 'tasks']).where('id', '=', campaignId).executeTakeFirstOrThrow();
    fannedOutAt = row.fanned_out_at;
    if (Date.now() - lastLog > 15_000) {
      lastLog = Date.now();
      const n = await sys.db
        .selectFrom('campaign_tasks')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('campaign_id', '=', campaignId)
        .executeTakeFirstOrThrow();
      log(`figure 9: ${n.n} task rows after ${((Date.now() - t0) / 1000).toFixed(0)} s; worker RSS ${MiB(memoryOf(pid).rss)}`);
    }
    if (Date.now() - t0 > 60 * 60_000) throw new Error('figure 9: the campaign did not fan out within an hour');
  }
  const fanOutMs = fannedOutAt.getTime() - t0;
  const fanOutCpu = cpu();
  const fanOutMachine = machine();
  const fanOutLoad = [load, loadavg()[0]!];
  log(`figure 9: fanned out after ${fanOutMs} ms; waiting for the worker to go idle`);
  const settledMs = await workerIdle(d, pid, t0);
  clearInterval(sampler);
  const { tasks } = await sys.db.selectFrom('campaigns').select('tasks').where('id', '=', campaignId).executeTakeFirstOrThrow();
  return { campaignId, workflowId, tasks, openMs, fanOutMs, settledMs, peakRss, cpu: fanOutCpu, machineBusyCores: fanOutMachine, loadavg1: fanOutLoad };
}

/** Waits until both queues' backlogs (the processes' and the campaign tasks') are empty and the worker used under 0.1 core over 5 s; ms since t0. */
async function workerIdle(d: CampaignBenchDeps, pid: number, t0: number): Promise<number> {
  for (;;) {
    const before = ticksOf(pid);
    await sleep(5000);
    const cores = (ticksOf(pid) - before) / 100 / 5;
    const queued = await Promise.all([d.sys.config.taskQueue, campaignTaskQueue(d.sys.config.taskQueue)].map((q) => backlog(d.sys.env.client, q)));
    if (cores < 0.1 && queued.every((n) => n === undefined || n === 0)) return Date.now() - 5000 - t0;
    if (Date.now() - t0 > 90 * 60_000) throw new Error('figure 9: the worker did not go idle');
  }
}

/** A history as far as the bench reads it: its events, and the run its first event continues. */
interface RunHistory {
  events?: { workflowExecutionStartedEventAttributes?: { continuedExecutionRunId?: string | null } | null }[] | null;
}

/** Events of every run of a workflow, newest run first (a fan-out that continued as new has several). */
async function runsOf(client: Client, workflowId: string): Promise<number[]> {
  const sizes: number[] = [];
  let runId: string | undefined = undefined;
  for (;;) {
    const history: RunHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    sizes.push(events.length);
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    if (!runId) return sizes;
  }
}

async function histories(d: CampaignBenchDeps, t: CampaignBenchTree, workflowId: string) {
  const client = d.sys.env.client;
  const campaign = (await runsOf(client, workflowId))[0]!;
  const partitions = await d.sys.db.selectFrom('organizations').select('id').where('parent_id', '=', 'bp').orderBy('path').execute();
  const fanOuts = await Promise.all(
    partitions.map(async (p) => {
      const id = campaignFanOutWorkflowId(workflowId, 'open', p.id);
      const runs = await runsOf(client, id);
      return { workflowId: id, runs: runs.length, events: runs.reduce((a, b) => a + b, 0), largestRun: Math.max(...runs) };
    }),
  );
  // A sample of tasks spread over the tree (each waits on its first deadline: all alike).
  const sample = Array.from({ length: 20 }, (_, i) => t.branches[Math.floor((i * t.branches.length) / 20)]!);
  const tasks = await Promise.all(sample.map(async (b) => (await runsOf(client, campaignTaskWorkflowId(workflowId, b)))[0]!));
  const largestFanOut = fanOuts.reduce((a, b) => (b.largestRun > a.largestRun ? b : a));
  return { campaign, fanOuts, largestFanOut, task: Math.max(...tasks), continuedAsNew: fanOuts.filter((f) => f.runs > 1).length };
}

/** Moves tasks to a mix of steps by SQL: a third handed in for review, a seventh confirmed, a tenth done, a twentieth overdue. */
async function mixSteps(s: System, campaignId: string): Promise<void> {
  await sql`
    with t as (select org_id, row_number() over (order by org_path) as n from campaign_tasks where campaign_id = ${campaignId})
    update campaign_tasks c set
      step = case when t.n % 10 = 0 then 'done' when t.n % 3 = 0 then 'evaluation-review' when t.n % 7 = 1 then 'registration' else c.step end,
      evaluated_at = case when t.n % 10 = 0 or t.n % 3 = 0 or t.n % 7 = 1 then now() end,
      confirmed_at = case when t.n % 10 = 0 or (t.n % 7 = 1 and t.n % 3 <> 0) then now() end,
      registered_at = case when t.n % 10 = 0 then now() end,
      closed_at = case when t.n % 10 = 0 then now() end,
      overdue = t.n % 20 = 5,
      members_total = 20 + (t.n % 11)::int,
      members_evaluated = case when t.n % 10 = 0 or t.n % 3 = 0 then 20 + (t.n % 11)::int else (t.n % 5)::int end,
      members_registered = case when t.n % 10 = 0 then 20 + (t.n % 11)::int else 0 end
    from t where c.campaign_id = ${campaignId} and c.org_id = t.org_id`.execute(s.db);
  // As figure 8: the bench's PostgreSQL commits asynchronously; a checkpoint and VACUUM make the pages all-visible
  // now rather than when autovacuum gets there.
  await sql`checkpoint`.execute(s.db);
  await sql`vacuum analyze campaign_tasks`.execute(s.db);
}

async function timeProgress(s: System, campaignId: string, calls: number, who: (i: number) => { orgId: string; token: string }) {
  const ms: number[] = [];
  let sample: unknown;
  for (let i = 0; i < calls; i++) {
    const { orgId, token } = who(i);
    const start = performance.now();
    const r = await call(s.app, 'GET', `/api/campaigns/${campaignId}/progress?orgId=${orgId}`, token);
    ms.push(performance.now() - start);
    if (r.status !== 200) throw new Error(`progress failed: ${r.status} ${JSON.stringify(r.body)}`);
    sample ??= r.body;
  }
  return { ms: summarize(ms), sample };
}

async function progress(d: CampaignBenchDeps, t: CampaignBenchTree, campaignId: string, provinceToken: string) {
  await mixSteps(d.sys, campaignId);
  const province = () => ({ orgId: 'bp', token: provinceToken });
  const city = (i: number) => ({ orgId: t.cities[i % t.cities.length]!, token: t.cityTokens[i % t.cities.length]! });
  await timeProgress(d.sys, campaignId, 10, province); // warm-up
  await timeProgress(d.sys, campaignId, 10, city);
  const p = await timeProgress(d.sys, campaignId, d.sizes.calls, province);
  const c = await timeProgress(d.sys, campaignId, d.sizes.calls, city);
  return { province: p, city: c };
}

/** 9. An R22 campaign over the bench tree: fan-out rate, histories, the worker's RSS, the progress query. */
async function measure(d: CampaignBenchDeps, t: CampaignBenchTree): Promise<FigureResult[]> {
  const { sys, log } = d;
  const knob = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  sys.config.campaign.fanOutPage = knob('TUANWU_CAMPAIGN_FAN_OUT_PAGE') ?? sys.config.campaign.fanOutPage;
  sys.config.campaign.startConcurrency = knob('TUANWU_CAMPAIGN_START_CONCURRENCY') ?? sys.config.campaign.startConcurrency;
  const { fanOutPage, startConcurrency } = sys.config.campaign;
  const provinceToken = (await call(sys.app, 'POST', '/api/actors', ADMIN_TOKEN, { role: 'province_admin', orgId: 'bp', label: 'bench' })).body.token as string;
  // The worker in a process of its own, as in production; the API process only serves HTTP.
  await sys.stopWorker();
  const worker = await d.spawnWorker(sys.config.taskQueue);
  try {
    const f = await fanOut(d, worker, provinceToken);
    const mem = memoryOf(worker.pid!);
    log(`figure 9: ${f.tasks} tasks waiting; worker RSS ${MiB(mem.rss)}, peak ${MiB(mem.hwm)}`);
    const h = await histories(d, t, f.workflowId);
    const p = await progress(d, t, f.campaignId, provinceToken);
    const rate = (f.tasks * 1000) / f.fanOutMs;
    const settledRate = (f.tasks * 1000) / f.settledMs;
    const knobs = { fanOutPage, startConcurrency, partitions: h.fanOuts.length };
    const load = { cpu: f.cpu, machineBusyCores: f.machineBusyCores.toFixed(2), loadavg1: f.loadavg1 };
    log('figure 9 done');
    return [
      {
        figure: `9a. campaign fan-out to every branch (${t.orgCount} orgs, ${f.tasks} branch tasks; page ${fanOutPage}, ${startConcurrency} starts in flight)`,
        value: `${rate.toFixed(0)} tasks/s (fanned out in ${(f.fanOutMs / 1000).toFixed(1)} s; all waiting after ${(f.settledMs / 1000).toFixed(1)} s = ${settledRate.toFixed(0)}/s)`,
        target: `>= ${TARGET_RATE}/s`,
        met: rate >= TARGET_RATE,
        detail: { ...knobs, ...load, tasks: f.tasks, openRequestMs: f.openMs, fanOutMs: f.fanOutMs, settledMs: f.settledMs, rate, settledRate },
      },
      {
        figure: '9b. largest histories of the campaign (events)',
        value: `campaign ${h.campaign}; fan-out ${h.largestFanOut.largestRun} (${h.largestFanOut.workflowId}, ${h.continuedAsNew} of ${h.fanOuts.length} continued as new); task ${h.task}`,
        target: '(reported)',
        met: null,
        detail: {
          campaign: h.campaign,
          fanOuts: h.fanOuts,
          task: h.task,
          note: 'fetchHistory().events.length; a fan-out that continued as new: each run counted',
        },
      },
      {
        figure: `9c. worker RSS while ${f.tasks} branch tasks wait on their deadlines (cache: production default)`,
        value: `VmRSS ${MiB(mem.rss)} after the fan-out; peak VmHWM ${MiB(mem.hwm)} (sampled max during fan-out ${MiB(f.peakRss)})`,
        target: '<= 1 GiB',
        met: mem.hwm <= TARGET_RSS,
        detail: { rssBytes: mem.rss, hwmBytes: mem.hwm, sampledPeakBytes: f.peakRss },
      },
      {
        figure: `9d. campaign progress query (${f.tasks} tasks; mixed steps by SQL)`,
        value: `province p50 ${p.province.ms.p50.toFixed(1)} ms, p95 ${p.province.ms.p95.toFixed(1)} ms; a city p50 ${p.city.ms.p50.toFixed(1)} ms, p95 ${p.city.ms.p95.toFixed(1)} ms`,
        target: `p95 <= ${TARGET_MS} ms`,
        met: p.province.ms.p95 <= TARGET_MS && p.city.ms.p95 <= TARGET_MS,
        detail: {
          province: p.province.ms,
          city: p.city.ms,
          sampleProvince: p.province.sample,
          note: 'GET /api/campaigns/{id}/progress through the HTTP handler (in-process inject); cities in turn, by their own admins',
        },
      },
    ];
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => (worker.exitCode !== null ? r(null) : worker.once('exit', r)));
    await sys.startWorker();
  }
}

export const figure09: Figure = {
  id: 9,
  title: 'an R22 campaign fanned out over the tree',
  run: (b) =>
    measure(
      {
        sys: b.sys,
        // A process of its own with the V8 heap limit docs/deploy.md gives workers, the cache left to its default.
        spawnWorker: async (queue) => {
          const child = b.spawnWorker(queue, {}, [`--max-old-space-size=${b.sizes.heapMb}`]);
          await b.polling(child);
          return child;
        },
        sizes: { calls: b.sizes.campaignCalls },
        log: b.log,
      },
      { orgCount: b.tree.orgCount, branches: b.tree.branches.map((br) => br.id), cities: b.tree.cities, cityTokens: b.tree.tokens.city },
    ),
};
