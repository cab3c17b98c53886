// Prometheus metrics: one prom-client registry per process, shared by the API and the worker (`npm start` runs
// both in one process), kept on globalThis so a module evaluated twice never registers a metric twice (prom-client
// throws on that). Here also the worker's domain counters, incremented by activities. Both main processes and the
// activities read this module, so it imports only prom-client (the worker's /metrics server is worker/metrics.ts).
// Names never collide: ours are `tuanwu_*`, prom-client's defaults `process_*`/`nodejs_*`, Core's `temporal_*`.
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

export function coreMetricsAddress(): string | undefined {
  return shared().coreAddress;
}
