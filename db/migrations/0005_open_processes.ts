import { sql, type Kysely } from 'kysely';
import { createIndex } from './online';

/** Built CONCURRENTLY (processes is large): outside a transaction. */
export const transactional = false;

/** Open processes by kind and step: what /metrics counts at every scrape, without reading closed rows. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createIndex(db, 'processes_open', sql`on processes (kind, step, overdue) where closed_at is null`);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index processes_open`.execute(db);
}
