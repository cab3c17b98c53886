import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database, NewEvent } from './schema';

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

// The migration runner (issue 21): `migrate` for `npm run migrate`, `npm start` and the tests; the API and the
// worker only `assertSchemaCurrent`.
export { assertSchemaCurrent, migrate, schemaStatus, SchemaNotCurrentError, MIGRATIONS, type MigrateOptions } from './migrate';

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
