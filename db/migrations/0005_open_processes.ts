import { sql, type Kysely } from 'kysely';

/** Open processes by kind and step: what /metrics counts at every scrape, without reading closed rows. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index processes_open on processes (kind, step, overdue) where closed_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index processes_open`.execute(db);
}
