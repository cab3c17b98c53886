// A real Temporal cluster (go.temporal.io/server, the version production runs) on PostgreSQL: persistence and advanced
// visibility (SQL). Finds or builds the server and temporal-sql-tool, creates/updates the databases, starts the four
// services in one process on loopback ports, registers the namespace and Tuanwu's search attributes.
//   DATABASE_URL=postgres://owner@host/db npm run temporal-cluster [-- --port 7233 --dir DIR --database temporal --visibility-database temporal_visibility]
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import proto from '@temporalio/proto';
import pg from 'pg';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../domain/search-attributes';
import { cacheDir } from './temporal-cli';
import { ensureSearchAttributes, INDEXED_VALUE_TYPE } from './temporal-server';
import { waitForPort } from './net';

export const TEMPORAL_SERVER_VERSION = 'v1.32.2';
/** The Go toolchain the server is built with (fetched through the module proxy when the installed Go is older). */
export const TEMPORAL_SERVER_GO_TOOLCHAIN = 'go1.26.10';
const MODULE = 'go.temporal.io/server';
const SERVER_NAME = `temporal-server-${TEMPORAL_SERVER_VERSION}`;
const SQL_TOOL_NAME = `temporal-sql-tool-${TEMPORAL_SERVER_VERSION}`;
const SCHEMA_NAME = `temporal-schema-${TEMPORAL_SERVER_VERSION}`; // holds postgresql/v12/{temporal,visibility}
const DEPLOY_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'temporal');
/** The namespace registry of every service refreshes this often (system.namespaceCacheRefreshInterval, default). */
const NAMESPACE_REFRESH_MS = 2_000;
const SQL_PLUGIN = 'postgres12';

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  /** `…/postgresql/v12`, or undefined: the sql tool's embedded schemas are used. */
  schemaDir?: string;
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function findGo(): string | undefined {
  if (process.env.GO) return process.env.GO;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && executable(join(dir, 'go'))) return join(dir, 'go');
  return executable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

