// One PostgreSQL (throw-away cluster unless DATABASE_URL is set), one Temporal dev server and one workflow
// bundle for the whole run; each test file starts its own worker on a unique task queue.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createDb, migrate } from '../activities/db';
import { startThrowawayPostgres } from '../scripts/postgres';
import { startDevServer } from '../scripts/temporal-server';
import { freePort } from '../scripts/net';
import { workflowsPath } from '../worker/index';
import { failureConverterPath } from '../worker/codec';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'tuanwu-test-'));
  const [pg, temporal, bundle] = await Promise.all([
    process.env.DATABASE_URL ? undefined : startThrowawayPostgres(),
    freePort().then((port) => startDevServer({ port })),
    bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} } }),
  ]);
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
