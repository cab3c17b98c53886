import { Kysely, Migrator, PostgresDialect, sql, type Migration, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database, NewEvent } from './schema';
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

// Dates stay calendar dates ("2019-05-04"), and counts come back as numbers.
pg.types.setTypeParser(1082, (v) => v);
pg.types.setTypeParser(20, (v) => Number(v));

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;

export function createDb(databaseUrl: string, opts: { max?: number } = {}): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: opts.max ?? 10 });
  // A server that goes away (restart: 57P01) errors every client. The pool listens on idle clients only;
  // a checked-out client between two queries of a transaction has no listener, and an unhandled 'error'
  // crashes the process. So every client listens for life: the query in flight (if any) fails and retries
  // as an activity or a 503, and the pool drops the broken client when it is released.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

const migrations: Record<string, Migration> = {
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
};

/** Applies pending migrations; safe to call from several processes at once (kysely takes a lock). */
export async function migrate(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
}

/**
 * The one way to change state: append a domain event under its idempotency key and, only if the event is
 * new, apply the read-model change in the same transaction. A retry finds the key and changes nothing.
 */
export async function recordOnce(db: Db, event: NewEvent, apply: (tx: Tx) => Promise<void> = async () => {}): Promise<{ applied: boolean }> {
  return db.transaction().execute(async (tx) => {
    const { payload, ...rest } = event;
    const row = await tx
      .insertInto('events')
      .values({ ...rest, payload: JSON.stringify(payload ?? {}) })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row) return { applied: false };
    await apply(tx);
    return { applied: true };
  });
}

/**
 * The database is down, restarting or unreachable (not a bad query): the caller may try again. PostgreSQL's
 * class 08 (connection exception) and 57P01-57P03 (shutting down, starting up), and the driver's own errors.
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (code.startsWith('08') || /^57P0[123]$/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)))
    return true;
  const message = e instanceof Error ? e.message : '';
  return /^Connection terminated|not queryable|timeout exceeded when trying to connect/.test(message);
}

/** Escapes a path for a LIKE prefix match. */
export function likePrefix(path: string): string {
  return path.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
}

/**
 * R19: one transaction at a time per development number, until it commits: the check-in that takes a number and
 * the void that retires it each check the other under this lock, so a number never ends both used and voided.
 */
export async function lockDevelopmentNumber(tx: Tx, number: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`development-number:${number}`}))`.execute(tx);
}
