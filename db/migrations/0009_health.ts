import { sql, type Kysely } from 'kysely';
import { createIndex } from './online';

/** The index CONCURRENTLY (organizations grows with the tree): outside a transaction. */
export const transactional = false;

/**
 * Organization health (R20, R21), computed from the read model in one query per subtree (activities/health.ts):
 * - organizations_branch_path: "is there a branch below this committee?" (a hollow committee) is one index probe,
 *   however many committees lie below it without a branch;
 * - tuanwu_credit_code_valid: GB 32100-2015 as domain/identifiers.ts checks it (creditCodeProblem), so the
 *   subtree query counts invalid codes stored before the API checked them (or written around it); a test
 *   compares the two on valid and invalid codes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createIndex(db, 'organizations_branch_path', sql`on organizations (path text_pattern_ops) where kind = 'branch'`);
  // A function of its own: no table's lock.
  await sql`
    create or replace function tuanwu_credit_code_valid(code text) returns boolean
    language sql immutable parallel safe as $$
      select code ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'
        and substr('0123456789ABCDEFGHJKLMNPQRTUWXY',
          ((31 - (select sum((strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(code, t.i::int, 1)) - 1) * t.w)
                  from unnest(array[1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]) with ordinality as t(w, i))::int % 31) % 31 + 1)::int,
          1) = substr(code, 18, 1)
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists tuanwu_credit_code_valid(text)`.execute(db);
  await sql`drop index if exists organizations_branch_path`.execute(db);
}
