// Issue 21: migrations a live province can run. `npm run migrate` applies them while the API and the workers write
// (no write waits more than 1 s), they give the schema the tests have always run on, and `npm run api` and
// `npm run worker` refuse an older schema instead of migrating it at start.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { assertSchemaCurrent, createDb, MIGRATIONS, migrate, SchemaNotCurrentError, type Db } from '../db';
import { startThrowawayPostgres, type RunningPostgres } from '../scripts/postgres';
import { MAX_WAIT_MS, migrationDrill, schemaDump } from '../bench/migrations';
import { TEST_PAYLOAD_KEYS, spawnTuanwu } from './harness';

/**
 * sha256 of schemaDump after every migration up to 0015, taken from the migrations as they were before issue 21
 * rewrote them to run online (each in kysely's one transaction, plain index builds), on PostgreSQL 15 and 18 alike.
 */
const SCHEMA_0015 = 'd98751b5a99b4fbd13ed9033b8949e4ba95ecb8e5b1a9da604d32ade1fd4bee5';

async function withPostgres<T>(run: (pg: RunningPostgres, db: Db) => Promise<T>): Promise<T> {
  const pg = await startThrowawayPostgres();
  const db = createDb(pg.url, { max: 2 });
  try {
    return await run(pg, db);
  } finally {
    await db.destroy();
    await pg.stop();
  }
}

const fingerprint = (lines: string[]) => createHash('sha256').update(lines.join('\n')).digest('hex');

