import { sql, type Kysely } from 'kysely';

/**
 * R25: the member's status remembers the process that set it and when, so an effect that is no longer legal names
 * who changed the member meanwhile. Nullable columns without a default: no table rewrite, a short lock only (the
 * runner's lock_timeout bounds the wait for it, db/migrate.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table members add column if not exists status_process_id uuid, add column if not exists status_changed_at timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table members drop column if exists status_process_id, drop column if exists status_changed_at`.execute(db);
}
