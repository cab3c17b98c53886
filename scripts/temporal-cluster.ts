// A real Temporal cluster (go.temporal.io/server, the version production runs) on PostgreSQL: persistence and advanced
// visibility (SQL). Finds or builds the server and temporal-sql-tool, creates/updates the databases, starts the four
// services in one process on loopback ports, registers the namespace and Tuanwu's search attributes. Its binaries are
// found by scripts/tools.ts (`npx tsx scripts/tools.ts temporal-server`).
//   DATABASE_URL=postgres://owner@host/db npm run temporal-cluster [-- --port 7233 --dir DIR --database temporal --visibility-database temporal_visibility]
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../domain/search-attributes';
import { ensureSearchAttributes, INDEXED_VALUE_TYPE } from '../temporal/search-attributes';
import { findClusterBinaries, TEMPORAL_SERVER_VERSION } from './tools';
import { waitForPort } from './net';
import { parseDatabaseUrl, pruneDeadMembers, setupDatabases, SQL_PLUGIN } from './temporal-cluster/databases';
import { customSearchAttributes, prepareNamespace, sleep } from './temporal-cluster/namespace';
import { allocatePorts, type ClusterPorts } from './temporal-cluster/ports';

export type { ClusterPorts };

const DEPLOY_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'temporal');
/** The namespace registry of every service refreshes this often (system.namespaceCacheRefreshInterval, default). */
const NAMESPACE_REFRESH_MS = 2_000;

export interface ClusterOptions {
  /** A PostgreSQL server and a user that may create databases; the URL's database is only used to connect first. */
  databaseUrl: string;
  /** Databases of this cluster (two clusters on one server need other names). */
  database?: string;
  visibilityDatabase?: string;
  /** Any port not given is a free one; everything listens on 127.0.0.1 only. */
  ports?: Partial<ClusterPorts>;
  /** Where the configuration and the server's log go; by default a temporary directory removed by stop(). */
  dir?: string;
  namespace?: string;
  /** Fixed when the database is first used. */
  numHistoryShards?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  startTimeoutMs?: number;
  log?: (s: string) => void;
}

export interface Cluster {
  address: string;
  httpAddress: string;
  namespace: string;
  ports: ClusterPorts;
  dir: string;
  logFile: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

function tail(file: string, chars = 6000): string {
  try {
    const s = readFileSync(file, 'utf8');
    return s.length > chars ? '…' + s.slice(-chars) : s;
  } catch {
    return '(no log)';
  }
}

/** Creates or updates the databases, starts the server and returns once the namespace and search attributes are usable. */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const namespace = opts.namespace ?? 'default';
  const until = Date.now() + (opts.startTimeoutMs ?? 180_000);
  const bin = findClusterBinaries({ log });
  const target = parseDatabaseUrl(opts.databaseUrl);
  const databases = { temporal: opts.database ?? 'temporal', visibility: opts.visibilityDatabase ?? 'temporal_visibility' };
  await setupDatabases(bin, target, databases, log);
  const pruned = await pruneDeadMembers(opts.databaseUrl, databases.temporal);
  if (pruned > 0) log(`Temporal cluster: forgot ${pruned} cluster member(s) of an earlier run`);

