import { sql, type Kysely } from 'kysely';
import { createIndex, ddl } from './online';

/** The unique index CONCURRENTLY (cadres grows with the tree): outside a transaction. */
export const transactional = false;

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
  if (db.isTransaction) {
    // In a transaction (a test calls `up` in one): no entry slips in between the deduplication and the index.
    await sql`lock table cadres in share row exclusive mode`.execute(db);
    await endDuplicates(db);
    await createIndex(db, INDEX, DEFINITION, { unique: true });
    return;
  }
  // Online (issue 21): entries go on during the build; one that duplicates a post meanwhile fails the build (its index
  // left invalid): the next round ends it too, drops the invalid index and builds again.
  for (let round = 1; ; round++) {
    await ddl(db, endDuplicates);
    try {
      await createIndex(db, INDEX, DEFINITION, { unique: true });
      return;
    } catch (e) {
      if ((e as { code?: unknown }).code !== '23505' || round >= 5) throw e;
    }
  }
}

const INDEX = 'cadres_one_current_post';
const DEFINITION = sql`on cadres (org_id, id_number) where ended_at is null`;

/** Ends the newer of duplicated not-ended posts, each with its `cadre.ended` event. */
async function endDuplicates(db: Kysely<unknown>): Promise<void> {
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
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists cadres_one_current_post`.execute(db);
}
