// The migration runner (issue 21): `npm run migrate` and `npm start` apply the migrations, each in a transaction of
// its own (or none, if it says `transactional = false`), one process at a time; `npm run api` and `npm run worker`
// only check that the schema is current (assertSchemaCurrent), so a roll of replicas never migrates a live province
// by accident, and several starting at once never race on DDL.
import { sql, type Kysely } from 'kysely';
import { LOCK_TIMEOUT, retryOnLockTimeout } from './migrations/online';
import * as m0001 from './migrations/0001_init';
import * as m0002 from './migrations/0002_workflow_problems';
import * as m0003 from './migrations/0003_transfers';
import * as m0004 from './migrations/0004_deletions_dues_discipline';
import * as m0005 from './migrations/0005_open_processes';
import * as m0006 from './migrations/0006_org_data';
import * as m0007 from './migrations/0007_console';
import * as m0008 from './migrations/0008_member_data';
import * as m0009 from './migrations/0009_health';
import * as m0010 from './migrations/0010_campaigns';
import * as m0011 from './migrations/0011_member_state';
import * as m0012 from './migrations/0012_campaign_r25';
import * as m0013 from './migrations/0013_current_posts';
import * as m0014 from './migrations/0014_idempotency_claims';
import * as m0015 from './migrations/0015_cohort_bases';

type AnyDb = Kysely<any>;

export interface OnlineMigration {
  up(db: AnyDb): Promise<void>;
  down?(db: AnyDb): Promise<void>;
  /**
   * false: `up` runs outside a transaction (CREATE INDEX CONCURRENTLY, a VALIDATE after its NOT VALID, a backfill in
   * batches) and uses db/migrations/online.ts for its steps; each step must be safe to run again after a failure.
   */
  transactional?: boolean;
}

/** Every migration, in order: a new one is added at the end (its name sorts after the last). */
export const MIGRATIONS: readonly (OnlineMigration & { name: string })[] = Object.entries({
  '0001_init': m0001,
  '0002_workflow_problems': m0002,
  '0003_transfers': m0003,
  '0004_deletions_dues_discipline': m0004,
  '0005_open_processes': m0005,
  '0006_org_data': m0006,
  '0007_console': m0007,
  '0008_member_data': m0008,
  '0009_health': m0009,
  '0010_campaigns': m0010,
  '0011_member_state': m0011,
  '0012_campaign_r25': m0012,
  '0013_current_posts': m0013,
  '0014_idempotency_claims': m0014,
  '0015_cohort_bases': m0015,
} satisfies Record<string, OnlineMigration>).map(([name, m]) => ({ ...(m as OnlineMigration), name }));

/** kysely's Migrator table, kept: databases it migrated carry on, and its record of what ran is the same. */
const TABLE = 'kysely_migration';
/** kysely's Migrator lock key: a build that still migrates with it waits for this one, and the other way round. */
const LOCK_KEY = 3853314791062309107n;

/** The schema is behind this build (or ahead of it): the API and the worker refuse to start. */
export class SchemaNotCurrentError extends Error {
  constructor(
    message: string,
    readonly pending: string[],
    readonly unknown: string[],
  ) {
    super(message);
    this.name = 'SchemaNotCurrentError';
  }
}

/** The migrations recorded as applied, oldest first ([] before the first `migrate`). */
async function appliedMigrations(db: AnyDb): Promise<string[]> {
  const { rows } = await sql<{ exists: boolean }>`select to_regclass(${TABLE}) is not null as exists`.execute(db);
  if (!rows[0]?.exists) return [];
  const applied = await sql<{ name: string }>`select name from ${sql.table(TABLE)} order by name`.execute(db);
  return applied.rows.map((r) => r.name);
}

/** What this build knows against what the database records: pending (not applied) and unknown (applied, not known). */
export async function schemaStatus(db: AnyDb): Promise<{ applied: string[]; pending: string[]; unknown: string[] }> {
  const applied = await appliedMigrations(db);
  const known = new Set(MIGRATIONS.map((m) => m.name));
  return {
    applied,
    pending: MIGRATIONS.map((m) => m.name).filter((n) => !applied.includes(n)),
    unknown: applied.filter((n) => !known.has(n)),
  };
}

/**
 * For `npm run api` and `npm run worker`: every known migration applied and none unknown, or a SchemaNotCurrentError
 * that says what to do. They never migrate: a roll of new replicas must not change a live province's schema unasked.
 */