  const ownDir = !opts.dir;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'tuanwu-temporal-'));
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'config.yaml');
  const dynamicConfigFile = join(dir, 'dynamicconfig.yaml');
  writeFileSync(configFile, readFileSync(join(DEPLOY_DIR, 'config.yaml')));
  writeFileSync(dynamicConfigFile, readFileSync(join(DEPLOY_DIR, 'dynamicconfig.yaml')));
  const logFile = join(dir, 'temporal-server.log');
  const ports = await allocatePorts(opts.ports);

  // The server renders config.yaml itself (`# enable-template`) from these variables.
  const vars: Record<string, string> = {
    LOG_LEVEL: opts.logLevel ?? 'info',
    NUM_HISTORY_SHARDS: String(opts.numHistoryShards ?? 4),
    SQL_PLUGIN,
    POSTGRES_SEEDS: target.host,
    DB_PORT: String(target.port),
    POSTGRES_USER: target.user,
    POSTGRES_PWD: target.password,
    DBNAME: databases.temporal,
    VISIBILITY_DBNAME: databases.visibility,
    SQL_CONNECT_ATTRIBUTES: target.attributes,
    BIND_ON_IP: '127.0.0.1',
    BROADCAST_ADDRESS: '127.0.0.1',
    FRONTEND_GRPC_PORT: String(ports.frontend),
    FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    HISTORY_GRPC_PORT: String(ports.history),
    HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    MATCHING_GRPC_PORT: String(ports.matching),
    MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    WORKER_GRPC_PORT: String(ports.worker),
    WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    DYNAMIC_CONFIG_FILE_PATH: dynamicConfigFile,
    PROMETHEUS_ENDPOINT: '',
  };
  const out = openSync(logFile, 'a');
  const child = spawn(bin.server, ['--config-file', configFile, '--allow-no-auth', 'start'], {
    cwd: dir,
    env: { ...process.env, ...vars },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`temporal-server exited (${code ?? signal}); log ${logFile}:\n${tail(logFile)}`))),
  );
  exited.catch(() => {});

  const stop = () =>
    new Promise<void>((done) => {
      const finish = () => {
        if (ownDir) rmSync(dir, { recursive: true, force: true });
        done();
      };
      if (child.exitCode !== null || child.signalCode !== null) return finish();
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      killer.unref();
      child.once('exit', () => {
        clearTimeout(killer);
        finish();
      });
      child.kill('SIGTERM');
    });

  const address = `127.0.0.1:${ports.frontend}`;
  try {
    await Promise.race([waitForPort(ports.frontend, '127.0.0.1', Math.max(until - Date.now(), 1)), exited]);
    await Promise.race([prepareNamespace(address, namespace, until), exited]);
    const before = await Promise.race([customSearchAttributes(address, namespace), exited]);
    await Promise.race([ensureSearchAttributes(address, namespace), exited]);
    const after = await customSearchAttributes(address, namespace);
    const wrong = SEARCH_ATTRIBUTE_DEFINITIONS.filter((d) => after[d.name] !== INDEXED_VALUE_TYPE[d.type]);
    if (wrong.length > 0) throw new Error(`search attributes not registered as expected: ${wrong.map((d) => `${d.name}=${after[d.name]}`).join(', ')}`);
    // New attributes live in the namespace's record (SQL visibility maps them onto its columns); history validates
    // and maps a workflow's upserts with its own copy, refreshed every NAMESPACE_REFRESH_MS: wait for two refreshes.
    if (SEARCH_ATTRIBUTE_DEFINITIONS.some((d) => before[d.name] === undefined)) await Promise.race([sleep(2 * NAMESPACE_REFRESH_MS + 500), exited]);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const withLog = message.includes(logFile) ? message : `${message}\nlog ${logFile}:\n${tail(logFile)}`;
    if (child.exitCode === null && child.signalCode === null) {
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      killer.unref();
      await new Promise<void>((r) => {
        child.once('exit', () => (clearTimeout(killer), r()));
        child.kill('SIGTERM');
      });
    }
    throw new Error(`Temporal cluster did not start: ${withLog}`, { cause: e });
  }
  return { address, httpAddress: `127.0.0.1:${ports.frontendHttp}`, namespace, ports, dir, logFile, process: child, stop };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error('DATABASE_URL is required: a PostgreSQL server and a user that may create databases');
    process.exit(2);
  }
  const cluster = await startCluster({
    databaseUrl,
    ports: { frontend: Number(arg('port') ?? 7233) },
    dir: arg('dir') ? resolve(arg('dir')!) : undefined,
    database: arg('database'),
    visibilityDatabase: arg('visibility-database'),
    log: (s) => console.error(s),
  });
  console.log(`Temporal ${TEMPORAL_SERVER_VERSION} on PostgreSQL: ${cluster.address} (namespace ${cluster.namespace}; HTTP ${cluster.httpAddress})`);
  console.log(`log: ${cluster.logFile}`);
  console.log(`TEMPORAL_ADDRESS=${cluster.address} npm start    # Ctrl-C stops the cluster`);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    console.error('stopping the Temporal cluster...');
    void cluster.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  cluster.process.once('exit', (code) => {
    if (stopping) return;
    console.error(`temporal-server exited (${code}); log ${cluster.logFile}:\n${tail(cluster.logFile)}`);
    process.exit(1);
  });
}
