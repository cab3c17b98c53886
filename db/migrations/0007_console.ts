import { sql, type Kysely } from 'kysely';
import { createIndex } from './online';

/** Built CONCURRENTLY (processes and events are large): outside a transaction. */
export const transactional = false;

/**
 * The console's reads at a million processes (figures in the report of issue 12), each on a partial index of
 * open processes (few, beside the closed ones):
 * - To do (`acting=mine`): an organization's open processes, newest first, a page at a time;
 * - counts per child (`/processes/counts`): every open process of a subtree by path prefix, with its kind and
 *   overdue flag in the index, so an index-only scan counts them;
 * - what is overdue below me, newest first (`overdue=true`): by path prefix (0001's processes_overdue_subtree),
 *   or in order of start when the subtree is most of the tree, stopping at the page's end;
 * - overdue events per day (`/stats/overdue`): the `deadline.overdue` events by time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createIndex(db, 'processes_open_acting', sql`on processes (org_id, started_at desc, id desc) where closed_at is null`);
  await createIndex(db, 'processes_open_subtree', sql`on processes (org_path text_pattern_ops) include (kind, overdue) where closed_at is null`);
  await createIndex(db, 'processes_overdue_recent', sql`on processes (started_at desc, id desc) include (org_path) where overdue and closed_at is null`);
  await createIndex(db, 'events_overdue', sql`on events (occurred_at) include (org_id, process_id) where type = 'deadline.overdue'`);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of ['events_overdue', 'processes_overdue_recent', 'processes_open_subtree', 'processes_open_acting']) {
    await sql`drop index if exists ${sql.ref(index)}`.execute(db);
  }
}
