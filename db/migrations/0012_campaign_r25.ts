import { sql, type Kysely } from 'kysely';
import { createIndex, ddl } from './online';

/** campaign_registrations' index CONCURRENTLY (a row per member and year): outside a transaction. */
export const transactional = false;

/**
 * R22/R25 (issue 19), campaigns hear the tree:
 * - campaign_settlements: a deferred registration (暂缓注册) settled because its member left the league (R25): the
 *   task's follow-up counts it as settled instead of waiting for a decision nobody can take;
 * - registration_refusal_consents: the deciding committee's consent to a re-check-in of a member deleted because
 *   registration was refused (不予注册, deletion category `registration-refused`), one per deletion.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await ddl(db, tables);
  await createIndex(db, 'campaign_registrations_deletion', sql`on campaign_registrations (deletion_process_id) where deletion_process_id is not null`);
}

async function tables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('campaign_settlements')
    .ifNotExists()
    .addColumn('campaign_id', 'uuid', (c) => c.notNull().references('campaigns.id'))
    .addColumn('member_id', 'uuid', (c) => c.notNull().references('members.id'))
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('settled_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('campaign_settlements_pk', ['campaign_id', 'member_id'])
    .execute();

  await db.schema
    .createTable('registration_refusal_consents')
    .ifNotExists()
    .addColumn('deletion_process_id', 'uuid', (c) => c.primaryKey())
    .addColumn('campaign_id', 'uuid', (c) => c.notNull().references('campaigns.id'))
    .addColumn('member_id', 'uuid', (c) => c.notNull().references('members.id'))
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('consented_by', 'text', (c) => c.notNull())
    .addColumn('consented_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index if not exists registration_refusal_consents_member on registration_refusal_consents (member_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists campaign_registrations_deletion`.execute(db);
  await db.schema.dropTable('registration_refusal_consents').ifExists().execute();
  await db.schema.dropTable('campaign_settlements').ifExists().execute();
}
