// The running `npm start`'s side of `npm run backup` (issue 21): on request over a Unix socket in the data folder,
// it pauses for a cold, consistent copy of both stores. Temporal stops first, so workflows stop moving; then
// PostgreSQL, so an activity that wrote after Temporal stopped is retried after a restore and finds its idempotency
// key (nothing written twice). Both are copied, then started again on the same ports and arguments: the pool,
// the client and the worker reconnect, and requests meanwhile get 503 ("send it again").
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { isAbsolute, join } from 'node:path';
import type { DevServer } from './temporal-server';
import { embeddedPgBinDir, type RunningPostgres } from './postgres';
import type { Lifecycle } from '../runtime/lifecycle';
import { waitForPort } from './net';
import { POSTGRES_DIR, checkDestination, controlSocketPath, copyTree, sizesOf, writeManifest } from './backup-files';

/** The stores `npm start` runs; setting one replaces what scripts/start.ts stops at the end. */
export interface EmbeddedStores {
  temporal: DevServer | undefined;
  /** Stopped with its own stop(), started again as scripts/postgres.ts starts it: its stop() still stops it. */
  readonly postgres: RunningPostgres | undefined;
}

export interface BackupRequest {
  to: string;
}

/** One line of the answer: progress, then the result or an error. */
export type BackupReply =
  | { step: string }
  | {
      ok: true;
      pauseMs: number;
      temporalDownMs: number;
      postgresDownMs: number;
      copyMs: number;
      bytes: number;
      sizes: ReturnType<typeof sizesOf>;
    }
  | { ok: false; error: string };

/** Listens on the data folder's control socket; a failure to listen is logged, never stops the system. */
export async function serveBackups(o: {
  dataDir: string;
  stores: EmbeddedStores;
  log: (s: string) => void;
  life: Pick<Lifecycle, 'onStop' | 'exit'>;
}): Promise<void> {
  const path = controlSocketPath(o.dataDir);
  rmSync(path, { force: true }); // a socket left by a process that died: nobody listens on it
  let inFlight: Promise<unknown> | undefined;
  const server = createServer((socket) => {
    let buffered = '';
    socket.on('error', () => {});
    const onData = (d: Buffer) => {
      buffered += d.toString();
      if (!buffered.includes('\n')) return;
      socket.off('data', onData); // one request per connection
      const reply = (r: BackupReply) => socket.write(JSON.stringify(r) + '\n');
      let req: BackupRequest;
      try {
        req = JSON.parse(buffered.slice(0, buffered.indexOf('\n'))) as BackupRequest;
      } catch {
        return void socket.end(JSON.stringify({ ok: false, error: 'not a backup request' }) + '\n');
      }
      if (typeof req?.to !== 'string' || !isAbsolute(req.to))
        return void socket.end(JSON.stringify({ ok: false, error: 'the backup folder must be an absolute path' }) + '\n');
      if (inFlight) return void socket.end(JSON.stringify({ ok: false, error: 'a backup is running already' }) + '\n');
      inFlight = pauseAndCopy(o, req.to, reply)
        .then((r) => socket.end(JSON.stringify(r) + '\n'))
        .catch((e: unknown) => socket.end(JSON.stringify({ ok: false, error: e instanceof Error ? e.message : String(e) }) + '\n'))
        .finally(() => (inFlight = undefined));
    };
    socket.on('data', onData);
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', (e) => (o.log(`npm run backup cannot reach this process (${e.message}): back up after stopping it`), resolve(false)));
    server.listen(path, () => resolve(true));
  });
  if (!listening) return;
  chmodSync(path, 0o600); // the data folder's owner only, wherever the socket lies
  // Registered last, stopped first: a backup under way finishes (and restarts the stores) before they are stopped.
  o.life.onStop('backup socket', async () => {
    server.close();
    await inFlight;
    rmSync(path, { force: true });
  });
}

