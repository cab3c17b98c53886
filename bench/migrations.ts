// The migration drill (issue 21): every migration run online. On a throw-away PostgreSQL, the schema as it was once
// members and processes existed, filled with `members` members, `processes` processes and some events
// (generate_series); then each later migration applied one at a time while a writer keeps writing as the API and the
// workers do (an event appended, a member updated, a process started; each statement timed, about 100 a second).
// Figure 11 (bench/figures/figure-11-migrations.ts) is the longest wait of a write while a migration runs, against the
// same writer's longest with none running (the baseline). test/migrations.test.ts runs the same drill and holds every
// migration to 1 s.
import { randomUUID } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import { createDb, MIGRATIONS, migrate, type Db } from '../db';
import { startThrowawayPostgres } from '../scripts/postgres';

/** A write may wait this long while a migration runs (issue 21). */
export const MAX_WAIT_MS = 1000;

export interface DrillSizes {
  members: number;
  processes: number;
  /** How long the baseline writer runs with no migration. */
  baselineMs?: number;
}

export interface MigrationWaits {
  name: string;
  /** The migration's own duration. */
  ms: number;
  /** Writes that started while it ran, and the longest of them, with its statement. */
  writes: number;
  maxWaitMs: number;
  worst: string;
}

export interface DrillResult {
  /** The migrations applied before the fill: the first after which members and processes exist, and those before. */
  before: string[];
  fillMs: number;
  baseline: { writes: number; maxWaitMs: number };
  migrations: MigrationWaits[];
  longest: MigrationWaits;
  /** Writes that failed (none expected: a migration must not break the writers either). */
  failures: string[];
  /** After the drill: indexes left invalid, and migrations recorded twice (both must be empty). */
  invalidIndexes: string[];
  recordedTwice: string[];
  /** The schema at the end (schemaDump): the same as a fresh `migrate`'s. */
  schema: string[];
}

/** The writer: one statement after another, each timed and filed under what ran when it started. */
class Writer {
  private label = '';
  private stopped = false;
  private loop: Promise<void> | undefined;
  readonly waits = new Map<string, { writes: number; maxWaitMs: number; worst: string }>();
  readonly failures: string[] = [];

  constructor(
    private readonly db: Db,
    private readonly memberIds: string[],
  ) {}

