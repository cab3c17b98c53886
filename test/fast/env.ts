// The fast test layer: one time-skipping Temporal test server per test file (the Java one,
// scripts/tools.ts), a worker running only the workflow module(s) under test, and stub activities
// that record their calls in memory: no database, no dev server, and a 10-day deadline passes in milliseconds.
//
//   const t = fastEnv({ workflowsPath: fileURLToPath(new URL('./workflows/deadline.ts', import.meta.url)), activities: ['note'] });
//   test('…', async () => { const h = await t.start(myWorkflow, { args: [...] }); await t.env.sleep('3 days'); … });
//
// Time on the test server stands still unless a test lets it pass: `env.sleep(d)` moves it forward by d at once,
// firing every timer on the way, and awaiting a workflow's result lets it run until the workflow completes. Time only
// jumps while no workflow task or activity is outstanding, so when `env.sleep` returns, everything due before its end
// has run: the recorded calls can be read straight away. Let a sleep end between two due times, not on one.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { activityInfo } from '@temporalio/activity';
import type { Client, WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { Workflow } from '@temporalio/common';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../domain/search-attributes';
import { INDEXED_VALUE_TYPE } from '../../temporal/search-attributes';
import { findTemporalTestServer } from '../../scripts/tools';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** One call of a stub activity, as the worker ran it. */
export interface ActivityCall {
  activity: string;
  /** The first argument (every activity here takes one object). */
  input: unknown;
  workflowId: string;
  /** When the server scheduled it, in the test server's (skipped) time; a local activity has the worker's clock instead. */
  scheduledAt: number;
  local: boolean;
}

export interface FastEnvOptions {
  /** The module of workflows under test, when no run bundle is provided (every one is in test/fast/workflows/index.ts). */
  workflowsPath: string;
  /** Names of the activities to stub: each records its call and returns `respond[name]`'s answer (it may be a promise), or undefined. */
  activities: readonly string[];
  respond?: Record<string, (input: unknown, call: ActivityCall) => unknown>;
}

export interface FastEnv {
  readonly env: TestWorkflowEnvironment;
  readonly client: Client;
  readonly taskQueue: string;
  /** Every stub call of the file, in the order they ran. */
  readonly calls: ActivityCall[];
  /** The calls one workflow made (optionally of one activity). */
  callsOf(workflowId: string, activity?: string): ActivityCall[];
  /** Starts a workflow on this file's task queue with a fresh ID. */
  start<W extends Workflow>(workflow: W, opts: Omit<WorkflowStartOptions<W>, 'taskQueue' | 'workflowId'> & { workflowId?: string }): Promise<WorkflowHandle<W>>;
}

// The worker's and core's logs: errors only. Tests make activities fail on purpose (a refused first write), which
// the worker logs as warnings, and core warns on every start that the test server does not advertise a capability
// it has no use for here. A test file runs in a process of its own.
let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
}

/**
 * Registers beforeAll/afterAll in the calling test file: starts the test server and a worker on a task queue of
 * this file's own, and shuts both down after the file's tests. Read the returned object's fields inside tests.
 */
export function fastEnv(opts: FastEnvOptions): FastEnv {
  let env: TestWorkflowEnvironment | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const calls: ActivityCall[] = [];
  const taskQueue = `fast-${randomUUID()}`;

  const activities = Object.fromEntries(
    opts.activities.map((name) => [
      name,
      async (input: unknown) => {
        const info = activityInfo();
        const call: ActivityCall = {
          activity: name,
          input,
          workflowId: info.workflowExecution?.workflowId ?? '',
          scheduledAt: info.scheduledTimestampMs,
          local: info.isLocal,
        };
        calls.push(call);
        return opts.respond?.[name]?.(input, call);
      },
    ]),
  );

  beforeAll(async () => {
    quietRuntime();
    const bundled = inject('fastWorkflowBundle');
    // A free port chosen by core for this file's server: files running in parallel never share one.
    // Core gives the (Java) test server 5 s to listen; on a loaded machine its JVM may take longer: start it again.
    for (let attempt = 1; ; attempt++) {
      try {
        env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: findTemporalTestServer() } } });
        break;
      } catch (e) {
        if (attempt === 3 || !/did not start within/.test(String(e))) throw e;
      }
    }
    // The workflows upsert Tuanwu's search attributes (workflows/steps.ts); the test server knows only those registered.
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTE_DEFINITIONS.map((d) => [d.name, INDEXED_VALUE_TYPE[d.type]])),
    });
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      // The run's one bundle (test/fast/global-setup.ts: every workflow of test/fast/workflows/index.ts), else this module.
      ...(bundled ? { workflowBundle: { codePath: bundled } } : { workflowsPath: opts.workflowsPath }),
      activities,
    });
    running = worker.run();
    // A worker that fails while tests run fails the file's teardown, not silently.
    running.catch(() => {});
  });

  afterAll(async () => {
    try {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    } finally {
      await env?.teardown();
    }
  });

  const started = () => {
    if (!env) throw new Error('fastEnv: the test environment is not started (use it inside tests, after beforeAll)');
    return env;
  };

  return {
    get env() {
      return started();
    },
    get client() {
      return started().client;
    },
    taskQueue,
    calls,
    callsOf: (workflowId, activity) => calls.filter((c) => c.workflowId === workflowId && (activity === undefined || c.activity === activity)),
    start: (workflow, o) =>
      started().client.workflow.start(workflow, { ...o, taskQueue, workflowId: o.workflowId ?? `fast-${randomUUID()}` } as WorkflowStartOptions<
        typeof workflow
      >),
  };
}
