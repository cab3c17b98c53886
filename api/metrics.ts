// The API's Prometheus metrics: requests by route pattern and status, decisions by action and outcome, and
// figures of the read model computed at scrape time. GET /metrics carries no auth and is hidden from the
// OpenAPI spec: operators scrape it on the internal network (keep the API's port internal, or block the path
// at the edge). In `npm start` the worker shares this process's registry, so its counters show here too.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db';
import { DecisionAction, ProcessKind } from '../domain/processes';
import { metricsRegistry } from '../runtime/metrics';

interface ApiMetrics {
  requests: Counter<'method' | 'route' | 'status_code'>;
  duration: Histogram<'method' | 'route' | 'status_code'>;
  decisions: Counter<'kind' | 'action' | 'outcome'>;
}

const KEY = Symbol.for('tuanwu.metrics.api');

/** Registered once per process, whatever the number of apps built (tests build several). */
function apiMetrics(): ApiMetrics {
  const g = globalThis as unknown as Record<symbol, ApiMetrics | undefined>;
  const registers = [metricsRegistry()];
  return (g[KEY] ??= {
    requests: new Counter({
      name: 'tuanwu_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern (no IDs) and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      registers,
    }),
    duration: new Histogram({
      name: 'tuanwu_http_request_duration_seconds',
      help: 'HTTP request duration, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    decisions: new Counter({
      name: 'tuanwu_decisions_total',
      help: 'Decisions sent to POST /api/processes/{id}/decisions, by process kind, action and outcome (applied, or the refusal)',
      labelNames: ['kind', 'action', 'outcome'] as const,
      registers,
    }),
  });
}

const DECISION_ACTIONS = new Set<string>(DecisionAction.options);
const KINDS = new Set<string>(ProcessKind.options);
const OUTCOMES: Record<number, string> = {
  200: 'applied',
  400: 'invalid',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  422: 'refused',
  503: 'unavailable',
};

/** Counts one answered decision request; labels are bounded whatever the request carried. */
export function countDecision(kind: string | undefined, action: unknown, status: number): void {
  apiMetrics().decisions.inc({
    kind: kind && KINDS.has(kind) ? kind : 'unknown',
    action: typeof action === 'string' && DECISION_ACTIONS.has(action) ? action : 'invalid',
    outcome: OUTCOMES[status] ?? (status >= 500 ? 'error' : String(status)),
  });
}

/** Hooks every route registered after it (call before registering routes) and serves GET /metrics. */
export function metricsRoutes(app: FastifyInstance, db: Db): void {
  const m = apiMetrics();
  app.addHook('onResponse', async (req, reply) => {
    const labels = { method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) };
    m.requests.inc(labels);
    m.duration.observe(labels, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const [own, figures] = await Promise.all([metricsRegistry().metrics(), readModelFigures(db)]);
    return reply.type(metricsRegistry().contentType).send(`${own.endsWith('\n') ? own : `${own}\n`}${figures}`);
  });
}

/**
 * Open processes by kind and step, overdue ones by kind: one grouped query over the open rows, at each scrape,
 * into a registry of its own (so concurrent scrapes and several apps never share gauge state). A read model that
 * does not answer within 2 s gives `tuanwu_read_model_up 0` and no figures, never a failed scrape.
 */
async function readModelFigures(db: Db): Promise<string> {
  const registry = new Registry();
  const up = new Gauge({ name: 'tuanwu_read_model_up', help: 'Whether the read model answered this scrape', registers: [registry] });
  const open = new Gauge({
    name: 'tuanwu_open_processes',
    help: 'Open processes, by kind and current step',
    labelNames: ['kind', 'step'] as const,
    registers: [registry],
  });
  const overdue = new Gauge({
    name: 'tuanwu_overdue_processes',
    help: 'Open processes past their deadline, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const query = db
    .selectFrom('processes')
    .select(['kind', 'step', (eb) => eb.fn.countAll<number>().as('open'), sql<number>`count(*) filter (where overdue)`.as('overdue')])
    .where('closed_at', 'is', null)
    .groupBy(['kind', 'step'])
    .execute();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), 2000);
  });
  try {
    const rows = await Promise.race([query, timeout]);
    const late = new Map<string, number>();
    for (const r of rows) {
      open.set({ kind: r.kind, step: r.step }, Number(r.open));
      late.set(r.kind, (late.get(r.kind) ?? 0) + Number(r.overdue));
    }
    for (const [kind, n] of late) overdue.set({ kind }, n);
    up.set(1);
  } catch {
    query.catch(() => {});
    up.set(0);
  } finally {
    clearTimeout(timer);
  }
  return registry.metrics();
}
