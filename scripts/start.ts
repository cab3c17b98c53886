// `npm start`: the whole system with embedded defaults — Temporal dev server (persisted under .data/),
// embedded PostgreSQL unless DATABASE_URL is set, migrations, worker, API, the web console (built once when
// missing), and a demo tree on first start.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../domain/config';
import { createDb, migrate } from '../db';
import { buildApp } from '../api/app';
import { CONSOLE_DIR } from '../api/console';
import { createWorker, runWorker } from '../worker/index';
import { startDevServer, type DevServer } from './temporal-server';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { startEmbeddedPostgres, type RunningPostgres } from './postgres';
import { seedDemo } from './demo';
import { withIdCheckDigit } from '../domain/identifiers';
import { createDataConverter, newPayloadKeySpec, payloadKeysFromEnv } from '../temporal/codec';
import { installWorkerRuntime } from '../worker/runtime';
import { ensureSchedules } from '../worker/schedules';
import { Lifecycle } from '../runtime/lifecycle';
import { serveBackups } from './backup-pause';

// A person at a terminal reads lines; production (npm run api / worker) logs JSON. Below `warn` nothing is shown
// unless TUANWU_LOG_LEVEL asks (info: one line per request, the worker's state), so the banner is what one reads.
process.env.TUANWU_LOG_FORMAT ??= 'pretty';
process.env.TUANWU_LOG_LEVEL ??= 'warn';
installWorkerRuntime('WARN');

const dataDir = resolve(process.env.TUANWU_DATA_DIR ?? '.data');
mkdirSync(dataDir, { recursive: true });

// The bootstrap admin token: from the environment, or generated once and kept in the data folder.
const tokenFile = join(dataDir, 'admin-token');
if (!process.env.TUANWU_ADMIN_TOKEN) {
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, `tw_admin_${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  process.env.TUANWU_ADMIN_TOKEN = readFileSync(tokenFile, 'utf8').trim();
}
// The payload encryption key (PII in histories): from the environment, or generated once into the data folder.
const keyFile = join(dataDir, 'payload-keys');
if (!process.env.TUANWU_PAYLOAD_KEYS) {
  if (!existsSync(keyFile)) writeFileSync(keyFile, `${newPayloadKeySpec('k1')}\n`, { mode: 0o600 });
  process.env.TUANWU_PAYLOAD_KEYS = readFileSync(keyFile, 'utf8').trim();
}
const config = loadConfig();
const payloadKeys = payloadKeysFromEnv();
const log = (s: string) => console.log(`[tuanwu] ${s}`);

/**
 * The web console, built once if console/dist has no index.html (`npm run console:build` rebuilds it after a
 * change). Its config comes with the console's sources; without it, the API answers 503 at /console/ meanwhile.
 */
async function ensureConsoleBuilt(): Promise<void> {
  if (existsSync(join(CONSOLE_DIR, 'index.html'))) return;
  const root = fileURLToPath(new URL('..', import.meta.url));
  if (!existsSync(join(root, 'console', 'vite.config.ts'))) {
    log('the web console is not built and console/vite.config.ts is missing: /console/ answers 503 until `npm run console:build` has run');
    return;
  }
  log('building the web console once (npx vite build --config console/vite.config.ts)...');
  const code = await new Promise<number | null>((done) => {
    const child = spawn('npx', ['vite', 'build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', () => done(null));
    child.once('exit', (c) => done(c));
  });
  if (code !== 0)
    log(
      `the web console's build failed (${code === null ? 'npx did not start' : `exit ${code}`}): the API runs without it; fix it and run \`npm run console:build\``,
    );
}

let temporal: DevServer | undefined;
let embedded: RunningPostgres | undefined;
const life = new Lifecycle(log);

