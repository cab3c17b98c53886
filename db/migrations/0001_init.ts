import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('organizations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('parent_id', 'text', (c) => c.references('organizations.id'))
    .addColumn('path', 'text', (c) => c.notNull().unique())
    .addColumn('depth', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('committee','general_branch','branch')`))
    .addColumn('special_kind', 'text', (c) => c.notNull().defaultTo('none'))
    .addColumn('contact_phone', 'text')
    .addColumn('credit_code', 'text')
    .addColumn('graduation_date', 'date')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index organizations_path_prefix on organizations (path text_pattern_ops)`.execute(db);
  await db.schema.createIndex('organizations_parent').on('organizations').column('parent_id').execute();

  await db.schema
    .createTable('members')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('id_number', 'text', (c) => c.notNull().unique())
    .addColumn('join_date', 'date', (c) => c.notNull())
    .addColumn('development_number', 'text', (c) => c.unique())
    .addColumn('branch_id', 'text', (c) => c.references('organizations.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('locked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('members_branch').on('members').columns(['branch_id', 'status']).execute();

  await db.schema
    .createTable('actors')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.references('organizations.id'))
    .addColumn('member_id', 'uuid', (c) => c.references('members.id'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('actors_member').on('actors').column('member_id').execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('process_id', 'uuid')
    .addColumn('member_id', 'uuid')
    .addColumn('org_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('payload', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('events_process').on('events').columns(['process_id', 'id']).execute();
  await db.schema.createIndex('events_member').on('events').columns(['member_id', 'id']).execute();
  // Append-only: the log is never rewritten.
  await sql`create function events_append_only() returns trigger language plpgsql as $$
    begin raise exception 'events are append-only'; end $$`.execute(db);
  await sql`create trigger events_no_update before update or delete on events
    for each row execute function events_append_only()`.execute(db);

  await db.schema
    .createTable('processes')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('member_id', 'uuid')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('org_path', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('step_since', 'timestamptz', (c) => c.notNull())
    .addColumn('deadline', 'timestamptz')
    .addColumn('overdue', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('closed_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index processes_subtree on processes (org_path text_pattern_ops, started_at desc, id desc)`.execute(db);
  // "What is overdue below me": a small partial index, since open overdue processes are few.
  await sql`create index processes_overdue_subtree on processes (org_path text_pattern_ops) where overdue and closed_at is null`.execute(db);
  await db.schema.createIndex('processes_member').on('processes').columns(['member_id', 'started_at']).execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('recipient_org_id', 'text')
    .addColumn('recipient_actor_id', 'uuid')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('process_id', 'uuid')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('delivered_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('notifications_org').on('notifications').columns(['recipient_org_id', 'id']).execute();
  await sql`create index notifications_undelivered on notifications (id) where delivered_at is null`.execute(db);

  await db.schema
    .createTable('idempotent_requests')
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('response', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotent_requests_pk', ['actor_id', 'key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['idempotent_requests', 'notifications', 'processes', 'events', 'actors', 'members', 'organizations']) {
    await db.schema.dropTable(t).ifExists().cascade().execute();
  }
  await sql`drop function if exists events_append_only() cascade`.execute(db);
}
