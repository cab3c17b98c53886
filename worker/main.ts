// A worker alone (`npm run worker`; `npm start` runs one in-process): against DATABASE_URL and
// TEMPORAL_ADDRESS. Several may poll the same task queue. SIGTERM finishes the tasks in hand, then exits.
import { NativeConnection } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../domain/config';
import { assertSchemaCurrent, createDb } from '../db';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { Lifecycle } from '../runtime/lifecycle';
import { createWorker, runWorker } from './index';
import { createDataConverter, payloadKeysFromEnv } from '../temporal/codec';
import { installWorkerRuntime } from './runtime';
import { ensureSchedules } from './schedules';

installWorkerRuntime('INFO');
const life = new Lifecycle((s) => console.error(`[worker] ${s}`));

life.run(async () => {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required to run a worker alone');
  const payloadKeys = payloadKeysFromEnv();
  const db = createDb(config.databaseUrl);
  life.onStop('database', () => db.destroy());
  // Production never migrates at start (issue 21): `npm run migrate` does, once, before a roll; an old schema stops here.
  await assertSchemaCurrent(db);
  await ensureSearchAttributes(config.temporalAddress, config.namespace);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  life.onStop('worker connection', () => connection.close());
  const clientConnection = await Connection.connect({ address: config.temporalAddress });
  life.onStop('client connection', () => clientConnection.close());
  const client = new Client({ connection: clientConnection, namespace: config.namespace, dataConverter: createDataConverter(payloadKeys) });
  const worker = await createWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    db,
    province: config.province,
    peers: config.peers,
    client,
    config,
    payloadKeys,
    maxCachedWorkflows: process.env.TUANWU_MAX_CACHED_WORKFLOWS ? Number(process.env.TUANWU_MAX_CACHED_WORKFLOWS) : undefined,
    workflowBundle: process.env.TUANWU_WORKFLOW_BUNDLE ? { codePath: process.env.TUANWU_WORKFLOW_BUNDLE } : undefined,
  });
  await ensureSchedules(client, config);
  const { running } = await runWorker(worker, life);
  console.error(`[worker] polling task queue ${config.taskQueue} on ${config.temporalAddress}`);
  running.then(
    () => void life.exit(0, 'worker stopped'),
    (e) => {
      console.error(`[worker] worker failed: ${e instanceof Error ? e.message : String(e)}`);
      void life.exit(1, 'worker failed');
    },
  );
});