function goModCache(go: string | undefined): string | undefined {
  if (process.env.GOMODCACHE) return process.env.GOMODCACHE;
  if (go) {
    try {
      const out = execFileSync(go, ['env', 'GOMODCACHE'], { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
      if (out) return out;
    } catch {
      /* fall through */
    }
  }
  return join(process.env.GOPATH || join(homedir(), 'go'), 'pkg', 'mod');
}

function schemaUsable(dir: string): boolean {
  return existsSync(join(dir, 'temporal', 'versioned')) && existsSync(join(dir, 'visibility', 'versioned'));
}

/** The PostgreSQL schemas: the user's cache, then Go's module cache. */
function findSchemaDir(go = findGo()): string | undefined {
  const cached = join(cacheDir(), SCHEMA_NAME, 'postgresql', 'v12');
  if (schemaUsable(cached)) return cached;
  const mod = goModCache(go);
  const fromModules = mod && join(mod, `${MODULE}@${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql', 'v12');
  return fromModules && schemaUsable(fromModules) ? fromModules : undefined;
}

/** Copies the module cache's schemas (read-only files) into the user's cache, writable, atomically. */
function cacheSchema(go: string | undefined, log: (s: string) => void): void {
  const target = join(cacheDir(), SCHEMA_NAME);
  if (schemaUsable(join(target, 'postgresql', 'v12'))) return;
  const mod = goModCache(go);
  const source = mod && join(mod, `${MODULE}@${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql', 'v12');
  if (!source || !schemaUsable(source)) return log(`Temporal's PostgreSQL schemas not found in ${mod}; the sql tool's embedded ones will be used`);
  const tmp = mkdtempSync(join(cacheDir(), `.${SCHEMA_NAME}-`));
  cpSync(source, join(tmp, 'postgresql', 'v12'), { recursive: true });
  const writable = (p: string) => {
    const dir = statSync(p).isDirectory();
    chmodSync(p, dir ? 0o755 : 0o644);
    if (dir) for (const e of readdirSync(p)) writable(join(p, e));
  };
  writable(tmp);
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
}

/**
 * The server and temporal-sql-tool: $TEMPORAL_SERVER / $TEMPORAL_SQL_TOOL, then the user's cache, else built once
 * with Go (`go install …/cmd/server@v1.32.2 …/cmd/tools/sql@v1.32.2`, several minutes) into that cache.
 */
export function findClusterBinaries(opts: { build?: boolean; log?: (s: string) => void } = {}): ClusterBinaries {
  const log = opts.log ?? ((s: string) => console.error(s));
  const fromEnv = (name: string) => {
    const p = process.env[name];
    if (p && !executable(p)) throw new Error(`${name}=${p} is not an executable file`);
    return p;
  };
  let server = fromEnv('TEMPORAL_SERVER') ?? (executable(join(cacheDir(), SERVER_NAME)) ? join(cacheDir(), SERVER_NAME) : undefined);
  let sqlTool = fromEnv('TEMPORAL_SQL_TOOL') ?? (executable(join(cacheDir(), SQL_TOOL_NAME)) ? join(cacheDir(), SQL_TOOL_NAME) : undefined);
  const go = findGo();
  if (!server || !sqlTool) {
    if (opts.build === false) throw new Error('Temporal server or sql tool not found ($TEMPORAL_SERVER, $TEMPORAL_SQL_TOOL, cache) and building is disabled');
    const packages = [`${MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`, `${MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`];
    if (!go)
      throw new Error(
        `Temporal server not found: set TEMPORAL_SERVER and TEMPORAL_SQL_TOOL, or install Go so they can be built (go install ${packages.join(' ')}).`,
      );
    mkdirSync(cacheDir(), { recursive: true });
    const gobin = mkdtempSync(join(cacheDir(), '.build-'));
    try {
      log(
        `Building the Temporal server ${TEMPORAL_SERVER_VERSION} and its sql tool with Go (${TEMPORAL_SERVER_GO_TOOLCHAIN}) into ${cacheDir()} (once; several minutes)...`,
      );
      const r = spawnSync(go, ['install', ...packages], {
        env: { ...process.env, GOTOOLCHAIN: TEMPORAL_SERVER_GO_TOOLCHAIN, GOBIN: gobin },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      if (r.status !== 0 || !executable(join(gobin, 'server')) || !executable(join(gobin, 'sql'))) {
        throw new Error(`building the Temporal server failed (go install exited ${r.status ?? r.signal})`);
      }
      if (!server) renameSync(join(gobin, 'server'), (server = join(cacheDir(), SERVER_NAME)));
      if (!sqlTool) renameSync(join(gobin, 'sql'), (sqlTool = join(cacheDir(), SQL_TOOL_NAME)));
    } finally {
      rmSync(gobin, { recursive: true, force: true });
    }
    cacheSchema(go, log);
  }
  return { server, sqlTool, schemaDir: findSchemaDir(go) };
}

export interface ClusterPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

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

/**
 * A port nobody listens on, below Linux's ephemeral range (32768+): the PostgreSQL schema keeps a membership port in
 * a SMALLINT (cluster_membership.rpc_port, at most 32767), and a port outside that range is not taken by some
 * outgoing connection between this check and the server binding it.
 */
async function freeLowPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((done) => {
      const s = createServer();
      s.unref();
      s.once('error', () => done(false));
      s.listen(port, '127.0.0.1', () => s.close(() => done(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port found between 20000 and 32000');
}

async function allocatePorts(given: Partial<ClusterPorts> = {}): Promise<ClusterPorts> {
  const names: (keyof ClusterPorts)[] = [
    'frontend',
    'frontendHttp',
    'frontendMembership',
    'history',
    'historyMembership',
    'matching',
    'matchingMembership',
    'worker',
    'workerMembership',
  ];
  for (const n of names) {
    if (n.endsWith('Membership') && (given[n] ?? 0) > 32_767)
      throw new Error(`${n} port ${given[n]}: membership ports must be below 32768 (PostgreSQL SMALLINT)`);
  }
  const taken = new Set(Object.values(given));
  const ports = { ...given } as ClusterPorts;
  for (const n of names) {
    if (ports[n]) continue;
    ports[n] = await freeLowPort(taken);
    taken.add(ports[n]);
  }
  return ports;
}

function tail(file: string, chars = 6000): string {
  try {
    const s = readFileSync(file, 'utf8');
    return s.length > chars ? '…' + s.slice(-chars) : s;
  } catch {
    return '(no log)';
  }
}

interface PgTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  connectDb: string;
  /** Query parameters of the URL (e.g. sslmode), passed to PostgreSQL as connection attributes. */
  attributes: string;
}

function parseDatabaseUrl(databaseUrl: string): PgTarget {
  const u = new URL(databaseUrl);
  if (!/^postgres(ql)?:$/.test(u.protocol)) throw new Error(`not a PostgreSQL URL: ${u.protocol}//…`);
  if (!u.hostname) throw new Error('the Temporal cluster needs PostgreSQL over TCP: give a host in DATABASE_URL');
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || process.env.PGUSER || 'postgres'),
    password: decodeURIComponent(u.password || process.env.PGPASSWORD || ''),
    connectDb: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
    attributes: u.searchParams.toString(),
  };
}

/** create-database, setup-schema -v 0.0, update-schema: each idempotent, so this also upgrades an older schema. */
async function setupDatabases(
  bin: ClusterBinaries,
  target: PgTarget,
  databases: { temporal: string; visibility: string },
  log: (s: string) => void,
): Promise<void> {
  // The password travels in the environment, never on a command line.
  const env = { ...process.env, SQL_PASSWORD: target.password };
  const common = ['--plugin', SQL_PLUGIN, '--endpoint', target.host, '--port', String(target.port), '--user', target.user];
  if (target.attributes) common.push('--connect-attributes', target.attributes);
  const run = (db: string, args: string[]) =>
    new Promise<void>((done, fail) => {
      execFile(bin.sqlTool, [...common, '--database', db, ...args], { env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (!err) return done();
        fail(new Error(`temporal-sql-tool ${args[0]} (${db}) failed (${err.code ?? err.signal}): ${(stdout + stderr).trim().slice(-3000)}`));
      });
    });
  // One CREATE DATABASE at a time (each copies template1), then both schemas at once.
  for (const kind of ['temporal', 'visibility'] as const) await run(databases[kind], ['create-database', '--defaultdb', target.connectDb]);
  await Promise.all(
    (['temporal', 'visibility'] as const).map(async (kind) => {
      const db = databases[kind];
      log(`Temporal cluster: database ${db} (${kind} schema)`);
      await run(db, ['setup-schema', '-v', '0.0']);
      if (bin.schemaDir) await run(db, ['update-schema', '-d', join(bin.schemaDir, kind, 'versioned')]);
      else await run(db, ['update-schema', '--schema-name', `postgresql/v12/${kind}`]);
    }),
  );
}

/**
 * Ringpop bootstraps from the hosts that heartbeated in the last 20 s: after a restart within that time it would try
 * to join the previous process's dead hosts for 30 s (maxJoinDuration) first. Forget members nobody answers at.
 */
async function pruneDeadMembers(databaseUrl: string, database: string): Promise<number> {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rows } = await client.query<{ host_id: Buffer; rpc_address: string; rpc_port: number }>(
      'SELECT host_id, rpc_address, rpc_port FROM cluster_membership',
    );
    const dead = [];
    for (const row of rows) {
      const alive = await new Promise<boolean>((done) => {
        const socket = connect({ host: row.rpc_address, port: row.rpc_port, timeout: 1_000 });
        socket.once('connect', () => (socket.destroy(), done(true)));
        socket.once('timeout', () => (socket.destroy(), done(false)));
        socket.once('error', () => done(false));
      });
      if (!alive) dead.push(row.host_id);
    }
    if (dead.length > 0) await client.query('DELETE FROM cluster_membership WHERE host_id = ANY($1)', [dead]);
    return dead.length;
  } finally {
    await client.end();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;

/** Waits for the frontend, registers the namespace if missing and waits until history and matching know it. */
async function prepareNamespace(address: string, namespace: string, until: number): Promise<void> {
  const retry = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    let last: unknown;
    while (Date.now() < until) {
      try {
        return await f();
      } catch (e) {
        last = e;
        await sleep(250);
      }
    }
    throw new Error(`Temporal cluster: timed out waiting for ${what}: ${String(last)}`, { cause: last });
  };
  const connection = await retry('the frontend', () => Connection.connect({ address, connectTimeout: 10_000 }));
  const ws = connection.workflowService;
  try {
    await retry('the frontend', () => ws.getSystemInfo({}));
    await retry(`namespace ${namespace}`, async () => {
      try {
        await ws.describeNamespace({ namespace });
      } catch (e) {
        if (!isGrpcServiceError(e) || e.code !== GRPC_NOT_FOUND) throw e;
        try {
          await ws.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day'), description: 'Tuanwu' });
        } catch (e2) {
          if (!isGrpcServiceError(e2) || e2.code !== GRPC_ALREADY_EXISTS) throw e2;
        }
        await ws.describeNamespace({ namespace });
      }
    });
    // Each service has its own namespace registry: ask history (a workflow that does not exist) and matching.
    await retry(`history to know namespace ${namespace}`, async () => {
      try {
        await ws.describeWorkflowExecution({ namespace, execution: { workflowId: `tuanwu-cluster-probe-${Date.now()}` } });
      } catch (e) {
        if (isGrpcServiceError(e) && e.code === GRPC_NOT_FOUND && !/namespace/i.test(e.details ?? e.message)) return;
        throw e;
      }
    });
    await retry(`matching to know namespace ${namespace}`, () =>
      ws.describeTaskQueue({
        namespace,
        taskQueue: { name: 'tuanwu-cluster-probe' },
        taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      }),
    );
  } finally {
    await connection.close();
  }
}

async function customSearchAttributes(address: string, namespace: string): Promise<Record<string, number>> {
  const connection = await Connection.connect({ address });
  try {
    return (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } finally {
    await connection.close();
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
  if (args.includes('--find')) {
    // CI and a newcomer's first run: find the binaries, or build them once into the cache, and say where.
    const bins = findClusterBinaries({ log: (s) => console.error(s) });
    console.log(`${bins.server}\n${bins.sqlTool}\n${bins.schemaDir}`);
    process.exit(0);
  }
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
