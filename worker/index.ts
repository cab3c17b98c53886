// The worker: it bundles the workflows and registers the activities built in activities/index.ts, on the processes'
// task queue and the campaign tasks' own.
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { Lifecycle } from '../runtime/lifecycle';
import { startWorkerMetricsServerFromEnv } from './metrics';
import type { Client } from '@temporalio/client';
import type { Config } from '../domain/config';
import { createDataConverter, type PayloadKeys } from '../temporal/codec';
import { bundlerLogger, recordProblemsTo } from './runtime';
import { fileURLToPath } from 'node:url';
import { campaignTaskQueue } from '../domain/task-queues';
import type { Db } from '../db';
import { createActivities } from '../activities';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  db: Db;
  province?: string;
  peers?: Map<string, { url: string; key: Buffer }>;
  client?: Client;
  config?: Config;
  /** A prebuilt bundle (tests build it once, with the failure converter); otherwise bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  payloadKeys: PayloadKeys;
  /** Workflows kept in memory between tasks; the rest replay from history when they wake (bounds RSS). */
  maxCachedWorkflows?: number;
}

/** The workers of one process, run and stopped together: the processes' queue and the campaign tasks' queue. */
export class Workers {
  constructor(readonly all: Worker[]) {}

  /** Settles when every worker has stopped; a worker that fails stops the others. */
  async run(): Promise<void> {
    await Promise.all(
      this.all.map((w) =>
        w.run().catch((e: unknown) => {
          this.shutdown();
          throw e;
        }),
      ),
    );
  }

  shutdown(): void {
    for (const w of this.all) if (w.getState() === 'RUNNING') w.shutdown();
  }

  getState(): ReturnType<Worker['getState']> {
    return this.all[0]!.getState();
  }
}

export async function createWorker(o: WorkerOptions): Promise<Workers> {
  recordProblemsTo(o.db);
  // Bundled once for both workers (a prebuilt bundle is used as it is).
  const workflowBundle = o.workflowBundle ?? {
    code: (await bundleWorkflowCode({ workflowsPath, failureConverterPath: createDataConverter(o.payloadKeys).failureConverterPath, logger: bundlerLogger() }))
      .code,
  };
  const activities = createActivities({ db: o.db, province: o.province, peers: o.peers, client: o.client, config: o.config });
  const create = (taskQueue: string) =>
    Worker.create({
      connection: o.connection,
      namespace: o.namespace ?? 'default',
      taskQueue,
      activities,
      dataConverter: createDataConverter(o.payloadKeys),
      ...(o.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: o.maxCachedWorkflows } : {}),
      workflowBundle,
    });
  return new Workers([await create(o.taskQueue), await create(campaignTaskQueue(o.taskQueue))]);
}

/**
 * Runs the worker and its metrics server (`npm run worker`, `npm start`); `life` stops both, the worker once it
 * has finished the tasks in hand. The SDK's runtime also shuts workers down on SIGINT/SIGTERM: whichever comes
 * first, the other waits. `running` settles when the worker stops.
 */
export async function runWorker(worker: Workers, life: Pick<Lifecycle, 'onStop'>): Promise<{ running: Promise<void> }> {
  const running = worker.run();
  const metrics = await startWorkerMetricsServerFromEnv();
  if (metrics) life.onStop('metrics server', () => metrics.close());
  life.onStop('worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  return { running };
}
