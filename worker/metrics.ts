// Prometheus metrics. One prom-client registry per process, shared by the API and the worker (`npm start` runs
// both in one process), kept on globalThis so a module evaluated twice never registers a metric twice (prom-client
// throws on that). Here also: the worker's domain counters, incremented by activities (this module imports only
// prom-client and node:http, never the API), and the worker's own /metrics server, which serves this registry
// together with the Temporal SDK's metrics (Core's Prometheus exporter, bound on loopback by worker/runtime.ts).
// Names never collide: ours are `tuanwu_*`, prom-client's defaults `process_*`/`nodejs_*`, Core's `temporal_*`.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

interface Shared {
  registry: Registry;
  worker?: WorkerMetrics;
  coreAddress?: string;
}

const KEY = Symbol.for('tuanwu.metrics');

function shared(): Shared {
  const g = globalThis as unknown as Record<symbol, Shared | undefined>;
  let s = g[KEY];
  if (!s) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    s = { registry };
    g[KEY] = s;
  }
  return s;
}

/** This process's registry (API and worker metrics, and Node's process metrics). */
export function metricsRegistry(): Registry {
  return shared().registry;
}

export interface WorkerMetrics {
  reminders: Counter;
  escalations: Counter;
  peerRequests: Counter<'province' | 'message' | 'outcome'>;
  /** R25: the violations the last invariant check found, per invariant (domain/invariants.ts). */
  invariantViolations: Gauge<'invariant'>;
}

/**
 * The worker's domain counters, registered on first use (an API-only process never shows them). Each counts a
 * state change only when it was newly applied (`recordOnce` answered `applied`), so activity retries never count
 * twice.
 */
export function workerMetrics(): WorkerMetrics {
  const s = shared();
  s.worker ??= {
    reminders: new Counter({
      name: 'tuanwu_reminders_total',
      help: 'Deadline reminders recorded (deadline.reminder events newly applied)',
      registers: [s.registry],
    }),
    escalations: new Counter({
      name: 'tuanwu_escalations_total',
      help: 'Escalations recorded: a step becoming overdue (deadline.overdue) and each repeat while overdue (deadline.escalated)',
      registers: [s.registry],
    }),
    peerRequests: new Counter({
      name: 'tuanwu_peer_requests_total',
      help: "Messages sent to another province's system (R10), by outcome: ok, retry (5xx, 408, 429), refused (other 4xx), unreachable",
      labelNames: ['province', 'message', 'outcome'] as const,
      registers: [s.registry],
    }),
    invariantViolations: new Gauge({
      name: 'tuanwu_invariant_violations',
      help: 'R25 violations found by the last daily invariant check, per invariant (each also a data problem of the province)',
      labelNames: ['invariant'] as const,
      registers: [s.registry],
    }),
  };
  return s.worker;
}

/** Where Core's Prometheus exporter listens (set by installWorkerRuntime), e.g. `127.0.0.1:23456`. */
export function setCoreMetricsAddress(address: string | undefined): void {
  shared().coreAddress = address;
}

/** Core's metrics text, or a comment saying why there is none (a scrape never fails because of it). */
async function coreMetricsText(): Promise<string> {
  const address = shared().coreAddress;
  if (!address) return '';
  try {
    const res = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return `# temporal core metrics unavailable: HTTP ${res.status}\n`;
    const text = await res.text();
    return text.endsWith('\n') || text === '' ? text : `${text}\n`;
  } catch (e) {
    return `# temporal core metrics unavailable: ${(e as Error).message.replace(/\s+/g, ' ')}\n`;
  }
}

/** The worker's whole /metrics text: this process's registry, then the Temporal SDK's (Core's) metrics. */
export async function workerMetricsText(): Promise<string> {
  const [own, core] = await Promise.all([metricsRegistry().metrics(), coreMetricsText()]);
  return `${own.endsWith('\n') ? own : `${own}\n`}${core}`;
}

export interface WorkerMetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` for Prometheus (no auth: scraped on the internal network; bind it to an internal address).
 * `port: 0` picks a free port (tests); the bound port is returned.
 */
export async function startWorkerMetricsServer(opts: { host?: string; port: number }): Promise<WorkerMetricsServer> {
  workerMetrics();
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    workerMetricsText().then(
      (text) => res.writeHead(200, { 'content-type': metricsRegistry().contentType }).end(text),
      (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `TUANWU_WORKER_METRICS_PORT` (default 9464; 0 = off). */
export function workerMetricsPort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.TUANWU_WORKER_METRICS_PORT;
  if (raw === undefined || raw === '') return 9464;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`TUANWU_WORKER_METRICS_PORT must be a port number, got "${raw}"`);
  return port;
}

/** The worker's metrics server as configured: on `HOST` (default 127.0.0.1) and `TUANWU_WORKER_METRICS_PORT`; undefined when off. */
export async function startWorkerMetricsServerFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<WorkerMetricsServer | undefined> {
  const port = workerMetricsPort(env);
  if (port === 0) return undefined;
  return startWorkerMetricsServer({ host: env.HOST || '127.0.0.1', port });
}
