// Operations: Prometheus metrics of the API and the worker, and the API's readiness, on the real server and database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { createDb } from '../db';
import { buildApp } from '../api/app';
import { startWorkerMetricsServer, type WorkerMetricsServer } from '../worker/metrics';
import { call, eventually, profile, seedTree, startSystem, type System, type Tree } from './harness';

let sys: System;
let tree: Tree;
let workerServer: WorkerMetricsServer;

// Deadline 4 s; reminders 2.5 s and 1.2 s before it; escalations every 1.5 s once overdue.
const TIMING = { deadlineMs: 4000, reminderOffsetsMs: [2500, 1200], escalationIntervalMs: 1500 };

beforeAll(async () => {
  sys = await startSystem({ checkIn: TIMING });
  tree = await seedTree(sys.app);
  workerServer = await startWorkerMetricsServer({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await workerServer?.close();
  await sys?.stop();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A tolerant reader of the Prometheus text format: samples, and the family names each `# TYPE` line declares. */
function parse(text: string): { samples: Sample[]; families: string[] } {
  const samples: Sample[] = [];
  const families: string[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) \S+/.exec(line);
    if (type) families.push(type[1]!);
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, families };
}

/** The sum of a metric's samples whose labels include `match`. */
function total(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

async function scrapeApi() {
  const res = await sys.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  return parse(res.body);
}

async function scrapeWorker() {
  const res = await fetch(`http://127.0.0.1:${workerServer.port}/metrics`);
  expect(res.status).toBe(200);
  return parse(await res.text());
}

async function eventCount(processIds: string[], types: string[]): Promise<number> {
  const r = await sys.db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('process_id', 'in', processIds)
    .where('type', 'in', types)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function openCheckIns(): Promise<{ open: number; overdue: number }> {
  const r = await sys.db
    .selectFrom('processes')
    .select((eb) => [eb.fn.countAll<number>().as('open'), eb.fn.count<number>('id').filterWhere('overdue', '=', true).as('overdue')])
    .where('kind', '=', 'check-in')
    .where('closed_at', 'is', null)
    .executeTakeFirstOrThrow();
  return { open: Number(r.open), overdue: Number(r.overdue) };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

describe('metrics', () => {
  it('metrics: the API counts requests by route and status and decisions by action; the worker counts reminders and escalations as recorded; SDK metrics are served', async () => {
    const api0 = (await scrapeApi()).samples;
    const worker0 = (await scrapeWorker()).samples;

    // Three check-ins and one refused for its body; one approved, one returned, one left to run late.
    const created = [];
    for (let i = 0; i < 3; i++) {
      const r = await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec1, { branchId: tree.ids.branch1, profile: profile() });
      expect(r.status).toBe(201);
      created.push(r.body as { processId: string; memberId: string });
    }
    const [approved, returned, late] = created as [(typeof created)[0], (typeof created)[0], (typeof created)[0]];
    expect((await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec1, { branchId: tree.ids.branch1 })).status).toBe(400);
    expect((await call(sys.app, 'POST', `/api/processes/${approved.processId}/decisions`, tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
    expect(
      (await call(sys.app, 'POST', `/api/processes/${returned.processId}/decisions`, tree.tokens.sec1, { action: 'return', reason: 'wrong join date' })).status,
    ).toBe(200);
    // A second decision on a decided check-in is refused (409): counted as a conflict, not as applied.
    expect((await call(sys.app, 'POST', `/api/processes/${approved.processId}/decisions`, tree.tokens.sec1, { action: 'approve' })).status).toBe(409);

    // The late one: two reminders, overdue, and one repeated escalation.
    await eventually(async () => (await eventCount([late.processId], ['deadline.escalated'])) >= 1, 30_000, 'an escalation');

    // While it is open and overdue: the gauges match the read model (checked between two reads of it, as
    // other test files may be changing the same database).
    await eventually(
      async () => {
        const before = await openCheckIns();
        const { samples } = await scrapeApi();
        const after = await openCheckIns();
        if (before.open !== after.open || before.overdue !== after.overdue) return undefined;
        expect(total(samples, 'tuanwu_read_model_up')).toBe(1);
        expect(total(samples, 'tuanwu_open_processes', { kind: 'check-in' })).toBe(after.open);
        expect(total(samples, 'tuanwu_open_processes', { kind: 'check-in', step: 'branch-review' })).toBeGreaterThanOrEqual(1);
        expect(total(samples, 'tuanwu_overdue_processes', { kind: 'check-in' })).toBe(after.overdue);
        expect(after.overdue).toBeGreaterThanOrEqual(1);
        return true;
      },
      20_000,
      'a stable read model',
    );

    // Deciding it stops its escalations; then every reminder and escalation recorded was counted exactly once.
    expect((await call(sys.app, 'POST', `/api/processes/${late.processId}/decisions`, tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
    const ids = created.map((c) => c.processId);
    const counted = async () => {
      const w = (await scrapeWorker()).samples;
      return {
        reminders: total(w, 'tuanwu_reminders_total') - total(worker0, 'tuanwu_reminders_total'),
        escalations: total(w, 'tuanwu_escalations_total') - total(worker0, 'tuanwu_escalations_total'),
      };
    };
    const recorded = async () => ({
      reminders: await eventCount(ids, ['deadline.reminder']),
      escalations: await eventCount(ids, ['deadline.overdue', 'deadline.escalated']),
    });
    await eventually(async () => JSON.stringify(await counted()) === JSON.stringify(await recorded()), 10_000, 'counters to match the events');
    await new Promise((r) => setTimeout(r, TIMING.escalationIntervalMs + 500));
    const final = await counted();
    expect(final).toEqual(await recorded());
    expect(final.reminders).toBeGreaterThanOrEqual(2);
    expect(final.escalations).toBeGreaterThanOrEqual(2);

    // The API: requests by route pattern and status, decisions by kind, action and outcome.
    const api1 = (await scrapeApi()).samples;
    const delta = (name: string, match: Record<string, string>) => total(api1, name, match) - total(api0, name, match);
    expect(delta('tuanwu_http_requests_total', { method: 'POST', route: '/api/check-ins', status_code: '201' })).toBe(3);
    expect(delta('tuanwu_http_requests_total', { method: 'POST', route: '/api/check-ins', status_code: '400' })).toBe(1);
    expect(delta('tuanwu_http_requests_total', { method: 'POST', route: '/api/processes/:id/decisions', status_code: '200' })).toBe(3);
    expect(delta('tuanwu_http_requests_total', { method: 'POST', route: '/api/processes/:id/decisions', status_code: '409' })).toBe(1);
    expect(delta('tuanwu_http_request_duration_seconds_count', { method: 'POST', route: '/api/check-ins', status_code: '201' })).toBe(3);
    expect(delta('tuanwu_decisions_total', { kind: 'check-in', action: 'approve', outcome: 'applied' })).toBe(2);
    expect(delta('tuanwu_decisions_total', { kind: 'check-in', action: 'return', outcome: 'applied' })).toBe(1);
    expect(delta('tuanwu_decisions_total', { kind: 'check-in', action: 'approve', outcome: 'conflict' })).toBe(1);
    expect(delta('tuanwu_decisions_total', {})).toBe(4);
    // Labels carry route patterns, never an ID.
    const http = api1.filter((s) => s.name.startsWith('tuanwu_http_'));
    expect(http.length).toBeGreaterThan(0);
    expect(http.filter((s) => UUID.test(s.labels.route ?? ''))).toEqual([]);

    // The worker's endpoint: the Temporal SDK's own metrics beside ours, no family declared twice.
    const worker = await scrapeWorker();
    const names = new Set(worker.samples.map((s) => s.name));
    expect(names).toContain('temporal_worker_task_slots_available');
    expect(names).toContain('temporal_workflow_completed');
    expect(names).toContain('process_cpu_user_seconds_total');
    expect(worker.families.filter((f) => f.startsWith('tuanwu_'))).toEqual(
      expect.arrayContaining(['tuanwu_reminders_total', 'tuanwu_escalations_total', 'tuanwu_peer_requests_total']),
    );
    expect(worker.families.length).toBe(new Set(worker.families).size);
  });

  it('readyz: 200 when PostgreSQL and Temporal answer, 503 naming PostgreSQL when it does not; healthz does no I/O', async () => {
    const ready = await sys.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ ok: true, postgres: 'up', temporal: 'up' });

    const db = createDb('postgres://x@127.0.0.1:1/x');
    const app = await buildApp({ db, client: sys.env.client, config: sys.config });
    try {
      const down = await app.inject({ method: 'GET', url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toEqual({ ok: false, postgres: 'down', temporal: 'up' });
      // Liveness does not depend on the database.
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      // A scrape still answers, saying the read model is down.
      const metrics = await app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.statusCode).toBe(200);
      expect(total(parse(metrics.body).samples, 'tuanwu_read_model_up')).toBe(0);
    } finally {
      await app.close();
      await db.destroy();
    }
  });

  it('availability: while Temporal is unreachable, /readyz names it and a check-in answers 503, never 500; nothing persisted', async () => {
    const connection = await Connection.connect({ address: '127.0.0.1:1', connectTimeout: 500 }).catch(() =>
      Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }),
    );
    const client = new Client({ connection, dataConverter: sys.env.client.options.dataConverter });
    const app = await buildApp({ db: sys.db, client, config: sys.config });
    try {
      const down = await app.inject({ method: 'GET', url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toEqual({ ok: false, postgres: 'up', temporal: 'down' });
      const p = profile();
      const r = await call(app, 'POST', '/api/check-ins', tree.tokens.sec1, { branchId: tree.ids.branch1, profile: p });
      expect(r.status, JSON.stringify(r.body)).toBe(503);
      expect(r.body.error).toBe('unavailable');
      expect(await sys.db.selectFrom('members').select('id').where('id_number', '=', p.idNumber).execute()).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('metrics: /metrics and /readyz are left out of the OpenAPI spec', async () => {
    const spec = await call(sys.app, 'GET', '/openapi.json');
    expect(spec.status).toBe(200);
    const paths = Object.keys(spec.body.paths as object);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.filter((p) => ['/metrics', '/readyz', '/healthz'].includes(p))).toEqual([]);
  });
});