async function pauseAndCopy(
  o: { dataDir: string; stores: EmbeddedStores; log: (s: string) => void; life: Pick<Lifecycle, 'exit'> },
  to: string,
  reply: (r: BackupReply) => void,
): Promise<BackupReply> {
  const { temporal, postgres } = o.stores;
  if (!temporal || !postgres)
    throw new Error(
      `this npm start uses ${!postgres ? 'DATABASE_URL' : 'TEMPORAL_ADDRESS'} (an external server): back it up as docs/backup.md says for production`,
    );
  checkDestination(o.dataDir, to);
  const pgDir = postgres.dataDir ?? join(o.dataDir, POSTGRES_DIR);
  o.log('backup: pausing (Temporal, then PostgreSQL) for a cold copy; requests get 503 meanwhile');
  const t0 = performance.now();
  reply({ step: 'stopping Temporal' });
  await temporal.stop();
  const tTemporal = performance.now();
  let copied: Awaited<ReturnType<typeof copyTree>> | undefined;
  let failure: unknown;
  let postgresDown = false;
  let tPostgres = tTemporal;
  try {
    reply({ step: 'stopping PostgreSQL' });
    await postgres.stop();
    postgresDown = true;
    tPostgres = performance.now();
    reply({ step: 'copying' });
    copied = await copyTree(o.dataDir, to);
  } catch (e) {
    failure = e;
  }
  const tCopied = performance.now();
  let tPostgresUp: number;
  let tUp: number;
  try {
    // Whatever failed, both stores run again before anything is answered (a PostgreSQL that did not stop still runs).
    if (postgresDown) await startPostgresAgain(pgDir, postgres.url);
    tPostgresUp = performance.now();
    o.stores.temporal = await startTemporalAgain(temporal);
    tUp = performance.now();
  } catch (e) {
    // A store that does not come back leaves a process that cannot work: stop it rather than serve 503s for ever.
    o.log(`backup: a store did not start again: ${e instanceof Error ? e.message : String(e)}; stopping`);
    void o.life.exit(1, 'a store did not start again after a backup');
    throw e;
  }
  const pauseMs = Math.round(tUp - t0);
  o.log(`backup: resumed after ${pauseMs} ms`);
  if (failure) {
    if (postgresDown) await rm(to, { recursive: true, force: true }); // a half copy without its manifest: nobody should keep it
    throw failure;
  }
  reply({ step: 'resumed; hashing the copy' });
  const manifest = await writeManifest(to, { from: o.dataDir, running: true, pauseMs, bytes: copied!.bytes, entries: copied!.entries });
  return {
    ok: true,
    pauseMs,
    temporalDownMs: pauseMs,
    postgresDownMs: Math.round(tPostgresUp - tTemporal),
    copyMs: Math.round(tCopied - tPostgres),
    bytes: manifest.bytes,
    sizes: sizesOf(manifest),
  };
}

/**
 * PostgreSQL again as scripts/postgres.ts starts it (pg_ctl, same port, same log), as the owner of its folder (the
 * `postgres` user when root). The server's own stop (pg_ctl stop on the folder) stops this one too.
 */
async function startPostgresAgain(pgDir: string, url: string): Promise<void> {
  const bin = process.env.PG_BIN || embeddedPgBinDir();
  const owner = process.getuid?.() === 0 ? statSync(pgDir) : undefined;
  const args = ['-D', pgDir, '-l', join(pgDir, 'server.log'), '-o', `-p ${new URL(url).port}`, '-w', '-t', '120', 'start'];
  const child = spawn(join(bin, 'pg_ctl'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...(owner ? { uid: owner.uid, gid: owner.gid } : {}) });
  const tail = stderrTail(child);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`PostgreSQL did not start again (pg_ctl exit ${code}): ${tail()}; see ${join(pgDir, 'server.log')}`);
}

/** The Temporal dev server again with the very arguments it had (port, UI port, its SQLite file, search attributes). */
async function startTemporalAgain(old: DevServer): Promise<DevServer> {
  const child = spawn(old.process.spawnfile, old.process.spawnargs.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const tail = stderrTail(child);
  const [host, port] = old.address.split(':');
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (c) => reject(new Error(`the Temporal dev server exited (${c}) at its restart: ${tail()}`))),
  );
  exited.catch(() => {});
  await Promise.race([waitForPort(Number(port), host, 60_000), exited]);
  return { address: old.address, uiPort: old.uiPort, process: child, stop: () => stopChild(child, 'SIGTERM') };
}

function stderrTail(child: ChildProcess): () => string {
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-2000);
  });
  return () => tail.trim() || '(no output)';
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  });
}

/** For the CLI: whether a data folder's PostgreSQL is running (its lock file names a live process). */
export function postgresRunning(dataDir: string): number | undefined {
  const pidFile = join(dataDir, POSTGRES_DIR, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** For the CLI: a Temporal dev server with this data folder's SQLite file (its command line names it). */
export function temporalRunning(dataDir: string): number | undefined {
  if (!existsSync('/proc')) return undefined;
  const file = join(dataDir, 'temporal.db');
  for (const pid of readdirSafe('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (args.includes('start-dev') && args.includes(file)) return Number(pid);
    } catch {
      /* gone meanwhile */
    }
  }
  return undefined;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
