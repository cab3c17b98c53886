// PostgreSQL for tests (a throw-away cluster of the machine's server) and for the start command (embedded PGlite).
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './net';

export interface RunningPostgres {
  url: string;
  dataDir?: string;
  stop(): Promise<void>;
  /** Stops the server, waits `downMs`, and starts it again on the same port and data (fault tests). */
  restart?(opts?: { downMs?: number }): Promise<void>;
}

function pgBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  try {
    return execFileSync('pg_config', ['--bindir']).toString().trim();
  } catch {
    /* look in Debian's place */
  }
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(join(base, v, 'bin', 'initdb'))) return join(base, v, 'bin');
  }
  throw new Error('PostgreSQL server binaries not found: install postgresql (Debian: apt-get install postgresql-15) or set PG_BIN or DATABASE_URL');
}

/** As root, PostgreSQL refuses to run: run it as the `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
  return { uid, gid };
}

export async function startThrowawayPostgres(): Promise<RunningPostgres> {
  const bin = pgBinDir();
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'tuanwu-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, 'data');
  execFileSync(join(bin, 'initdb'), ['-D', dataDir, '-U', 'tuanwu', '--auth=trust', '-E', 'UTF8', '--no-locale'], {
    stdio: 'ignore',
    ...user,
  });
  writeFileSync(join(dataDir, 'postgresql.auto.conf'), 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 300\n');
  if (user) chownSync(join(dataDir, 'postgresql.auto.conf'), user.uid, user.gid);
  const port = await freePort();
  const start = async () => {
    const child = spawn(join(bin, 'pg_ctl'), ['-D', dataDir, '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -h 127.0.0.1`, '-w', 'start'], {
      stdio: 'ignore',
      ...user,
    });
    await new Promise<void>((resolve, reject) => child.once('exit', (c) => (c === 0 ? resolve() : reject(new Error(`pg_ctl start exited ${c}`)))));
    await waitForPort(port);
  };
  const stop = async () => {
    const child = spawn(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop'], { stdio: 'ignore', ...user });
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  };
  await start();
  execFileSync(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'tuanwu', 'tuanwu'], { stdio: 'ignore' });
  return {
    url: `postgres://tuanwu@127.0.0.1:${port}/tuanwu`,
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

/** An embedded PostgreSQL (PGlite) persisted under `dataDir`, served on a local port for `pg`. */
export async function startEmbeddedPostgres(dataDir: string): Promise<RunningPostgres> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(dataDir);
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 20 });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
