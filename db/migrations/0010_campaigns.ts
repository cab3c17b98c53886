import { sql, type Kysely } from 'kysely';

/**
 * Yearly campaigns (R22) and rewards and punishments (R23), issue 14:
 * - campaigns: one per province and year (education evaluation, then annual registration), its phases as the
 *   province set them, and the cap on 优秀 it runs under;
 * - campaign_tasks: one per branch, the read model of its task (a `campaign` process): where it stands, its
 *   deadline, and the counts the progress query sums per subtree in one query (index on the path);
 * - campaign_grades, campaign_registrations: what a branch recorded for each member;
 * - campaign_cadres: the cadres (R8 registry) registered in the campaign, per organization;
 * - campaign_extensions: a phase extended for one city, with its reason;
 * - awards: rewards (表彰) and punishments (处分) of members; a disciplinary sanction of the R18 process is
 *   written here by that process (unique per process), never entered twice; a revocation keeps the record.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('campaigns')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('province_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open','closed')`))
    .addColumn('phases', 'jsonb', (c) => c.notNull())
    .addColumn('excellent_cap', 'double precision')
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('fanned_out_at', 'timestamptz')
    .addColumn('tasks', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('closed_at', 'timestamptz')
    .addColumn('closed_by', 'text')
    .addColumn('close_reason', 'text')
    .execute();
  await sql`create unique index campaigns_province_year on campaigns (province_id, year)`.execute(db);

  await db.schema
    .createTable('campaign_tasks')
    .addColumn('campaign_id', 'uuid', (c) => c.notNull().references('campaigns.id'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('process_id', 'uuid', (c) => c.notNull().unique())
    .addColumn('org_path', 'text', (c) => c.notNull())
    // The branch's parent's path: its tasks' counts are kept together in campaign_rollups (below).
    .addColumn('parent_path', 'text', (c) => c.notNull())
    .addColumn('depth', 'integer', (c) => c.notNull())
    .addColumn('reviewer_id', 'text', (c) => c.notNull())
    .addColumn('step', 'text', (c) =>
      c.notNull().check(sql`step in ('evaluation','evaluation-review','registration','registration-check','follow-up','done','unfinished')`),
    )
    .addColumn('deadline', 'timestamptz', (c) => c.notNull())
    .addColumn('overdue', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('members_total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('members_evaluated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('members_registered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('returned_reason', 'text')
    .addColumn('evaluated_at', 'timestamptz')
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('registered_at', 'timestamptz')
    .addColumn('closed_at', 'timestamptz')
    .addPrimaryKeyConstraint('campaign_tasks_pk', ['campaign_id', 'org_id'])
    .execute();
  await sql`create index campaign_tasks_path on campaign_tasks (campaign_id, org_path text_pattern_ops)`.execute(db);
  await sql`create index campaign_tasks_parent on campaign_tasks (campaign_id, parent_path)`.execute(db);
  await rollups(db);

  await db.schema
    .createTable('campaign_grades')
    .addColumn('campaign_id', 'uuid', (c) => c.notNull().references('campaigns.id'))
    .addColumn('member_id', 'uuid', (c) => c.notNull().references('members.id'))
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('grade', 'text', (c) => c.notNull().check(sql`grade in ('excellent','qualified','basic','unqualified')`))
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('campaign_grades_pk', ['campaign_id', 'member_id'])
    .execute();
  await sql`create index campaign_grades_org on campaign_grades (campaign_id, org_id)`.execute(db);

  await db.schema
    .createTable('campaign_registrations')
    .addColumn('campaign_id', 'uuid', (c) => c.notNull().references('campaigns.id'))
    .addColumn('member_id', 'uuid', (c) => c.notNull().references('members.id'))
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull().check(sql`decision in ('registered','deferred','refused')`))
    .addColumn('reason', 'text')
    .addColumn('follow_up_on', 'date')
    .addColumn('deletion_process_id', 'uuid')
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('campaign_registrations_pk', ['campaign_id', 'member_id'])
    .execute();
  await sql`create index campaign_registrations_org on campaign_registrations (campaign_id, org_id)`.execute(db);

  await db.schema
    .createTable('campaign_cadres')
    .addColumn('campaign_id', 'uuid', (c) => c.notNull().references('campaigns.id'))
    .addColumn('cadre_id', 'uuid', (c) => c.notNull().references('cadres.id'))
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('org_path', 'text', (c) => c.notNull())
    .addColumn('registered_by', 'text', (c) => c.notNull())
    .addColumn('registered_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('campaign_cadres_pk', ['campaign_id', 'cadre_id'])
    .execute();
  await sql`create index campaign_cadres_path on campaign_cadres (campaign_id, org_path text_pattern_ops)`.execute(db);

  await db.schema
    .createTable('campaign_extensions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('campaign_id', 'uuid', (c) => c.notNull().references('campaigns.id'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('phase', 'text', (c) => c.notNull().check(sql`phase in ('evaluation','registration')`))
    .addColumn('until', 'text', (c) => c.notNull()) // a Due: a day, or an instant (domain/campaign-plan.ts)
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('extended_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('awards')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('member_id', 'uuid', (c) => c.notNull().references('members.id'))
    // The organization that recorded it (the member's branch, or a committee above), and its path: read and revoked
    // there and above, counted in its subtree's statistics.
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('org_path', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('reward','punishment')`))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('decided_on', 'date', (c) => c.notNull())
    .addColumn('deciding_org', 'text', (c) => c.notNull())
    .addColumn('document_number', 'text', (c) => c.notNull())
    .addColumn('source_process_id', 'uuid', (c) => c.unique())
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'text')
    .addColumn('revoke_reason', 'text')
    .execute();
  await sql`create index awards_member on awards (member_id, decided_on desc)`.execute(db);
  await sql`create index awards_path on awards (org_path text_pattern_ops)`.execute(db);
}

/**
 * R22 progress at the province's scale: the counts of the tasks under each parent of branches (a school, a
 * community committee: tens of branches each), kept by a trigger in the transaction that changes a task, so the
 * progress of any subtree sums a few thousand rollups instead of 50,000 tasks. A statement's trigger recomputes each
 * parent it touched from that parent's tasks (always right, whatever changed), under a transaction lock per parent
 * taken in order: a concurrent change to a sibling waits, then recomputes with it.
 */
