import { sql, type Kysely } from 'kysely';

/** Transfers (R9-R13): their read model, start keys, peer messages, and the data problems refusals report. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('transfers')
    .addColumn('process_id', 'uuid', (c) => c.primaryKey())
    .addColumn('member_id', 'uuid', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('internal','outbound','inbound')`))
    .addColumn('from_branch_id', 'text')
    .addColumn('to_org_id', 'text')
    .addColumn('await_org_id', 'text')
    .addColumn('peer_province', 'text')
    .addColumn('peer_transfer_id', 'uuid')
    .addColumn('graduate_cohort', 'integer')
    .addColumn('route_case', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('completed_at', 'timestamptz')
    .execute();
  // A peer's transfer id names one transfer here, whichever side started it.
  await sql`create unique index transfers_peer on transfers (peer_province, peer_transfer_id) where peer_transfer_id is not null`.execute(db);
  await sql`create index transfers_awaiting on transfers (await_org_id) where status = 'pending' and await_org_id is not null`.execute(db);
  await sql`create index transfers_cohort on transfers (graduate_cohort, from_branch_id) where graduate_cohort is not null`.execute(db);

  // A start request's key (a roster row, a peer's announcement, an Idempotency-Key) names one transfer.
  await db.schema
    .createTable('transfer_keys')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('process_id', 'uuid', (c) => c.notNull())
    .addColumn('member_id', 'uuid', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('peer_messages')
    .addColumn('province', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('response', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('peer_messages_pk', ['province', 'idempotency_key'])
    .execute();

  await db.schema
    .createTable('data_problems')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('org_path', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('occurrences', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('first_seen', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('resolved_at', 'timestamptz')
    .execute();
  await sql`create unique index data_problems_open on data_problems (org_id, kind) where resolved_at is null`.execute(db);
  await sql`create index data_problems_subtree on data_problems (org_path text_pattern_ops) where resolved_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['data_problems', 'peer_messages', 'transfer_keys', 'transfers']) await db.schema.dropTable(t).ifExists().execute();
}
