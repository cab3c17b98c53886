import { sql, type Kysely } from 'kysely';

/**
 * R8/R25 (issue 19): one current post per person and organization, kept by the database, so two simultaneous
 * entries of the same committee member cannot both succeed:
 * - first, on an existing database, the newer of duplicated not-ended posts (same organization, same ID number)
 *   are ended, each with its `cadre.ended` event (reason `duplicate`), the oldest entry kept;
 * - then cadres_one_current_post: unique (org_id, id_number) where ended_at is null. It covers "person,
 *   organization and role" and more: the API already refuses a second current post of the same person in the
 *   same organization whatever the role, and this index keeps that true under races as well.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // No entry slips in between the deduplication and the index.
  await sql`lock table cadres in share row exclusive mode`.execute(db);
  await sql`
    with dup as (
      select id, org_id, id_number, role, post, term_start, term_end from (
        select c.*, row_number() over (partition by org_id, id_number order by created_at, id) as n
        from cadres c where ended_at is null) x
      where n > 1
    ),
    ev as (
      insert into events (idempotency_key, member_id, org_id, type, actor_id, payload)
      select 'cadre:' || d.id || ':ended', m.id, d.org_id, 'cadre.ended', null,
        jsonb_build_object('cadreId', d.id, 'role', d.role, 'post', d.post, 'termStart', d.term_start, 'termEnd', d.term_end,
          'endedOn', (now() at time zone 'Asia/Shanghai')::date, 'reason', 'duplicate')
      from dup d left join members m on m.id_number = d.id_number
      on conflict (idempotency_key) do nothing
    )
    update cadres set ended_at = now() where id in (select id from dup)`.execute(db);
  await sql`create unique index cadres_one_current_post on cadres (org_id, id_number) where ended_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists cadres_one_current_post`.execute(db);
}
