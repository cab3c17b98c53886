import { sql, type Kysely, type RawBuilder } from 'kysely';

/**
 * Migrations a live province can run (issue 21): the API and the workers keep writing while `npm run migrate` works,
 * so no step may hold a lock that stops writes for long. The helpers below are how a migration does DDL:
 * - `ddl`: a short transaction that waits at most LOCK_TIMEOUT for its locks and is retried with backoff, so a DDL
 *   statement queued behind a long reader never makes the writes queued behind it wait longer than that;
 * - `createIndex`: CONCURRENTLY, outside any transaction (writes go on during the build); an index a failed build
 *   left INVALID is dropped and built again;
 * - `addCheck`: NOT VALID under the short exclusive lock, then VALIDATE in a transaction of its own, whose lock lets
 *   writes go on while it scans;
 * - `inBatches`: a backfill of a large table, a batch per transaction, never one UPDATE over the whole table.
 * A migration that uses them outside a transaction says so: `export const transactional = false` (db/migrate.ts).
 */

/**
 * A write queued behind a DDL statement that waits for its lock waits as long as it: half the 1 s a write may wait
 * (issue 21), the other half for the DDL's own work once it holds the lock.
 */
export const LOCK_TIMEOUT = '500ms';
/** Waits between attempts when a lock was not granted in time: 0.25 s, doubling, 8 attempts (about 30 s). */
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000, 15000];

// A migration's database: kysely's Migration type takes Kysely<any>, and so do these.
type AnyDb = Kysely<any>;

/** PostgreSQL's lock_not_available (lock_timeout expired) and deadlock_detected: both leave nothing done. */
export function isLockTimeout(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === '55P03' || code === '40P01';
}

/** Runs `attempt` again after a lock timeout, with backoff; any other error, or the last timeout, is thrown. */
export async function retryOnLockTimeout<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isLockTimeout(e) || i >= BACKOFF_MS.length) throw e;
      await new Promise((r) => setTimeout(r, BACKOFF_MS[i]! * (0.75 + Math.random() / 2)));
    }
  }
}

/**
 * DDL that takes an ACCESS EXCLUSIVE (or other write-blocking) lock: in a transaction of its own with lock_timeout,
 * retried with backoff. Inside a transaction already (a transactional migration, or a test calling `up` in one), it
 * runs there: the runner set the timeout and retries the whole migration.
 */
export async function ddl(db: AnyDb, statements: (tx: AnyDb) => Promise<void>): Promise<void> {
  if (db.isTransaction) {
    await statements(db);
    return;
  }
  await retryOnLockTimeout(() =>
    db.transaction().execute(async (tx) => {
      await sql`set local lock_timeout = ${sql.lit(LOCK_TIMEOUT)}`.execute(tx);
      await statements(tx);
    }),
  );
}

/** Whether index `name` exists and is valid (a CONCURRENTLY build that failed leaves it invalid), or is missing. */
async function indexState(db: AnyDb, name: string): Promise<'valid' | 'invalid' | 'missing'> {
  const { rows } = await sql<{ valid: boolean }>`
    select i.indisvalid and i.indisready as valid from pg_index i join pg_class c on c.oid = i.indexrelid
    where c.relname = ${name} and c.relnamespace = current_schema()::regnamespace`.execute(db);
  return rows.length === 0 ? 'missing' : rows[0]!.valid ? 'valid' : 'invalid';
}

/**
 * `create [unique] index concurrently if not exists <name> <definition>` (definition: `on table (…) [where …]`),
 * outside a transaction: writes go on during the build. An invalid index of that name (a build that failed or was
 * interrupted) is dropped first, since IF NOT EXISTS would keep it. Inside a transaction (CONCURRENTLY cannot run
 * there) it is an ordinary build: only a test that calls `up` in a transaction gets there.
 */
export async function createIndex(db: AnyDb, name: string, definition: RawBuilder<unknown>, opts: { unique?: boolean } = {}): Promise<void> {
  const unique = opts.unique ? sql`unique` : sql``;
  if (db.isTransaction) {
    await sql`create ${unique} index if not exists ${sql.ref(name)} ${definition}`.execute(db);
    return;
  }
  // A build that a deadlock ended (a process of an older build waiting in pg_advisory_lock) is tried again.
  await retryOnLockTimeout(async () => {
    if ((await indexState(db, name)) === 'invalid') await sql`drop index concurrently if exists ${sql.ref(name)}`.execute(db);
    await sql`create ${unique} index concurrently if not exists ${sql.ref(name)} ${definition}`.execute(db);
  });
  if ((await indexState(db, name)) !== 'valid') throw new Error(`index ${name} is not valid after its build`);
}

/**
 * A check constraint on a table that has rows: added NOT VALID (a catalog change under the short exclusive lock),
 * then validated in a transaction of its own, whose SHARE UPDATE EXCLUSIVE lock lets writes go on while it scans.
 */
export async function addCheck(db: AnyDb, table: string, name: string, check: RawBuilder<unknown>): Promise<void> {
  await ddl(db, async (tx) => {
    const { rows } = await sql`select 1 from pg_constraint where conname = ${name} and conrelid = ${table}::regclass`.execute(tx);
    if (rows.length === 0) await sql`alter table ${sql.table(table)} add constraint ${sql.ref(name)} check (${check}) not valid`.execute(tx);
  });
  await ddl(db, async (tx) => {
    await sql`alter table ${sql.table(table)} validate constraint ${sql.ref(name)}`.execute(tx);
  });
}

/**
 * A backfill of a large table: `batch` changes at most a few thousand rows (`… where id in (select id … limit 5000)`)
 * and answers how many; each batch commits on its own, so row locks are held for one batch, until one changes none.
 */
export async function inBatches(db: AnyDb, batch: (tx: AnyDb) => Promise<number | bigint>): Promise<void> {
  if (db.isTransaction) {
    while (Number(await batch(db)) > 0);
    return;
  }
  for (;;) {
    const changed = await retryOnLockTimeout(() =>
      db.transaction().execute(async (tx) => {
        await sql`set local lock_timeout = ${sql.lit(LOCK_TIMEOUT)}`.execute(tx);
        return batch(tx);
      }),
    );
    if (Number(changed) === 0) return;
  }
}
