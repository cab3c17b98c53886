// `npm run restore -- <backup folder> [--data-dir <dir>]`: a backup of `npm run backup` into a fresh data folder
// (absent or empty; TUANWU_DATA_DIR or .data by default), after checking it is whole (every file of its manifest,
// with its size and SHA-256). Then `npm start` on that folder resumes every open process (docs/backup.md).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { mb, restoreEntries, shown, sizesOf, verifyBackup } from './backup-files';

function usage(): never {
  console.error('usage: npm run restore -- <backup folder> [--data-dir <fresh data folder>]');
  process.exit(2);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let from: string | undefined;
  let dataDir = process.env.TUANWU_DATA_DIR ?? '.data';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data-dir') dataDir = argv[++i] ?? usage();
    else if (a.startsWith('-') || from) usage();
    else from = a;
  }
  if (!from) usage();
  const [src, to] = [resolve(from), resolve(dataDir)];
  // A restore never mixes with data already there: old and restored files would make neither state.
  if (existsSync(to) && (!statSync(to).isDirectory() || readdirSync(to).length > 0))
    throw new Error(`${to} is not empty: restore into a fresh data folder (absent or empty), e.g. --data-dir .data-restored; move the old one away first`);
  const t0 = performance.now();
  const manifest = await verifyBackup(src);
  const tVerified = performance.now();
  await restoreEntries(src, to, manifest).catch((e: unknown) => {
    throw new Error(`${e instanceof Error ? e.message : String(e)}; the restore stopped half-way: remove ${to} before trying again`);
  });
  const s = sizesOf(manifest);
  console.log(
    `restored ${shown(src)} (taken ${manifest.createdAt} from ${manifest.running ? `a running system, paused ${manifest.pauseMs} ms` : 'a stopped data folder'}) ` +
      `into ${shown(to)}: ${s.files} files, ${mb(manifest.bytes)} (PostgreSQL ${mb(s.postgres)}, Temporal ${mb(s.temporal)}); ` +
      `checked in ${Math.round(tVerified - t0)} ms, copied in ${Math.round(performance.now() - tVerified)} ms\n` +
      `  start it with: TUANWU_DATA_DIR=${shown(to)} npm start   (then check it as docs/backup.md says)`,
  );
}

main().catch((e: unknown) => {
  console.error(`restore failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
