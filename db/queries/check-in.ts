// R1-R4: what a check-in is decided against, read by the API before it starts one (api/check-ins.ts, the transfer's
// inbound check-in) and by the check-in's activity when it records one.
import type { Db, Tx } from '../index';
import type { CheckInContext } from '../../domain/member-status';
import { registrationRefusalBlock } from './campaigns';

/**
 * What the member-status table needs beyond the status (domain/member-status.ts): the sanction in force (R18)
 * and, for a deleted record, the category of its approved deletion (R14). The API and the activity both ask here.
 */
export async function checkInContext(q: Db | Tx, m: { id: string; status: string; sanction: string | null }): Promise<CheckInContext> {
  const deletion =
    m.status === 'deleted'
      ? await q
          .selectFrom('deletions')
          .select('category')
          .where('member_id', '=', m.id)
          .where('status', '=', 'approved')
          .orderBy('decided_at', 'desc')
          .limit(1)
          .executeTakeFirst()
      : undefined;
  // R22: deleted after 不予注册: no new check-in until the deciding committee consents.
  const refusedRegistration = m.status === 'deleted' ? await registrationRefusalBlock(q, m.id) : null;
  return { sanction: m.sanction, deletedAs: deletion?.category ?? null, refusedRegistration };
}
