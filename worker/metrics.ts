// The worker's own /metrics server: this process's registry (runtime/metrics.ts: API and worker metrics, Node's
// process metrics) together with the Temporal SDK's metrics (Core's Prometheus exporter, bound on loopback by
// worker/runtime.ts).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { coreMetricsAddress, metricsRegistry, workerMetrics } from '../runtime/metrics';

/** Core's metrics text, or a comment saying why there is none (a scrape never fails because of it). */
async function coreMetricsText(): Promise<string> {
  const address = coreMetricsAddress();
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