  start(label: string): void {
    this.label = label;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Files the writes that start from now on under `label`. */
  during(label: string): void {
    this.label = label;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async timed(what: string, q: () => Promise<unknown>): Promise<void> {
    const label = this.label;
    const t0 = performance.now();
    try {
      await q();
    } catch (e) {
      this.failures.push(`${label}: ${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const ms = performance.now() - t0;
    const w = this.waits.get(label) ?? { writes: 0, maxWaitMs: 0, worst: '' };
    w.writes++;
    if (ms > w.maxWaitMs) Object.assign(w, { maxWaitMs: ms, worst: what });
    this.waits.set(label, w);
  }

  private async run(): Promise<void> {
    for (let i = 0; !this.stopped; i++) {
      const memberId = this.memberIds[i % this.memberIds.length]!;
      await this.timed('insert into events', () =>
        sql`insert into events (idempotency_key, member_id, org_id, type, payload)
          values (${`drill:${randomUUID()}`}, ${memberId}, 'drill', 'drill.write', '{"n": 1}')`.execute(this.db),
      );
      await this.timed('update members', () => sql`update members set updated_at = now() where id = ${memberId}`.execute(this.db));
      await this.timed('insert into processes', () =>
        sql`insert into processes (id, kind, workflow_id, member_id, org_id, org_path, status, step, step_since, started_at, updated_at)
          values (${randomUUID()}, 'check-in', ${`drill-${i}`}, ${memberId}, 'drill', 'drill/', 'pending', 'review', now(), now(), now())`.execute(this.db),
      );
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function exists(db: Db, table: string): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`select to_regclass(${table}) is not null as ok`.execute(db);
  return rows[0]!.ok;
}

/** members, processes and events at scale, by SQL, over 20,000 organizations. */
async function fill(db: Db, sizes: DrillSizes, log: (s: string) => void): Promise<void> {
  let t = performance.now();
  const step = (what: string) => {
    log(`migration drill: ${what} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
  };
  const orgs = 20_000;
  await sql`insert into organizations (id, path, depth, name, kind)
    select 'd' || g, 'd/' || g || '/', 1, 'drill', case when g % 5 = 0 then 'committee' else 'branch' end
    from generate_series(1, ${orgs}) g`.execute(db);
  await sql`insert into members (id, name, id_number, join_date, development_number, branch_id, status)
    select gen_random_uuid(), 'drill', 'D' || lpad(g::text, 17, '0'), date '2016-05-04' + (g % 3000), 'N' || lpad(g::text, 12, '0'),
      'd' || (1 + g % ${orgs}), case when g % 50 = 0 then 'deleted' else 'active' end
    from generate_series(1, ${sizes.members}) g`.execute(db);
  step('members written');
  await sql`insert into processes (id, kind, workflow_id, member_id, org_id, org_path, status, step, step_since, deadline, overdue,
      started_at, closed_at, updated_at)
    select gen_random_uuid(), case when g % 10 = 0 then 'transfer' else 'check-in' end, 'drill-p-' || g, null, 'd' || (1 + g % ${orgs}),
      'd/' || (1 + g % ${orgs}) || '/', case when g % 20 = 0 then 'pending' else 'approved' end, case when g % 20 = 0 then 'review' else 'closed' end,
      now() - (g % 900) * interval '1 day', now() + interval '10 days', g % 97 = 0, now() - (g % 900) * interval '1 day',
      case when g % 20 = 0 then null else now() - (g % 900) * interval '1 day' + interval '3 days' end, now()
    from generate_series(1, ${sizes.processes}) g`.execute(db);
  step('processes written');
  // Some events of each kind the migrations index partially (deadline.overdue, org.updated).
  await sql`insert into events (idempotency_key, process_id, member_id, org_id, type, payload, occurred_at)
    select 'drill-e-' || g, null, null, 'd' || (1 + g % ${orgs}),
      case g % 10 when 0 then 'deadline.overdue' when 1 then 'org.updated' else 'check-in.approved' end, '{}', now() - (g % 900) * interval '1 day'
    from generate_series(1, ${Math.max(1000, Math.floor(sizes.members / 5))}) g`.execute(db);
  step('events written');
  // As a live database: vacuumed and analysed (autovacuum's work), so a build reads what a province's would.
  for (const table of ['organizations', 'members', 'processes', 'events']) await sql`vacuum analyze ${sql.table(table)}`.execute(db);
  step('vacuumed');
}

/**
 * The schema as the code sees it, one line per fact: columns, indexes, constraints, triggers and functions of the
 * public schema. Left out: kysely's bookkeeping tables, and the not-null constraints PostgreSQL 18 lists apart (the
 * columns' is_nullable says the same), so that 15 and 18 give the same lines.
 */
export async function schemaDump(db: Db): Promise<string[]> {
  const lines = async (q: RawBuilder<Record<string, unknown>>) => (await q.execute(db)).rows.map((r) => Object.values(r).map(String).join(' | '));
  return [
    ...(await lines(sql`select table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default, character_maximum_length
      from information_schema.columns where table_schema = 'public' and table_name not like 'kysely%' order by table_name, ordinal_position`)),
    ...(await lines(sql`select tablename, indexname, indexdef from pg_indexes
      where schemaname = 'public' and tablename not like 'kysely%' order by tablename, indexname`)),
    ...(await lines(sql`select c.relname, k.conname, k.contype, k.convalidated, pg_get_constraintdef(k.oid) from pg_constraint k
      join pg_class c on c.oid = k.conrelid where c.relnamespace = 'public'::regnamespace and c.relname not like 'kysely%' and k.contype <> 'n'
      order by c.relname, k.conname`)),
    ...(await lines(sql`select c.relname, t.tgname, pg_get_triggerdef(t.oid) from pg_trigger t join pg_class c on c.oid = t.tgrelid
      where c.relnamespace = 'public'::regnamespace and not t.tgisinternal order by 1, 2`)),
    ...(await lines(sql`select p.proname, md5(pg_get_functiondef(p.oid)) from pg_proc p where p.pronamespace = 'public'::regnamespace order by 1`)),
  ];
}

/** The drill on a throw-away PostgreSQL of its own (stopped at the end). */
export async function migrationDrill(sizes: DrillSizes, log: (s: string) => void = () => {}): Promise<DrillResult> {
  const pg = await startThrowawayPostgres();
  const db = createDb(pg.url, { max: 1 });
  const writes = createDb(pg.url, { max: 1 });
  try {
    const before: string[] = [];
    for (const m of MIGRATIONS) {
      await migrate(db, { to: m.name });
      before.push(m.name);
      if ((await exists(db, 'members')) && (await exists(db, 'processes'))) break;
    }
    const t0 = performance.now();
    await fill(db, sizes, log);
    const fillMs = performance.now() - t0;
    log(`migration drill: ${sizes.members} members, ${sizes.processes} processes written after ${before.at(-1)} in ${(fillMs / 1000).toFixed(1)} s`);
    const { rows } = await sql<{ id: string }>`select id from members tablesample system (1) limit 1000`.execute(db);
    const writer = new Writer(
      writes,
      rows.map((r) => r.id),
    );

    writer.start('baseline');
    await new Promise((r) => setTimeout(r, sizes.baselineMs ?? 5000));
    const migrations: MigrationWaits[] = [];
    for (const m of MIGRATIONS.slice(before.length)) {
      writer.during(m.name);
      const t1 = performance.now();
      await migrate(db, { to: m.name });
      const ms = performance.now() - t1;
      const w = writer.waits.get(m.name) ?? { writes: 0, maxWaitMs: 0, worst: '' };
      migrations.push({ name: m.name, ms, ...w });
      log(`migration drill: ${m.name} in ${ms.toFixed(0)} ms; ${w.writes} writes, the longest ${w.maxWaitMs.toFixed(0)} ms (${w.worst || '-'})`);
    }
    writer.during('after');
    await writer.stop();

    const invalid = await sql<{ name: string }>`
      select c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid
      where c.relnamespace = 'public'::regnamespace and not (i.indisvalid and i.indisready)`.execute(db);
    const twice = await sql<{ name: string }>`select name from kysely_migration group by name having count(*) > 1`.execute(db);
    const baseline = writer.waits.get('baseline')!;
    return {
      before,
      fillMs,
      baseline: { writes: baseline.writes, maxWaitMs: baseline.maxWaitMs },
      migrations,
      longest: migrations.reduce((a, b) => (b.maxWaitMs > a.maxWaitMs ? b : a)),
      failures: writer.failures,
      invalidIndexes: invalid.rows.map((r) => r.name),
      recordedTwice: twice.rows.map((r) => r.name),
      schema: await schemaDump(db),
    };
  } finally {
    await writes.destroy();
    await db.destroy();
    await pg.stop();
  }
}
