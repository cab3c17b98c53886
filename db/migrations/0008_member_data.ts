import { sql, type Kysely } from 'kysely';
import { createIndex, ddl } from './online';

/**
 * Online (issue 21): the new tables and members' new columns (a catalog change: nullable, or a constant default) in
 * one short transaction, then members' indexes CONCURRENTLY. Each step may run again after a failure.
 */
export const transactional = false;

/**
 * Member data after check-in and organization health (issue 13):
 * - member_changes (R5, R7): the values a change review or a join-date correction would set, pending until decided;
 * - join_date_windows (R7): the correction window the province opens and closes;
 * - cadres (R8): the people an organization enters as its cadres, linked to a member by ID number;
 * - number_ranges, number_voids (R19): development numbers issued per year, and the ones accounted for as unused;
 * - members.meeting_date / late_entry (R19: entered within a month of the admitting meeting), age_out_exceptions;
 * - application_forms (R24): the scanned 入团志愿书, one per member;
 * - health_notices (R21): each problem notified once to each committee above it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await ddl(db, tables);
  await createIndex(db, 'members_development_number_pattern', sql`on members (development_number text_pattern_ops)`);
  await createIndex(db, 'members_late_entry', sql`on members (branch_id) where late_entry`);
}

async function tables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('member_changes')
    .ifNotExists()
    .addColumn('process_id', 'uuid', (c) => c.primaryKey())
    .addColumn('member_id', 'uuid', (c) => c.notNull().references('members.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('data','join-date')`))
    .addColumn('route', 'text')
    .addColumn('fields', 'jsonb', (c) => c.notNull())
    .addColumn('previous', 'jsonb', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('submitted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('decided_at', 'timestamptz')
    .execute();
  await sql`create index if not exists member_changes_member on member_changes (member_id, submitted_at desc)`.execute(db);

  await db.schema
    .createTable('join_date_windows')
    .ifNotExists()
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    // The province (root organization) whose window it is: a member's request is weighed against their own province's.
    .addColumn('province_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('opens_on', 'date', (c) => c.notNull())
    .addColumn('closes_on', 'date', (c) => c.notNull())
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('closed_at', 'timestamptz')
    .execute();
  await sql`create unique index if not exists join_date_windows_current on join_date_windows (province_id) where closed_at is null`.execute(db);

  await db.schema
    .createTable('cadres')
    .ifNotExists()
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('org_path', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('id_number', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('secretary','committee_member','staff')`))
    .addColumn('post', 'text', (c) => c.notNull())
    .addColumn('term_start', 'date', (c) => c.notNull())
    .addColumn('term_end', 'date')
    .addColumn('entered_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('ended_at', 'timestamptz')
    .execute();
  await sql`create index if not exists cadres_current on cadres (org_id) where ended_at is null`.execute(db);
  await sql`create index if not exists cadres_id_number on cadres (id_number) where ended_at is null`.execute(db);
  await sql`create unique index if not exists cadres_one_secretary on cadres (org_id) where role = 'secretary' and ended_at is null`.execute(db);
  await sql`create index if not exists cadres_subtree on cadres (org_path text_pattern_ops) where ended_at is null`.execute(db);

  await db.schema
    .createTable('number_ranges')
    .ifNotExists()
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('org_path', 'text', (c) => c.notNull())
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('issued_by', 'text', (c) => c.notNull())
    .addColumn('issued_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index if not exists number_ranges_prefix on number_ranges (prefix)`.execute(db);
  await sql`create index if not exists number_ranges_subtree on number_ranges (org_path text_pattern_ops, year)`.execute(db);
  await sql`create index if not exists number_ranges_year on number_ranges (year)`.execute(db);

  await db.schema
    .createTable('number_voids')
    .ifNotExists()
    .addColumn('number', 'text', (c) => c.primaryKey())
    .addColumn('range_id', 'uuid', (c) => c.notNull().references('number_ranges.id'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('voided_by', 'text', (c) => c.notNull())
    .addColumn('voided_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index if not exists number_voids_range on number_voids (range_id)`.execute(db);

  await sql`alter table members add column if not exists meeting_date date, add column if not exists late_entry boolean not null default false`.execute(db);

  await db.schema
    .createTable('age_out_exceptions')
    .ifNotExists()
    .addColumn('member_id', 'uuid', (c) => c.primaryKey().references('members.id'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('application_forms')
    .ifNotExists()
    .addColumn('member_id', 'uuid', (c) => c.primaryKey().references('members.id'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('content', 'bytea', (c) => c.notNull())
    .addColumn('uploaded_by', 'text', (c) => c.notNull())
    .addColumn('uploaded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('health_notices')
    .ifNotExists()
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('recipient_org_id', 'text', (c) => c.notNull())
    .addColumn('notified_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('health_notices_pk', ['org_id', 'kind', 'recipient_org_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'health_notices',
    'application_forms',
    'age_out_exceptions',
    'number_voids',
    'number_ranges',
    'cadres',
    'join_date_windows',
    'member_changes',
  ]) {
    await db.schema.dropTable(t).execute();
  }
  await sql`drop index if exists members_late_entry`.execute(db);
  await sql`drop index if exists members_development_number_pattern`.execute(db);
  await db.schema.alterTable('members').dropColumn('late_entry').dropColumn('meeting_date').execute();
}
