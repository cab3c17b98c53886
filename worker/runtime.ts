// The worker process's Temporal runtime: core logs are forwarded to one logger, which redacts ID numbers
// and records every nondeterminism failure, so a workflow task that keeps failing is visible (an error log,
// a row in workflow_problems, GET /api/ops/workflow-problems) instead of retrying silently.
// The task is left to retry, not failed: once fixed code is deployed the process resumes, nothing lost.
import { DefaultLogger, Runtime, type LogLevel, type LogMetadata, type Logger } from '@temporalio/worker';
import { sql } from 'kysely';
import type { Db } from '../activities/db';
import { redactIdNumbers } from '../domain/identifiers';

type Problem = { runId: string; message: string };
const listeners = new Set<(p: Problem) => void>();

export function problemOf(message: string, meta?: LogMetadata): Problem | undefined {
  const failure = String(meta?.failure ?? '');
  if (message !== 'Failing workflow task' || !/Nondeterminism|NonDeterministic/i.test(failure)) return undefined;
  const detail = /message: "([^"]*)"/.exec(failure)?.[1] ?? failure;
  return { runId: String(meta?.runId ?? 'unknown'), message: detail.slice(0, 1000) };
}

class WorkerLogger implements Logger {
  constructor(private readonly inner: Logger) {}
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const problem = problemOf(message, meta);
    if (problem) {
      this.inner.log('ERROR', `NONDETERMINISM: workflow run ${problem.runId} cannot replay: ${problem.message}`, { runId: problem.runId });
      for (const l of listeners) l(problem);
      return;
    }
    this.inner.log(level, redactIdNumbers(message), meta);
  }
  trace(m: string, meta?: LogMetadata) { this.log('TRACE', m, meta); }
  debug(m: string, meta?: LogMetadata) { this.log('DEBUG', m, meta); }
  info(m: string, meta?: LogMetadata) { this.log('INFO', m, meta); }
  warn(m: string, meta?: LogMetadata) { this.log('WARN', m, meta); }
  error(m: string, meta?: LogMetadata) { this.log('ERROR', m, meta); }
}

let installed = false;

/** Installs the runtime once per process; call before any connection is made. Never below INFO: traces carry payloads. */
export function installWorkerRuntime(level: 'INFO' | 'WARN' | 'ERROR' = 'WARN'): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new WorkerLogger(new DefaultLogger(level)),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} } },
  });
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
