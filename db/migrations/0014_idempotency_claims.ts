import { sql, type Kysely } from 'kysely';

/**
 * Issue 20, one Idempotency-Key, one effect: a key is claimed before the work is done, by a row with no answer yet
 * (status_code and response null), so a second request with the same key at the same moment finds the claim and
 * waits for the first one's answer instead of doing the work again (api/idempotency.ts, answerOnce). The API's keys
 * (idempotent_requests) and the other provinces' (peer_messages, R10) alike. Online: dropping NOT NULL is a catalog
 * change; the check is added NOT VALID (no scan under the exclusive lock) and validated after, under a lock that
 * lets writes go on.
 */
const TABLES = ['idempotent_requests', 'peer_messages'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const t of TABLES) {
    await sql`
      alter table ${sql.table(t)}
        alter column status_code drop not null,
        alter column response drop not null,
        add constraint ${sql.ref(`${t}_answer_whole`)} check ((status_code is null) = (response is null)) not valid`.execute(db);
    await sql`alter table ${sql.table(t)} validate constraint ${sql.ref(`${t}_answer_whole`)}`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of TABLES) {
    await sql`delete from ${sql.table(t)} where status_code is null`.execute(db);
    await sql`
      alter table ${sql.table(t)}
        drop constraint if exists ${sql.ref(`${t}_answer_whole`)},
        alter column status_code set not null,
        alter column response set not null`.execute(db);
  }
}
