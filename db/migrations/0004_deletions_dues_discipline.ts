import { sql, type Kysely } from 'kysely';

/** Deletions (R14-R17), the dues ledger, and disciplinary cases (R18) with their materials. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('members').addColumn('deleted_at', 'timestamptz').execute();
  await db.schema.alterTable('members').addColumn('sanction', 'text').execute();

  await db.schema
    .createTable('deletions')
    .addColumn('process_id', 'uuid', (c) => c.primaryKey())
    .addColumn('member_id', 'uuid', (c) => c.notNull())
    .addColumn('branch_id', 'text', (c) => c.notNull())
    .addColumn('branch_path', 'text', (c) => c.notNull())
    .addColumn('city_id', 'text')
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('graduate', 'boolean', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('submitted_at', 'timestamptz', (c) => c.notNull())
    .addColumn('decided_at', 'timestamptz')
    .execute();
  await sql`create index deletions_subtree on deletions (branch_path text_pattern_ops, decided_at)`.execute(db);

  await db.schema
    .createTable('dues_payments')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('member_id', 'uuid', (c) => c.notNull())
    /** The first day of the month paid for. */
    .addColumn('month', 'date', (c) => c.notNull())
    .addColumn('amount_cents', 'integer', (c) => c.notNull().check(sql`amount_cents > 0`))
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('batch_key', 'text')
    .addColumn('paid_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('dues_payments_member_month', ['member_id', 'month'])
    .execute();

  await db.schema
    .createTable('discipline_materials')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('process_id', 'uuid', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('content', 'bytea', (c) => c.notNull())
    .addColumn('uploaded_by', 'text', (c) => c.notNull())
    .addColumn('uploaded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('discipline_materials_hash', ['process_id', 'sha256'])
    .execute();

  await db.schema
    .createTable('abuse_flags')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('org_path', 'text', (c) => c.notNull())
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    .addColumn('deletions', 'integer', (c) => c.notNull())
    .addColumn('graduates', 'integer', (c) => c.notNull())
    .addColumn('flagged_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['abuse_flags', 'discipline_materials', 'dues_payments', 'deletions']) await db.schema.dropTable(t).ifExists().execute();
  await db.schema.alterTable('members').dropColumn('deleted_at').execute();
  await db.schema.alterTable('members').dropColumn('sanction').execute();
}
