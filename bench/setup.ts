// The bench's machine: a throw-away PostgreSQL (or DATABASE_URL), an in-memory Temporal dev server, the workflow
// bundle (the real workflows and the bare one), the system (API and worker in this process) and the seeded tree.
// Everything a figure uses comes from here, in one `Bench` per run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { createDb, migrate } from '../db';
import { startThrowawayPostgres } from '../scripts/postgres';
import { startDevServer } from '../scripts/temporal-server';
import { freePort } from '../scripts/net';
import { failureConverterPath } from '../temporal/codec';
import { dataConverter, startSystemAt, TEST_PAYLOAD_KEYS, type System } from '../test/system';
import type { BareWorker, Bench, BenchSizes } from './figure';
import { seedProcesses, seedTree } from './seed';

export interface BenchMachine {
  /** The tree seeded (a figure's failure to seed is the run's failure, as a figure's is). */
  seed(): Promise<Bench>;
  stop(): Promise<void>;
}

export async function startBench(sizes: BenchSizes, log: (s: string) => void): Promise<BenchMachine> {
  const dir = mkdtempSync(join(tmpdir(), 'tuanwu-bench-'));
  const pg = process.env.DATABASE_URL ? undefined : await startThrowawayPostgres();
  const databaseUrl = process.env.DATABASE_URL ?? pg!.url;
  const temporal = await startDevServer({ port: await freePort() });
  const setup = createDb(databaseUrl, { max: 1 });
  await migrate(setup);
  await setup.destroy();
  const bundle = await bundleWorkflowCode({
    workflowsPath: join(import.meta.dirname, 'workflows.ts'),
    failureConverterPath,
    logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
  });
  const bundlePath = join(dir, 'bundle.js');
  writeFileSync(bundlePath, bundle.code);
  const where = { databaseUrl, temporalAddress: temporal.address, workflowBundlePath: bundlePath };
  const sys: System = await startSystemAt(where);

  const spawnWorker = (taskQueue: string, env: Record<string, string> = {}, nodeArgs: string[] = []) =>
    spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'worker/main.ts'], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        TEMPORAL_ADDRESS: temporal.address,
        TUANWU_TASK_QUEUE: taskQueue,
        TUANWU_WORKFLOW_BUNDLE: bundlePath,
        TUANWU_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
        TUANWU_WORKER_METRICS_PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });

  const polling = (child: ChildProcess) =>
    new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('polling') && resolve());
      child.once('exit', (code) => reject(new Error(`worker exited (${code}) before polling`)));
    });

  /** A worker for the bare workflows of figures 1 and 5, in this process. */
  const bareWorker = async (): Promise<BareWorker> => {
    const queue = `bare-${randomUUID()}`;
    const w = await Worker.create({
      connection: sys.env.nativeConnection,
      taskQueue: queue,
      workflowBundle: { codePath: bundlePath },
      activities: { bareRecord: async () => {} },
      dataConverter: { payloadCodecs: dataConverter.payloadCodecs, failureConverterPath },
    });
    const running = w.run();
    return {
      queue,
      stop: async () => {
        w.shutdown();
        await running;
      },
    };
  };

  let processesSeeded: Promise<void> | undefined;
  return {
    seed: async () => ({
      sizes,
      log,
      sys,
      client: sys.env.client,
      where,
      databaseUrl,
      dir,
      tree: await seedTree(sys, sizes, log),
      spawnWorker,
      polling,
      bareWorker,
      seedProcesses: () => (processesSeeded ??= seedProcesses(sys, sizes, log)),
    }),
    stop: async () => {
      await sys.stop();
      await temporal.stop();
      await pg?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
