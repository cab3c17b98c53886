import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { causes } from '../domain/errors';
import type { Lifecycle } from '../scripts/lifecycle';
import { startWorkerMetricsServerFromEnv } from './metrics';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../domain/config';
import { createDataConverter, type PayloadKeys } from '../temporal/codec';
import { bundlerLogger, recordProblemsTo } from './runtime';
import { fileURLToPath } from 'node:url';
import { campaignTaskQueue } from './task-queues';
import type { Db } from '../db';
import { createCheckInActivities } from '../activities/check-in';
import { createProcessActivities } from '../activities/processes';
import { createTransferActivities, transferProjection } from '../activities/transfer';
import { createDuesActivities } from '../activities/dues';
import { createDeletionActivities, deletionProjection } from '../activities/deletion';
import { createMemberDataActivities, memberDataProjection } from '../activities/member-data';
import { createHealthActivities } from '../activities/health';
import { createInvariantActivities } from '../activities/invariants';
import { createAgeOutActivities } from '../activities/age-out';
import { disciplineAwardsProjection } from '../activities/awards';
import { campaignProjection, createCampaignActivities } from '../activities/campaigns';

/** Each process's own read-model change, applied by the one event append in the event's transaction. */
const PROJECTIONS = {
  transfer: transferProjection,
  deletion: deletionProjection,
  'member-change': memberDataProjection,
  'join-date': memberDataProjection,
  discipline: disciplineAwardsProjection,
  campaign: campaignProjection,
};

export interface ActivityDeps {
  db: Db;
  /** This province's code and the other provinces' systems (R10). */
  province?: string;
  peers?: Map<string, { url: string; key: Buffer }>;
  /** For activities that start other processes (the dues check opens disciplinary cases, R18). */
  client?: Client;
  config?: Config;
}

export function createActivities(deps: ActivityDeps) {
  return dataErrorsNonRetryable({
    ...createProcessActivities({ db: deps.db, projections: PROJECTIONS, client: deps.client }),
    ...createCheckInActivities(deps),
    ...createTransferActivities({ db: deps.db, province: deps.province ?? 'gd', peers: deps.peers ?? new Map() }),
    ...createDuesActivities(deps),
    ...createDeletionActivities({ db: deps.db, config: deps.config }),
    ...createMemberDataActivities(deps),
    ...createHealthActivities(deps),
    ...createInvariantActivities(deps),
    ...createAgeOutActivities(deps),
    ...createCampaignActivities(deps),
  });
}

/** The SQLSTATE of a PostgreSQL error (pg's DatabaseError), wherever it sits in the cause chain. */
function sqlState(e: unknown): string | undefined {
  for (const c of causes(e)) {
    const code = c.code;
    if (c instanceof Error && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && 'severity' in c) return code;
  }
  return undefined;
}

/**
 * Every activity: a PostgreSQL data exception (SQLSTATE class 22: a NUL byte 22021, a string too long 22001,
 * bad input syntax 22P02, ...) fails for good instead of retrying forever, as an 'InvalidData' failure. The
 * database's message is left out: it may quote the offending value (PII).
 */
export function dataErrorsNonRetryable<T extends object>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        try {
          return await (fn as (...a: unknown[]) => unknown)(...args);
        } catch (e) {
          const code = sqlState(e);
          if (code?.startsWith('22')) {
            throw ApplicationFailure.nonRetryable(
              `${name}: the database refused the data as invalid (SQLSTATE ${code}); the input must be corrected`,
              'InvalidData',
            );
          }
          throw e;
        }
      },
    ]),
  ) as T;
}

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
