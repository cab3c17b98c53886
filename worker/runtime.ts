// The worker process's Temporal runtime: core logs are forwarded to one logger, which redacts ID numbers
// and records every nondeterminism failure, so a workflow task that keeps failing is visible (an error log,
// a row in workflow_problems, GET /api/ops/workflow-problems) instead of retrying silently.
// The task is left to retry, not failed: once fixed code is deployed the process resumes, nothing lost.
// Logs are JSON lines (pino) unless TUANWU_LOG_FORMAT=pretty (the SDK's readable lines, for a terminal).
// The runtime also starts Core's Prometheus exporter on a loopback port; worker/metrics.ts serves it.
import { DefaultLogger, Runtime, type LogLevel, type LogMetadata, type Logger } from '@temporalio/worker';
import { sql } from 'kysely';
import { pino, type Logger as PinoLogger } from 'pino';
import type { Db } from '../db';
import { logFormat, logLevel } from '../runtime/logging';
import { redactIdNumbers } from '../domain/identifiers';
import { setCoreMetricsAddress } from '../runtime/metrics';
import { workerMetricsPort } from './metrics';

type Problem = { runId: string; message: string };
const listeners = new Set<(p: Problem) => void>();

export function problemOf(message: string, meta?: LogMetadata): Problem | undefined {
  const failure = String(meta?.failure ?? '');
  if (message !== 'Failing workflow task' || !/Nondeterminism|NonDeterministic/i.test(failure)) return undefined;
  const detail = /message: "([^"]*)"/.exec(failure)?.[1] ?? failure;
  return { runId: String(meta?.runId ?? 'unknown'), message: detail.slice(0, 1000) };
}

/** A Logger's level methods, written once: each goes to `log`. */
abstract class LevelLogger implements Logger {
  abstract log(level: LogLevel, message: string, meta?: LogMetadata): void;
  trace(m: string, meta?: LogMetadata) {
    this.log('TRACE', m, meta);
  }
  debug(m: string, meta?: LogMetadata) {
    this.log('DEBUG', m, meta);
  }
  info(m: string, meta?: LogMetadata) {
    this.log('INFO', m, meta);
  }
  warn(m: string, meta?: LogMetadata) {
    this.log('WARN', m, meta);
  }
  error(m: string, meta?: LogMetadata) {
    this.log('ERROR', m, meta);
  }
}

class WorkerLogger extends LevelLogger {
  constructor(private readonly inner: Logger) {
    super();
  }
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const problem = problemOf(message, meta);
    if (problem) {
      this.inner.log('ERROR', `NONDETERMINISM: workflow run ${problem.runId} cannot replay: ${problem.message}`, { runId: problem.runId });
      for (const l of listeners) l(problem);
      return;
    }
    this.inner.log(level, redactIdNumbers(message), meta);
  }
}

const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** The SDK's log calls as JSON lines; the whole line is redacted (metadata too, e.g. a failure's text). */
class JsonLogger extends LevelLogger {
  readonly #pino: PinoLogger;
  constructor(level: LogLevel) {
    super();
    this.#pino = pino({ level: PINO_LEVEL[level], base: { component: 'worker' }, hooks: { streamWrite: (line: string) => redactIdNumbers(line) } });
  }
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.#pino[PINO_LEVEL[level]]({ ...meta }, message);
  }
}

/**
 * Core's Prometheus exporter address: `TUANWU_WORKER_CORE_METRICS_PORT` on loopback if set, else a random free
 * loopback port (workers and test processes on one machine each get their own); none when metrics are off.
 */
function coreMetricsPorts(env: NodeJS.ProcessEnv): number[] {
  if (workerMetricsPort(env) === 0) return [];
  if (env.TUANWU_WORKER_CORE_METRICS_PORT) return [Number(env.TUANWU_WORKER_CORE_METRICS_PORT)];
  // Below Linux's ephemeral range (32768+), so outgoing connections rarely hold the port; a taken one is retried.
  return Array.from({ length: 20 }, () => 20_000 + Math.floor(Math.random() * 12_000));
}

let installed = false;

/** TUANWU_LOG_LEVEL as the runtime's level, never below INFO (traces carry payloads); `fallback` when unset. */
export function runtimeLogLevel(env: NodeJS.ProcessEnv, fallback: 'INFO' | 'WARN' | 'ERROR'): 'INFO' | 'WARN' | 'ERROR' {
  if (!env.TUANWU_LOG_LEVEL) return fallback;
  const level = logLevel(env);
  return level === 'error' ? 'ERROR' : level === 'warn' ? 'WARN' : 'INFO';
}

/**
 * Installs the runtime once per process; call before any connection is made. `fallback` applies unless
 * TUANWU_LOG_LEVEL is set (`npm start` sets it to `warn` when unset).
 */
export function installWorkerRuntime(fallback: 'INFO' | 'WARN' | 'ERROR' = 'WARN', env: NodeJS.ProcessEnv = process.env): void {
  if (installed) return;
  installed = true;
  const level = runtimeLogLevel(env, fallback);
  const logger = new WorkerLogger(logFormat(env) === 'json' ? new JsonLogger(level) : new DefaultLogger(level));
  const logging = { filter: { core: 'WARN', other: 'WARN' }, forward: {} } as const;
  const ports = coreMetricsPorts(env);
  for (const [i, port] of ports.entries()) {
    const bindAddress = `127.0.0.1:${port}`;
    try {
      Runtime.install({ logger, telemetryOptions: { logging, metrics: { prometheus: { bindAddress } } } });
      setCoreMetricsAddress(bindAddress);
      return;
    } catch (e) {
      // Only a port already taken is retried (the runtime is not installed when its exporter cannot bind).
      if (i === ports.length - 1 || !/prometheus/i.test(String((e as Error).message))) throw e;
    }
  }
  Runtime.install({ logger, telemetryOptions: { logging } });
}

/**
 * The workflow bundler's logger: its warnings and errors go to the runtime's logger; its info lines (webpack's
 * module report, the bundle's size) are build noise at every start, dropped.
 */
export function bundlerLogger(): Logger {
  const runtime = () => Runtime.instance().logger;
  return {
    log: (level, message, meta) => {
      if (level === 'WARN' || level === 'ERROR') runtime().log(level, message, meta);
    },
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: (message, meta) => runtime().warn(message, meta),
    error: (message, meta) => runtime().error(message, meta),
  };
}

const recording = new WeakSet<Db>();

/** Records nondeterminism failures into workflow_problems (one row per run, counted). */
export function recordProblemsTo(db: Db): void {
  if (recording.has(db)) return;
  recording.add(db);
  listeners.add((p) => {
    db.insertInto('workflow_problems')
      .values({ run_id: p.runId, kind: 'nondeterminism', message: p.message, last_seen: new Date() })
      .onConflict((oc) => oc.column('run_id').doUpdateSet({ occurrences: sql`workflow_problems.occurrences + 1`, last_seen: new Date(), message: p.message }))
      .execute()
      .catch(() => {});
  });
}
