// R23/R18: the sanction of a disciplinary case recorded by the case itself (the 'discipline' projection,
// activities/index.ts), never entered twice; the entries' SQL, shared with the API, is db/queries/awards.ts.
import { randomUUID } from 'node:crypto';
import type { Tx } from '../db';
import { awardLevelOf, insertAward, recordedEvent, type NewAward } from '../db/queries/awards';
import { officeDay } from '../domain/office-day';
import type { Projection } from './processes';

/**
 * R23/R18: a case's sanction, recorded as a punishment when it applies (`discipline.sanction-applied`, a sanction
 * other than none), in the event's transaction. The committee that approved the case decided it: it is the
 * deciding and recording organization (it and those above revoke it), at the level of its place in the tree.
 */
export const disciplineAwardsProjection: Projection = async (tx, e, now) => {
  if (e.type === 'discipline.expelled') return recordExpulsionAfterProbation(tx, e, now);
  const sanction = e.payload?.sanction;
  if (e.type !== 'discipline.sanction-applied' || typeof sanction !== 'string' || sanction === 'none' || !e.memberId) return;
  const approval = await tx
    .selectFrom('events')
    .select('org_id')
    .where('process_id', '=', e.processId)
    .where('type', '=', 'discipline.approved')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const orgId = approval?.org_id ?? e.orgId;
  const org = orgId
    ? await tx.selectFrom('organizations').select(['id', 'path', 'name', 'depth', 'kind']).where('id', '=', orgId).executeTakeFirst()
    : undefined;
  if (!org) return;
  await insertAward(tx, {
    id: randomUUID(),
    member_id: e.memberId,
    org_id: org.id,
    org_path: org.path,
    type: 'punishment',
    kind: sanction,
    level: awardLevelOf(org),
    decided_on: officeDay(now),
    deciding_org: org.name,
    // What the console shows to find the case: the rule and the start of its process id.
    document_number: `R18-${e.processId.slice(0, 8)}`,
    source_process_id: e.processId,
    recorded_by: e.actorId ?? 'system',
  });
};

/**
 * R23/R18: the expulsion at the end of probation (`discipline.expelled`) is the case's punishment from now on. An entry
 * is unique per case (migration 0010), so the case's probation entry becomes the expulsion, decided by the organization
 * that expelled (the configured approver; the branch in runs begun before the patch probation-expulsion-approved), with
 * an `award.recorded` event of its own: the member's history keeps both. Revoking it then undoes the expulsion (R25).
 */
async function recordExpulsionAfterProbation(tx: Tx, e: Parameters<Projection>[1], now: Date): Promise<void> {
  if (!e.memberId || !e.orgId) return;
  const org = await tx.selectFrom('organizations').select(['id', 'path', 'name', 'depth', 'kind']).where('id', '=', e.orgId).executeTakeFirst();
  if (!org) return;
  const entry = {
    org_id: org.id,
    org_path: org.path,
    type: 'punishment' as const,
    kind: 'expulsion',
    level: awardLevelOf(org),
    decided_on: officeDay(now),
    deciding_org: org.name,
    document_number: `R18-${e.processId.slice(0, 8)}`,
    recorded_by: e.actorId ?? 'system',
  };
  const updated = await tx
    .updateTable('awards')
    .set(entry)
    .where('source_process_id', '=', e.processId)
    .where('revoked_at', 'is', null)
    .returning(['id'])
    .executeTakeFirst();
  if (!updated) {
    // No entry of the case to carry on (a case recorded before the register): the expulsion is its first.
    await insertAward(tx, { id: randomUUID(), member_id: e.memberId, source_process_id: e.processId, ...entry });
    return;
  }
  const a: NewAward = { id: updated.id, member_id: e.memberId, source_process_id: e.processId, ...entry };
  await recordedEvent(tx, `award:discipline:${e.processId}:expulsion`, a, org.id);
}