async function main() {
  // Built beside the start-up below; awaited before the addresses are printed.
  const consoleBuilt = ensureConsoleBuilt();
  if (process.env.TEMPORAL_ADDRESS) {
    log(`using the Temporal server at ${config.temporalAddress}`);
    await ensureSearchAttributes(config.temporalAddress, config.namespace);
  } else {
    const [host, port] = config.temporalAddress.split(':');
    if (host !== '127.0.0.1' && host !== 'localhost') throw new Error('a dev server is started only on loopback');
    log(`starting the Temporal dev server on ${config.temporalAddress} (TUANWU_TEMPORAL_PORT; data in ${join(dataDir, 'temporal.db')})...`);
    temporal = await startDevServer({
      port: Number(port),
      uiPort: Number(process.env.TUANWU_TEMPORAL_UI_PORT ?? 8233),
      dbFile: join(dataDir, 'temporal.db'),
      codecEndpoint: `http://${config.apiHost}:${config.apiPort}/codec`,
      log,
    });
    life.onStop('Temporal dev server', () => temporal!.stop());
  }

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    log(`starting the embedded PostgreSQL (data in ${join(dataDir, 'postgres')})...`);
    embedded = await startEmbeddedPostgres(join(dataDir, 'postgres'));
    life.onStop('embedded PostgreSQL', () => embedded!.stop());
    databaseUrl = embedded.url;
  }
  const db = createDb(databaseUrl);
  life.onStop('database', () => db.destroy());
  await migrate(db);

  const clientConnection = await Connection.connect({ address: config.temporalAddress });
  const client = new Client({ connection: clientConnection, namespace: config.namespace, dataConverter: createDataConverter(payloadKeys) });
  life.onStop('client connection', () => clientConnection.close());
  const app = await buildApp({ db, client, config, payloadKeys }, { logger: true });
  life.onStop('API', () => app.close());

  const nativeConnection = await NativeConnection.connect({ address: config.temporalAddress });
  log('bundling workflows and starting the worker...');
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    db,
    payloadKeys,
    province: config.province,
    peers: config.peers,
    client,
    config,
  });
  life.onStop('worker connection', () => nativeConnection.close());
  // One process: the worker's metrics server shows the same registry as the API's /metrics.
  await runWorker(worker, life);
  await ensureSchedules(client, config);

  const demoFile = join(dataDir, 'demo-tokens.json');
  const orgCount = await db
    .selectFrom('organizations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  if (Number(orgCount.n) === 0) {
    const actors = await seedDemo(app, config.adminToken!);
    writeFileSync(demoFile, JSON.stringify(actors, null, 2), { mode: 0o600 });
    log('created the demo organization tree');
  }
  await app.listen({ host: config.apiHost, port: config.apiPort });
  const base = `http://${config.apiHost}:${config.apiPort}`;
  await consoleBuilt;
  const loopback = config.apiHost === '127.0.0.1' || config.apiHost === 'localhost';
  const consoleUrl = `${loopback ? `http://localhost:${config.apiPort}` : base}/console/`;

  console.log(`\nTuanwu is running.
  API          ${base}   (docs: ${base}/docs, spec: ${base}/openapi.json)
  Console      ${consoleUrl}   (sign in with a token below; the secretary of 高一(1)班 has a check-in to approve)
  Temporal UI  ${temporal ? `http://127.0.0.1:${temporal.uiPort}` : '(external server)'}
  PostgreSQL   ${embedded ? `${embedded.url.replace(/:[^:@/]*@/, '@')}   (password in ${embedded.passwordFile})` : '(DATABASE_URL)'}
  Admin token  ${config.adminToken}   (bootstrap: import organizations, create actors)`);
  if (existsSync(demoFile)) {
    const actors = JSON.parse(readFileSync(demoFile, 'utf8')) as { label: string; role: string; orgId: string | null; token: string }[];
    console.log('\nDemo tokens:');
    for (const a of actors) console.log(`  ${a.label.padEnd(32)} ${a.token}`);
    const secretary = actors.find((a) => a.role === 'branch_secretary')!;
    const sampleId = withIdCheckDigit('44030420080315123');
    console.log(`\nTry it:
  curl -s -X POST ${base}/api/check-ins -H 'authorization: Bearer ${secretary.token}' -H 'content-type: application/json' \\
    -d '{"branchId":"${secretary.orgId}","profile":{"name":"张三","idNumber":"${sampleId}","joinDate":"2023-05-04","developmentNumber":"4403042023001"}}'
  curl -s ${base}/api/processes -H 'authorization: Bearer ${secretary.token}'
  curl -s -X POST ${base}/api/processes/<processId>/decisions -H 'authorization: Bearer ${secretary.token}' -H 'content-type: application/json' -d '{"action":"approve"}'
`);
  }
  console.log('Press Ctrl-C to stop.');
  // `npm run backup` asks this process to pause for a cold copy of both stores (issue 21, scripts/backup-pause.ts).
  const stores = {
    get temporal() {
      return temporal;
    },
    set temporal(t) {
      temporal = t;
    },
    get postgres() {
      return embedded;
    },
  };
  await serveBackups({ dataDir, log, life, stores });
}

life.run(main);
