// R8/R21/R25: the one definition of a current post (团内职务), and the one way to end a member's posts. Health (R21
// "branch without a cadre"), the member record, the cadre lists and the campaign's cadre registration (R22) all
// read posts through `currentPost`; the member-state writer (db/member-state.ts) ends them through
// `endPostsOfMember` when a member leaves or is removed from posts (撤销团内职务).
import { sql, type RawBuilder } from 'kysely';
import { cadreEventPayload, type CadreRole } from '../../domain/cadres';
import { officeDay } from '../../domain/office-day';
import type { Tx } from '../index';
import type { MembersTable, NewEvent } from '../schema';

/**
 * R25: a holder whose member record is in one of these statuses has left the league: their posts are not current.
 * Choice (written down): the link is the ID number (members.id_number is unique). A holder with no member record
 * (staff over 28, a person not yet checked in) keeps the post: R8 says entering a cadre does not replace the
 * person's check-in. A holder whose check-in is pending, returned or withdrawn keeps it too (that person is a
 * member whose online record is not yet approved, not one who left); probation (留团察看) keeps it unless
 * 撤销团内职务 ended it.
 */
export const HOLDER_LEFT_STATUSES = ['deleted', 'expelled', 'removed', 'aged_out', 'transferred_out'] as const satisfies readonly MembersTable['status'][];

/**
 * R8/R25: the condition that the post in the `cadres` row aliased `alias` is current on the office day `today`
 * (domain/office-day.ts): not ended, its term not passed (a term ending today is still current), and its holder has
 * not left. One SQL fragment, so kysely queries (`.where(currentPost('cadres', today))`) and raw SQL use the same.
 */
export function currentPost(alias: string, today: string): RawBuilder<boolean> {
  const col = (c: string) => sql.ref(`${alias}.${c}`);
  const left = sql.join(HOLDER_LEFT_STATUSES.map((s) => sql.lit(s)));
  return sql<boolean>`(${col('ended_at')} is null
    and (${col('term_end')} is null or ${col('term_end')} >= ${today}::date)
    and not exists (select 1 from members holder where holder.id_number = ${col('id_number')} and holder.status in (${left})))`;
}

/** The same definition for one row already read (tests, views): keep in step with `currentPost`. */
export function isCurrentPost(c: { ended_at: Date | null; term_end: string | null }, holderStatus: MembersTable['status'] | null, today: string): boolean {
  return (
    c.ended_at === null &&
    (c.term_end === null || c.term_end >= today) &&
    (holderStatus === null || !(HOLDER_LEFT_STATUSES as readonly string[]).includes(holderStatus))
  );
}

/** The unique index of migration 0013: one not-ended post per person and organization (R8). */
export const ONE_CURRENT_POST = 'cadres_one_current_post';

interface EndedCadre {
  id: string;
  org_id: string;
  role: CadreRole;
  post: string;
  term_start: string;
}

/**
 * The `cadre.ended` event, the same for the cadres API (an organization ends a term) and for the ends that follow
 * from the member (left, removed from posts): keyed on the cadre, so a post ends once whoever ends it.
 */
export function cadreEndedEvent(
  c: EndedCadre,
  o: { termEnd: string; endedOn: string; memberId: string | null; actorId: string | null; reason?: string },
): NewEvent {
  return {
    idempotency_key: `cadre:${c.id}:ended`,
    type: 'cadre.ended',
    org_id: c.org_id,
    member_id: o.memberId,
    actor_id: o.actorId,
    payload: {
      ...cadreEventPayload({ id: c.id, role: c.role, post: c.post, termStart: c.term_start, termEnd: o.termEnd }),
      endedOn: o.endedOn,
      ...(o.reason !== undefined ? { reason: o.reason } : {}),
    },
  };
}

/**
 * Ends a cadre row and writes its `cadre.ended` event in the caller's transaction (recordOnce's rule: the row
 * changes only if the event is new). False when the post had already ended.
 */
export async function endCadre(tx: Tx, c: EndedCadre, endedAt: Date, event: NewEvent, termEnd: string): Promise<boolean> {
  const { payload, ...rest } = event;
  const inserted = await tx
    .insertInto('events')
    .values({ ...rest, payload: JSON.stringify(payload ?? {}) })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return false;
  const updated = await tx
    .updateTable('cadres')
    .set({ ended_at: endedAt, term_end: termEnd })
    .where('id', '=', c.id)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

/** The term's last day when a post ends on `today`: a term already passed keeps its end; never before its start. */
function termEndOn(c: { term_start: string; term_end: string | null }, today: string): string {
  if (c.term_end !== null && c.term_end < today) return c.term_end;
  return today < c.term_start ? c.term_start : today;
}

/**
 * R25: ends every post of the member that is not ended yet (current, or whose term passed without being closed),
 * with one `cadre.ended` event each carrying `reason`, in the caller's transaction. Not only `currentPost`: the
 * caller may already have moved the member to a left status, which makes no post of theirs current any more.
 * R8 (written down): revoking 撤销团内职务 later does NOT give the posts back; the organization enters them again.
 * Returns how many posts it ended.
 */
export async function endPostsOfMember(tx: Tx, memberId: string, now: Date, reason: string, actorId?: string | null): Promise<number> {
  const member = await tx.selectFrom('members').select('id_number').where('id', '=', memberId).executeTakeFirst();
  if (!member) return 0;
  const posts = await tx
    .selectFrom('cadres')
    .select(['id', 'org_id', 'role', 'post', 'term_start', 'term_end'])
    .where('id_number', '=', member.id_number)
    .where('ended_at', 'is', null)
    .orderBy('id')
    .forUpdate()
    .execute();
  const today = officeDay(now);
  let ended = 0;
  for (const c of posts) {
    const termEnd = termEndOn(c, today);
    const event = cadreEndedEvent(c, { termEnd, endedOn: today, memberId, actorId: actorId ?? null, reason });
    if (await endCadre(tx, c, now, event, termEnd)) ended += 1;
  }
  return ended;
}

/**
 * R8: before entering a post, ends (with its event) the posts of the organization that the new one would collide
 * with in the unique indexes but that are no longer current (term passed, or holder left): a branch whose
 * secretary's term ended in 2021 enters a new secretary without first closing the old post by hand.
 */
export async function endLapsedPosts(tx: Tx, orgId: string, idNumber: string, role: CadreRole, now: Date, actorId: string | null): Promise<number> {
  const today = officeDay(now);
  const lapsed = await tx
    .selectFrom('cadres')
    .leftJoin('members', 'members.id_number', 'cadres.id_number')
    .select(['cadres.id', 'cadres.org_id', 'cadres.role', 'cadres.post', 'cadres.term_start', 'cadres.term_end', 'members.id as member_id'])
    .where('cadres.org_id', '=', orgId)
    .where('cadres.ended_at', 'is', null)
    .where((eb) => eb.or([eb('cadres.id_number', '=', idNumber), ...(role === 'secretary' ? [eb('cadres.role', '=', 'secretary')] : [])]))
    .where((eb) => eb.not(currentPost('cadres', today)))
    .orderBy('cadres.id')
    .forUpdate(['cadres'])
    .execute();
  let ended = 0;
  for (const c of lapsed) {
    const termEnd = termEndOn(c, today);
    const reason = c.term_end !== null && c.term_end < today ? 'term-passed' : 'holder-left';
    const event = cadreEndedEvent(c, { termEnd, endedOn: today, memberId: c.member_id, actorId, reason });
    if (await endCadre(tx, c, now, event, termEnd)) ended += 1;
  }
  return ended;
}
