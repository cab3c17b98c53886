// Data problems (R13, R21): a refusal caused by an organization's data is reported to the admins above it,
// not swallowed. One open problem per organization and kind; repeats count occurrences.
import { sql } from 'kysely';
import type { Db } from '../index';

export interface DataProblemInput {
  orgId: string;
  rule: string;
  kind: string;
  message: string;
}

/** Records (or counts again) an open problem; the first occurrence notifies the organization and its parent. */
export async function reportDataProblem(db: Db, p: DataProblemInput): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const org = await tx.selectFrom('organizations').select(['path', 'parent_id']).where('id', '=', p.orgId).executeTakeFirst();
    if (!org) return;
    const row = await tx
      .insertInto('data_problems')
      .values({ org_id: p.orgId, org_path: org.path, rule: p.rule, kind: p.kind, message: p.message })
      .onConflict((oc) =>
        oc
          .columns(['org_id', 'kind'])
          .where('resolved_at', 'is', null)
          .doUpdateSet({ occurrences: sql`data_problems.occurrences + 1`, last_seen: new Date(), message: p.message }),
      )
      .returning(['id', 'occurrences'])
      .executeTakeFirstOrThrow();
    if (row.occurrences !== 1) return;
    const recipients = [p.orgId, ...(org.parent_id ? [org.parent_id] : [])];
    await tx
      .insertInto('notifications')
      .values(
        recipients.map((r) => ({
          idempotency_key: `data-problem:${row.id}:${r}`,
          recipient_org_id: r,
          kind: 'data-problem',
          process_id: null,
          message: `${p.rule}: ${p.message} (${p.orgId})`,
        })),
      )
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .execute();
  });
}

/** Closes the open problems of these kinds for organizations whose data was fixed. */
export async function resolveDataProblems(db: Db, orgIds: string[], kind: string): Promise<number> {
  if (orgIds.length === 0) return 0;
  const r = await db
    .updateTable('data_problems')
    .set({ resolved_at: new Date() })
    .where('org_id', 'in', orgIds)
    .where('kind', '=', kind)
    .where('resolved_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export const MISSING_PHONE = { rule: 'R13', kind: 'missing-contact-phone' } as const;
