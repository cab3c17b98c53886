import { sql, type Kysely } from 'kysely';
import { createIndex, ddl } from './online';

/** The events index CONCURRENTLY: outside a transaction. */
export const transactional = false;

/**
 * R12 (issue 20): a cohort's base is the graduates as they stood on the base date, not as organization data says
 * today. The base's graduate branches are read from organization data as of that date (an `org.updated` event after
 * it gives the value it replaced: this index finds them); a correction of the base is its own record and event,
 * by a committee above the school, with a reason.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createIndex(db, 'events_org_updated', sql`on events (org_id, occurred_at) where type = 'org.updated'`);
  await ddl(db, async (tx) => {
    await sql`
    create table if not exists graduate_base_corrections (
      id uuid primary key,
      cohort int not null,
      school_id text not null references organizations (id),
      member_id uuid not null references members (id),
      change text not null check (change in ('add', 'remove')),
      reason text not null,
      actor_id text not null,
      occurred_at timestamptz not null default now()
    )`.execute(tx);
    await sql`create index if not exists graduate_base_corrections_cohort on graduate_base_corrections (cohort, school_id, occurred_at)`.execute(tx);
  });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists graduate_base_corrections`.execute(db);
  await sql`drop index if exists events_org_updated`.execute(db);
}
