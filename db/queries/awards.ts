// R23: rewards (表彰) and punishments (处分), the SQL the API (api/awards.ts, api/members.ts, api/stats.ts) and the
// R18 disciplinary process's projection (activities/awards.ts) share: an entry written with its `award.recorded`
// event in one transaction, the event's payload (the member's history shows it), the subtree's counts.
import { sql } from 'kysely';
import type { z } from 'zod';
import { likePrefix, type Db, type Tx } from '../index';
import type { AwardsTable } from '../schema';
import { AwardHistoryFields } from '../../domain/awards';
import type { AwardLevel } from '../../domain/campaigns';

type Level = z.infer<typeof AwardLevel>;

/** An entry as it is written (the revocation columns come later, if ever). */
export type NewAward = Omit<AwardsTable, 'recorded_at' | 'revoked_at' | 'revoked_by' | 'revoke_reason'>;

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
export async function recordedEvent(tx: Tx, key: string, a: NewAward, orgId: string): Promise<void> {
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