async function rollups(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('campaign_rollups')
    .addColumn('campaign_id', 'uuid', (c) => c.notNull().references('campaigns.id'))
    .addColumn('parent_path', 'text', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('evaluated', 'integer', (c) => c.notNull())
    .addColumn('confirmed', 'integer', (c) => c.notNull())
    .addColumn('registered', 'integer', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull())
    .addColumn('in_progress', 'integer', (c) => c.notNull())
    .addColumn('overdue', 'integer', (c) => c.notNull())
    .addColumn('unfinished', 'integer', (c) => c.notNull())
    .addColumn('members_total', 'integer', (c) => c.notNull())
    .addColumn('members_evaluated', 'integer', (c) => c.notNull())
    .addColumn('members_registered', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('campaign_rollups_pk', ['campaign_id', 'parent_path'])
    .execute();
  await sql`create index campaign_rollups_path on campaign_rollups (campaign_id, parent_path text_pattern_ops)`.execute(db);
  await sql`
    create function campaign_rollups_refresh() returns trigger language plpgsql as $$
    declare
      p record;
    begin
      for p in select distinct campaign_id, parent_path from changed order by campaign_id, parent_path loop
        perform pg_advisory_xact_lock(hashtext('campaign-rollup:' || p.campaign_id || ':' || p.parent_path));
        insert into campaign_rollups
        select t.campaign_id, t.parent_path,
          count(*), count(t.evaluated_at), count(t.confirmed_at), count(t.registered_at),
          count(*) filter (where t.step = 'done'),
          count(*) filter (where t.step not in ('done', 'unfinished')),
          count(*) filter (where t.overdue and t.step not in ('done', 'unfinished')),
          count(*) filter (where t.step = 'unfinished'),
          coalesce(sum(t.members_total), 0), coalesce(sum(t.members_evaluated), 0), coalesce(sum(t.members_registered), 0)
        from campaign_tasks t
        where t.campaign_id = p.campaign_id and t.parent_path = p.parent_path
        group by t.campaign_id, t.parent_path
        on conflict (campaign_id, parent_path) do update set
          total = excluded.total, evaluated = excluded.evaluated, confirmed = excluded.confirmed,
          registered = excluded.registered, done = excluded.done, in_progress = excluded.in_progress,
          overdue = excluded.overdue, unfinished = excluded.unfinished, members_total = excluded.members_total,
          members_evaluated = excluded.members_evaluated, members_registered = excluded.members_registered;
      end loop;
      return null;
    end $$`.execute(db);
  await sql`create trigger campaign_tasks_rollup_insert after insert on campaign_tasks
    referencing new table as changed for each statement execute function campaign_rollups_refresh()`.execute(db);
  await sql`create trigger campaign_tasks_rollup_update after update on campaign_tasks
    referencing new table as changed for each statement execute function campaign_rollups_refresh()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists campaign_rollups`.execute(db);
  await sql`drop function if exists campaign_rollups_refresh() cascade`.execute(db);
  for (const t of ['awards', 'campaign_extensions', 'campaign_cadres', 'campaign_registrations', 'campaign_grades', 'campaign_tasks', 'campaigns'])
    await db.schema.dropTable(t).ifExists().execute();
}
