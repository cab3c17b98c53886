// Starts a worker alone (the start script runs one in-process): `npm run worker`.
import { NativeConnection } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../domain/config';
import { createDb, migrate } from '../activities/db';
import { createWorker } from './index';
import { createDataConverter, payloadKeysFromEnv } from './codec';
import { installWorkerRuntime } from './runtime';
import { ensureDuesSchedule } from './schedules';

installWorkerRuntime();

const config = loadConfig();
if (!config.databaseUrl) throw new Error('DATABASE_URL is required to run a worker alone');
const db = createDb(config.databaseUrl);
await migrate(db);
const connection = await NativeConnection.connect({ address: config.temporalAddress });
const payloadKeys = payloadKeysFromEnv();
const clientConnection = await Connection.connect({ address: config.temporalAddress });
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
await ensureDuesSchedule(client, config);
console.log(`worker: polling task queue ${config.taskQueue}`);
await worker.run();
await db.destroy();
await connection.close();
await clientConnection.close();