async function invalidIndexes(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid
    where c.relnamespace = 'public'::regnamespace and not (i.indisvalid and i.indisready)`.execute(db);
  return rows.map((r) => r.name);
}

/** Runs `npm run migrate` (node + tsx, as npm does) against `databaseUrl`; answers its exit code and output. */
function npmRunMigrate(databaseUrl: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts'], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('issue 21: migrations a live province can run', () => {
  it(
    'issue 21: every migration runs online: from the previous schema, on 1 M members and 1 M processes, no write waits more than 1 s',
    { timeout: 420_000 },
    async () => {
      const r = await migrationDrill({ members: 1_000_000, processes: 1_000_000, baselineMs: 3000 }, (s) => console.log(s));
      console.log(
        `issue 21: the longest write wait while migrating: ${r.longest.maxWaitMs.toFixed(0)} ms (${r.longest.name}, ${r.longest.worst}); ` +
          `with no migration: ${r.baseline.maxWaitMs.toFixed(0)} ms`,
      );
      // The drill starts from the first migration that has both tables, and applies every later one: new ones too.
      expect(r.before.at(-1)).toBe('0001_init');
      expect(r.migrations.map((m) => m.name)).toEqual(MIGRATIONS.slice(r.before.length).map((m) => m.name));
      expect(r.failures).toEqual([]);
      // The writer kept writing through the migrations (about 100 statements a second).
      expect(r.migrations.reduce((n, m) => n + m.writes, 0)).toBeGreaterThan(100);
      for (const m of r.migrations) expect(m.maxWaitMs, `${m.name}: ${m.worst}`).toBeLessThanOrEqual(MAX_WAIT_MS);
      expect(r.invalidIndexes).toEqual([]);
      expect(r.recordedTwice).toEqual([]);
      // Online, over rows and under writes, the schema comes out as a fresh migrate's.
      expect(fingerprint(r.schema)).toBe(SCHEMA_0015);
    },
  );

  it('issue 21: the schema after the online migrations is the one the tests have always run on', { timeout: 120_000 }, async () => {
    await withPostgres(async (pg, db) => {
      // Two processes migrating at once: one applies each migration, the other waits and finds nothing left.
      const other = createDb(pg.url, { max: 1 });
      let applied: string[][];
      try {
        applied = await Promise.all([migrate(db), migrate(other)]);
      } finally {
        await other.destroy();
      }
      expect([...applied[0]!, ...applied[1]!].sort()).toEqual(MIGRATIONS.map((m) => m.name));
      expect(applied.filter((a) => a.length === 0)).toHaveLength(1);
      expect(await migrate(db)).toEqual([]);

      const recorded = await sql<{ name: string; n: number }>`select name, count(*)::int as n from kysely_migration group by name order by name`.execute(db);
      expect(recorded.rows).toEqual(MIGRATIONS.map((m) => ({ name: m.name, n: 1 })));
      expect(await invalidIndexes(db)).toEqual([]);
      const indexes = await sql<{ n: number }>`select count(*)::int as n from pg_indexes where schemaname = 'public' and tablename not like 'kysely%'`.execute(
        db,
      );
      expect(indexes.rows[0]!.n).toBe(94);
      // Up to 0015, the same columns, indexes, constraints, triggers and functions as the migrations before issue 21.
      const dump = await schemaDump(db);
      expect(fingerprint(dump), dump.join('\n')).toBe(SCHEMA_0015);
    });
  });

  it('issue 21: an index a failed concurrent build left invalid is dropped and built again', { timeout: 120_000 }, async () => {
    await withPostgres(async (_pg, db) => {
      await migrate(db, { to: '0014_idempotency_claims' });
      await sql`insert into events (idempotency_key, type) select 'e' || g, 'org.updated' from generate_series(1, 3) g`.execute(db);
      // A build of 0015's index under its name that fails (duplicates), as an interrupted one would: left invalid.
      await expect(sql`create unique index concurrently events_org_updated on events (type)`.execute(db)).rejects.toMatchObject({ code: '23505' });
      expect(await invalidIndexes(db)).toEqual(['events_org_updated']);
      expect(await migrate(db)).toEqual(['0015_cohort_bases']);
      expect(await invalidIndexes(db)).toEqual([]);
      const def = await sql<{ indexdef: string }>`select indexdef from pg_indexes where indexname = 'events_org_updated'`.execute(db);
      expect(def.rows[0]!.indexdef).toMatch(/ON public\.events USING btree \(org_id, occurred_at\) WHERE \(type = 'org\.updated'::text\)$/);
    });
  });

  it('issue 21: the API and the worker refuse to start on an old schema, naming npm run migrate', { timeout: 180_000 }, async () => {
    await withPostgres(async (pg, db) => {
      const last = MIGRATIONS.at(-1)!.name;
      await migrate(db, { to: MIGRATIONS.at(-2)!.name });
      const env = { DATABASE_URL: pg.url, TUANWU_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, TEMPORAL_ADDRESS: '127.0.0.1:1', HOST: '127.0.0.1', PORT: '0' };
      for (const what of ['api', 'worker'] as const) {
        const p = spawnTuanwu(what, env);
        const timer = setTimeout(() => void p.stop('SIGKILL'), 90_000);
        const code = await new Promise<number | null>((resolve) => (p.alive() ? p.child.once('exit', (c) => resolve(c)) : resolve(p.child.exitCode)));
        clearTimeout(timer);
        expect(code, p.output()).toBe(1);
        expect(p.output()).toContain('npm run migrate');
        expect(p.output()).toContain(last);
      }
      // Neither touched the schema.
      await expect(assertSchemaCurrent(db)).rejects.toBeInstanceOf(SchemaNotCurrentError);

      // `npm run migrate` reports each migration; then the check passes.
      const run = await npmRunMigrate(pg.url);
      expect(run.code, run.output).toBe(0);
      expect(run.output).toMatch(new RegExp(`${last} applied in [0-9.]+ s`));
      await expect(assertSchemaCurrent(db)).resolves.toBeUndefined();
      expect((await npmRunMigrate(pg.url)).output).toContain('nothing to do');

      // A schema newer than the build (a migration it does not know) is refused too.
      await sql`insert into kysely_migration (name, timestamp) values ('9999_from_a_newer_build', ${new Date().toISOString()})`.execute(db);
      await expect(assertSchemaCurrent(db)).rejects.toThrow(/9999_from_a_newer_build.*newer build/);
    });
  });
});
