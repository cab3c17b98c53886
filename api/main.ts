// The API alone (`npm run api`): against DATABASE_URL and TEMPORAL_ADDRESS; the workers run apart
// (`npm run worker`). Several replicas may run side by side: the API keeps no state of its own.
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../domain/config';
import { assertSchemaCurrent, createDb } from '../db';
import { createDataConverter, payloadKeysFromEnv } from '../temporal/codec';
import { Lifecycle } from '../runtime/lifecycle';
import { buildApp } from './app';

const life = new Lifecycle((s) => console.error(`[api] ${s}`));

life.run(async () => {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required to run the API alone');
  const payloadKeys = payloadKeysFromEnv();
  const db = createDb(config.databaseUrl);
  life.onStop('database', () => db.destroy());
  // Production never migrates at start (issue 21): `npm run migrate` does, once, before a roll; an old schema stops here.
  await assertSchemaCurrent(db);
  const connection = await Connection.connect({ address: config.temporalAddress });
  life.onStop('Temporal connection', () => connection.close());
  const client = new Client({ connection, namespace: config.namespace, dataConverter: createDataConverter(payloadKeys) });
  const app = await buildApp({ db, client, config, payloadKeys }, { logger: true });
  // Closing stops accepting connections and waits for the requests in flight.
  life.onStop('HTTP server', () => app.close());
  await app.listen({ host: config.apiHost, port: config.apiPort });
});
