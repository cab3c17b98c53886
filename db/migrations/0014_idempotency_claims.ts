import { sql, type Kysely } from 'kysely';
import { addCheck, ddl } from './online';

/** The check is validated in a transaction of its own, after the one that adds it. */
export const transactional = false;

/**
 * Issue 20, one Idempotency-Key, one effect: a key is claimed before the work is done, by a row with no answer yet
 * (status_code and response null), so a second request with the same key at the same moment finds the claim and
 * waits for the first one's answer instead of doing the work again (api/idempotency.ts, answerOnce). The API's keys
 * (idempotent_requests) and the other provinces' (peer_messages, R10) alike. Online: dropping NOT NULL is a catalog
 * change; the check is added NOT VALID (no scan under the exclusive lock) and validated after, in a transaction of
 * its own under a lock that lets writes go on (./online.ts).
 */
const TABLES = ['idempotent_requests', 'peer_messages'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const t of TABLES) {
    await ddl(db, async (tx) => {
      await sql`alter table ${sql.table(t)} alter column status_code drop not null, alter column response drop not null`.execute(tx);
    });
    await addCheck(db, t, `${t}_answer_whole`, sql`(status_code is null) = (response is null)`);
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
