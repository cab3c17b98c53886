// `npm run backup [-- <dir>] [--data-dir <dir>]`: a consistent copy of npm start's embedded stores (PostgreSQL's
// data folder and Temporal's temporal.db) with the data folder's keys and tokens, and a manifest (sizes, SHA-256)
// that `npm run restore` checks. A running `npm start` is asked over its control socket to pause for the copy
// (scripts/backup-pause.ts); a stopped data folder is copied as it is. Production: docs/backup.md.
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkDestination, controlSocketPath, copyTree, mb, shown, sizesOf, writeManifest } from './backup-files';
import { postgresRunning, temporalRunning, type BackupReply } from './backup-pause';

function usage(): never {
  console.error('usage: npm run backup [-- <backup folder>] [--data-dir <data folder>]');
  process.exit(2);
}

function parseArgs(argv: string[]): { to: string; dataDir: string } {
  let to: string | undefined;
  let dataDir = process.env.TUANWU_DATA_DIR ?? '.data';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data-dir') dataDir = argv[++i] ?? usage();
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-') || to) usage();
    else to = a;
  }
  // A UTC stamp sorts and names the moment wherever the backup is read.
  to ??= join('backups', `tuanwu-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  return { to: resolve(to), dataDir: resolve(dataDir) };
}

/** Asks the running system; undefined when nobody listens (no system runs on this data folder). */
async function askRunning(socketPath: string, to: string): Promise<Extract<BackupReply, { ok: boolean }> | undefined> {
  return new Promise((done, fail) => {
    const socket = connect(socketPath);
    let buffered = '';
    let last: Extract<BackupReply, { ok: boolean }> | undefined;
    socket.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') done(undefined);
      else fail(e);
    });
    socket.once('connect', () => socket.write(JSON.stringify({ to }) + '\n'));
    socket.on('data', (d) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const r = JSON.parse(buffered.slice(0, nl)) as BackupReply;
        buffered = buffered.slice(nl + 1);
        if ('step' in r) console.log(`  … ${r.step}`);
        else last = r;
      }
    });
    socket.once('close', () => (last ? done(last) : fail(new Error('the running system closed the connection without an answer: see its output'))));
  });
}

async function main(): Promise<void> {
  const { to, dataDir } = parseArgs(process.argv.slice(2));
  for (const v of ['DATABASE_URL', 'TEMPORAL_ADDRESS'] as const)
    if (process.env[v])
      throw new Error(
        `${v} is set: the data is in your own ${v === 'DATABASE_URL' ? 'PostgreSQL' : 'Temporal cluster'}, not in the data folder. ` +
          'npm run backup copies npm start’s embedded stores only; back up production as docs/backup.md says (both stores to one point in time).',
      );
  if (!existsSync(dataDir)) throw new Error(`no data folder at ${dataDir} (set TUANWU_DATA_DIR or --data-dir)`);
  checkDestination(dataDir, to);

  console.log(`backing up ${shown(dataDir)} to ${shown(to)}`);
  const t0 = performance.now();
  const answer = await askRunning(controlSocketPath(dataDir), to);
  if (answer && !answer.ok) throw new Error(`the running system refused: ${answer.error}`);
  if (answer?.ok) {
    const s = answer.sizes;
    console.log(
      `backup of the running system in ${shown(to)}: ${s.files} files, ${mb(answer.bytes)} (PostgreSQL ${mb(s.postgres)}, Temporal ${mb(s.temporal)}, keys and tokens ${s.other} bytes)\n` +
        `  paused ${answer.pauseMs} ms: Temporal down ${answer.temporalDownMs} ms, PostgreSQL down ${answer.postgresDownMs} ms, copy ${answer.copyMs} ms; ` +
        `requests meanwhile got 503 (send again)\n  total ${Math.round(performance.now() - t0)} ms with hashing; restore with: npm run restore -- ${shown(to)}`,
    );
    return;
  }

  // Nobody answers: the folder must really be at rest, or the copy would not be consistent.
  const pgPid = postgresRunning(dataDir);
  const tPid = temporalRunning(dataDir);
  if (pgPid || tPid)
    throw new Error(
      `${pgPid ? `PostgreSQL (pid ${pgPid})` : `a Temporal dev server (pid ${tPid})`} runs on ${shown(dataDir)} but no npm start answers on ` +
        `${controlSocketPath(dataDir)}: stop it, or start the system with npm start, then back up again`,
    );
  const manifest = await copyTree(dataDir, to)
    .then((copied) => writeManifest(to, { from: dataDir, running: false, pauseMs: null, bytes: copied.bytes, entries: copied.entries }))
    .catch(async (e: unknown) => {
      await rm(to, { recursive: true, force: true }); // a half copy without its manifest: nobody should keep it
      throw e;
    });
  const s = sizesOf(manifest);
  console.log(
    `backup of the stopped data folder in ${shown(to)}: ${s.files} files, ${mb(manifest.bytes)} (PostgreSQL ${mb(s.postgres)}, Temporal ${mb(s.temporal)}, ` +
      `keys and tokens ${s.other} bytes) in ${Math.round(performance.now() - t0)} ms; no pause (nothing runs)\n  restore with: npm run restore -- ${shown(to)}`,
  );
}

main().catch((e: unknown) => {
  console.error(`backup failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
