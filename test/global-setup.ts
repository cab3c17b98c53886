// One PostgreSQL (throw-away cluster unless DATABASE_URL is set), one Temporal dev server and one workflow
// bundle for the whole run; each test file starts its own worker on a unique task queue.
// TUANWU_TEMPORAL=cluster: a real Temporal cluster (scripts/temporal-cluster.ts) on that PostgreSQL, in databases of
// its own, instead of the dev server; TUANWU_TEMPORAL_DIR keeps its configuration and log there after the run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createDb, migrate } from '../db';
import { startThrowawayPostgres } from '../scripts/postgres';
import { startDevServer } from '../scripts/temporal-server';
import { startCluster } from '../scripts/temporal-cluster';
import { freePort } from '../scripts/net';
import { workflowsPath } from '../worker/index';
import { failureConverterPath } from '../temporal/codec';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'tuanwu-test-'));
  const cluster = process.env.TUANWU_TEMPORAL === 'cluster';
  const pgStarted = process.env.DATABASE_URL ? Promise.resolve(undefined) : startThrowawayPostgres();
  const started = await Promise.allSettled([
    pgStarted,
    cluster
      ? pgStarted.then((p) =>
          startCluster({
            databaseUrl: process.env.DATABASE_URL ?? p!.url,
            database: 'tuanwu_test_temporal',
            visibilityDatabase: 'tuanwu_test_temporal_visibility',
            dir: process.env.TUANWU_TEMPORAL_DIR || join(dir, 'temporal'),
          }),
        )
      : freePort().then((port) => startDevServer({ port })),
    bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} } }),
  ]);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    if (started[1].status === 'fulfilled') await started[1].value.stop();
    if (started[0].status === 'fulfilled') await started[0].value?.stop();
    throw failed.reason;
  }
  const value = <T>(r: PromiseSettledResult<T>) => (r as PromiseFulfilledResult<T>).value;
  const [pg, temporal, bundle] = [value(started[0]), value(started[1]), value(started[2])];
  const databaseUrl = process.env.DATABASE_URL ?? pg!.url;
  const db = createDb(databaseUrl, { max: 1 });
  await migrate(db);
  await db.destroy();
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  project.provide('databaseUrl', databaseUrl);
  project.provide('temporalAddress', temporal.address);
  project.provide('workflowBundlePath', bundlePath);

  return async () => {
    await temporal.stop();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
