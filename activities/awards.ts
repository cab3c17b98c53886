// R23: rewards (表彰) and punishments (处分). What the API (api/awards.ts) and the R18 disciplinary process share:
// an entry written with its `award.recorded` event in one transaction, the event's payload (the member's history
// shows it, api/members.ts), the subtree's counts, and the sanction of a case recorded by the case itself (the
// 'discipline' projection, worker/index.ts), never entered twice.
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { likePrefix, type Db, type Tx } from '../db';
import type { AwardsTable } from '../db/schema';
import type { AwardLevel } from '../domain/campaigns';
import { officeDay } from '../domain/office-day';
import type { Projection } from './processes';

type Level = z.infer<typeof AwardLevel>;

/** An entry as it is written (the revocation columns come later, if ever). */
export type NewAward = Omit<AwardsTable, 'recorded_at' | 'revoked_at' | 'revoked_by' | 'revoke_reason'>;

/** The fields of an entry the member's history shows with its `award.*` events (no personal data). */
export const AwardHistoryFields = z.object({
  awardId: z.uuid(),
  type: z.enum(['reward', 'punishment']),
  kind: z.string(),
  level: z.string().optional(),
  decidedOn: z.string().optional(),
  decidingOrg: z.string().optional(),
  documentNumber: z.string().optional(),
  sourceProcessId: z.uuid().optional(),
});
export type AwardHistoryFields = z.infer<typeof AwardHistoryFields>;

/** What an entry says (the decision, its level, who decided it, its document), as the API and the history name it. */
export function awardFields(a: Pick<AwardsTable, 'type' | 'kind' | 'level' | 'decided_on' | 'deciding_org' | 'document_number'>) {
  return { type: a.type, kind: a.kind, level: a.level, decidedOn: a.decided_on, decidingOrg: a.deciding_org, documentNumber: a.document_number };
}

function recordedPayload(a: NewAward): AwardHistoryFields {
  return { awardId: a.id, ...awardFields(a), ...(a.source_process_id ? { sourceProcessId: a.source_process_id } : {}) };
}

/**
 * Writes an entry and its `award.recorded` event (on the member, so it is in their history) in the caller's
 * transaction. An entry of a disciplinary case is unique per case: a second write finds it and writes nothing.
 */
export async function insertAward(tx: Tx, a: NewAward): Promise<boolean> {
  const inserted = await tx
    .insertInto('awards')
    .values(a)
    .onConflict((oc) => oc.column('source_process_id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return false;
  // Keyed on the case when there is one: its event is written once, whatever retries.
  await recordedEvent(tx, a.source_process_id ? `award:discipline:${a.source_process_id}` : `award:${a.id}:recorded`, a, a.org_id);
  return true;
}

/** The `award.recorded` event of an entry, on the member (their history), once per key. */
async function recordedEvent(tx: Tx, key: string, a: NewAward, orgId: string): Promise<void> {
  await tx
    .insertInto('events')
    .values({
      idempotency_key: key,
      member_id: a.member_id,
      org_id: orgId,
      type: 'award.recorded',
      actor_id: a.recorded_by,
      payload: JSON.stringify(recordedPayload(a)),
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .execute();
}

/** The payload of `award.revoked`: which entry, and the reason (the history shows `reason`). */
export function revokedPayload(a: Pick<AwardsTable, 'id' | 'type' | 'kind'>, reason: string): Record<string, unknown> {
  return { awardId: a.id, type: a.type, kind: a.kind, reason };
}

/** An `award.*` event in the member's history: a reward is a reward, a punishment sits with the sanctions. */
export function awardHistory(type: string, payload: Record<string, unknown>): { category: 'reward' | 'sanction'; award: AwardHistoryFields } | undefined {
  if (!type.startsWith('award.')) return undefined;
  const parsed = AwardHistoryFields.safeParse(payload);
  if (!parsed.success) return undefined;
  return { category: parsed.data.type === 'reward' ? 'reward' : 'sanction', award: parsed.data };
}

/** R23: the level of a deciding organization, from its place in the tree (the province is the root). */
export function awardLevelOf(org: { depth: number; kind: string }): Level {
  if (org.kind !== 'committee') return 'branch';
  return (['province', 'city', 'county'] as const)[org.depth] ?? 'school';
}

export interface AwardCounts {
  rewards: number;
  punishments: number;
  /** Punishments revoked (they stay counted in `punishments`: the record stays). */
  revoked: number;
  byKind: { type: 'reward' | 'punishment'; kind: string; count: number }[];
}

/** R23: the entries recorded in an organization's subtree (by the recording organization's path), in one query. */
export async function awardCounts(db: Db, orgPath: string): Promise<AwardCounts> {
  const { rows } = await sql<{ type: 'reward' | 'punishment'; kind: string; count: number; revoked: number }>`
    select type, kind, count(*)::int as count, (count(*) filter (where revoked_at is not null))::int as revoked
    from awards where org_path like ${likePrefix(orgPath)}
    group by type, kind order by type, count desc, kind`.execute(db);
  const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((n, r) => n + f(r), 0);
  return {
    rewards: sum((r) => (r.type === 'reward' ? r.count : 0)),
    punishments: sum((r) => (r.type === 'punishment' ? r.count : 0)),
    revoked: sum((r) => r.revoked),
    byKind: rows.map(({ type, kind, count }) => ({ type, kind, count })),
  };
}

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