export async function assertSchemaCurrent(db: AnyDb): Promise<void> {
  const { pending, unknown } = await schemaStatus(db);
  if (unknown.length > 0)
    throw new SchemaNotCurrentError(
      `the database has migrations this build does not know (${unknown.join(', ')}): it was migrated by a newer build; run that build, or this one's \`npm run migrate\` will not undo them`,
      pending,
      unknown,
    );
  if (pending.length > 0)
    throw new SchemaNotCurrentError(
      `the database schema is older than this build: ${pending.length} migration(s) not applied (${pending.join(', ')}); run \`npm run migrate\` against this DATABASE_URL, then start again`,
      pending,
      unknown,
    );
}

export interface MigrateOptions {
  /** Stop after this migration (tests apply them one at a time). */
  to?: string;
  /** Told as each migration starts (an index build on a large table takes minutes), and once it is applied. */
  onStart?: (name: string) => void;
  onApplied?: (name: string, ms: number) => void;
  /** Told once if another process holds the migration lock. */
  onWait?: () => void;
}

/**
 * Applies the pending migrations, in order, on one connection holding the migration lock; answers their names.
 * Safe to call from several processes at once: the others wait, then find nothing to do.
 */
export async function migrate(db: AnyDb, opts: MigrateOptions = {}): Promise<string[]> {
  if (opts.to !== undefined && !MIGRATIONS.some((m) => m.name === opts.to)) throw new Error(`no migration named ${opts.to}`);
  return db.connection().execute(async (conn) => {
    await lock(conn, opts.onWait);
    try {
      await sql`create table if not exists ${sql.table(TABLE)} (name varchar(255) not null primary key, timestamp varchar(255) not null)`.execute(conn);
      const applied = await appliedMigrations(conn);
      const unknown = applied.filter((n) => !MIGRATIONS.some((m) => m.name === n));
      if (unknown.length > 0) throw new Error(`the database has migrations this build does not know (${unknown.join(', ')}): it was migrated by a newer build`);
      // As kysely's Migrator: what ran is the first migrations of the list, so a new one always comes last.
      const firstPending = MIGRATIONS.findIndex((m) => !applied.includes(m.name));
      if (firstPending >= 0 && MIGRATIONS.slice(firstPending).some((m) => applied.includes(m.name)))
        throw new Error(`migration ${MIGRATIONS[firstPending]!.name} was never applied but later ones were: a new migration must sort after the last`);
      const last = opts.to === undefined ? MIGRATIONS.length : MIGRATIONS.findIndex((m) => m.name === opts.to) + 1;
      const done: string[] = [];
      for (const m of MIGRATIONS.slice(0, last)) {
        if (applied.includes(m.name)) continue;
        opts.onStart?.(m.name);
        const t0 = performance.now();
        try {
          await applyOne(conn, m);
        } catch (e) {
          throw new Error(`migration ${m.name} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        }
        done.push(m.name);
        opts.onApplied?.(m.name, performance.now() - t0);
      }
      return done;
    } finally {
      await sql`select pg_advisory_unlock(${sql.lit(LOCK_KEY)})`.execute(conn);
    }
  });
}

async function applyOne(conn: AnyDb, m: OnlineMigration & { name: string }): Promise<void> {
  const record = (db: AnyDb) => sql`insert into ${sql.table(TABLE)} (name, timestamp) values (${m.name}, ${new Date().toISOString()})`.execute(db);
  if (m.transactional === false) {
    await m.up(conn);
    await record(conn);
    return;
  }
  // Its DDL and its record commit together; a lock not granted in time rolls it all back, to be tried again.
  await retryOnLockTimeout(() =>
    conn.transaction().execute(async (tx) => {
      await sql`set local lock_timeout = ${sql.lit(LOCK_TIMEOUT)}`.execute(tx);
      await m.up(tx);
      await record(tx);
    }),
  );
}

/**
 * The session's advisory lock, tried every half second rather than awaited: a process blocked in pg_advisory_lock
 * keeps a snapshot open, and the holder's CREATE INDEX CONCURRENTLY would wait for that snapshot, which waits for it.
 */
async function lock(conn: AnyDb, onWait?: () => void): Promise<void> {
  for (let told = false; ;) {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${sql.lit(LOCK_KEY)}) as locked`.execute(conn);
    if (rows[0]?.locked) return;
    if (!told) onWait?.();
    told = true;
    await new Promise((r) => setTimeout(r, 500));
  }
}
