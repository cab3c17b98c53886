// R19 age-out (超龄离团): the sweep's side effects. A member of the league (active or on probation) is told to
// their branch once, `noticeMs` before the 28th birthday, and leaves the league by age on it, unless the branch
// recorded an exception before (api/age-out.ts). Days are the offices' (Asia/Shanghai).
import { sql } from 'kysely';
import { likePrefix, recordOnce, type Db } from '../db';
import { closeOtherProcesses, insertNotifications } from './processes';
import { transitionMember } from '../db/member-state';
import type { Client } from '@temporalio/client';
import { mapLimit } from '../domain/concurrency';
import { AGE_OUT_AT } from '../domain/numbers';
import { OFFICE_ZONE } from '../domain/office-day';

export interface AgingMember {
  memberId: string;
  branchId: string;
  /** The 28th birthday, YYYY-MM-DD (domain/numbers.ts ageOutDate, computed here in SQL the same way). */
  ageOutDate: string;
}

export interface AgingPage {
  /** The birthday is within the notice period and the branch has not been told yet. */
  notice: AgingMember[];
  /** The birthday has come. */
  ageOut: AgingMember[];
  /** The last member id of a full page: pass it as `after` for the next one; null at the end. */
  next: string | null;
}

/** A page of members, so a province's worth never travels in one activity result. */
export const AGE_OUT_PAGE = 200;
const FIRST_UUID = '00000000-0000-0000-0000-000000000000';

const noticeKey = (m: AgingMember) => `age-out.notice:${m.memberId}:${m.ageOutDate}`;

/** Rolls the aged-out event back: the member left the league meanwhile, or the branch recorded an exception. */
class NoLongerDue extends Error {}

export function createAgeOutActivities(deps: { db: Db; client?: Client }) {
  const { db } = deps;
  return {
    /**
     * Members whose 28th birthday falls on or before the end of the notice period (as of `asOf`), in member id
     * order. The birth date is read in SQL from the ID number (characters 7-14, GB 11643), so the paging query
     * filters in the database. Members with an exception, and notices already sent, are left out.
     */
    async findAgingMembers(input: { asOf: string; noticeMs: number; after?: string | null; orgPath?: string; limit?: number }): Promise<AgingPage> {
      const limit = Math.min(Math.max(input.limit ?? AGE_OUT_PAGE, 1), 1000);
      const asOf = sql`${input.asOf}::timestamptz`;
      const { rows } = await sql<{ member_id: string; branch_id: string; age_out: string; due: boolean }>`
        select m.id as member_id, m.branch_id, d.age_out::text as age_out, d.age_out <= (${asOf} at time zone ${OFFICE_ZONE})::date as due
        from members m
        join organizations o on o.id = m.branch_id
        cross join lateral (select (to_date(substring(m.id_number, 7, 8), 'YYYYMMDD') + ${AGE_OUT_AT} * interval '1 year')::date as age_out) d
        where m.status in ('active', 'probation') and m.id > ${input.after ?? FIRST_UUID}::uuid
          ${input.orgPath ? sql`and o.path like ${likePrefix(input.orgPath)}` : sql``}
          and d.age_out <= ((${asOf} + ${input.noticeMs} * interval '1 millisecond') at time zone ${OFFICE_ZONE})::date
          and not exists (select 1 from age_out_exceptions x where x.member_id = m.id)
          and (d.age_out <= (${asOf} at time zone ${OFFICE_ZONE})::date
            or not exists (select 1 from events e where e.idempotency_key = 'age-out.notice:' || m.id || ':' || d.age_out::text))
        order by m.id
        limit ${limit}`.execute(db);
      const found = rows.map((r) => ({ member: { memberId: r.member_id, branchId: r.branch_id, ageOutDate: r.age_out }, due: r.due }));
      return {
        notice: found.filter((f) => !f.due).map((f) => f.member),
        ageOut: found.filter((f) => f.due).map((f) => f.member),
        next: rows.length === limit ? rows[rows.length - 1]!.member_id : null,
      };
    },

    /** The branch is told once per member and birthday (the event's key); names stay out of the message (PII). */
    async noticeAgeOut(input: { members: AgingMember[] }): Promise<{ noticed: number }> {
      let noticed = 0;
      await mapLimit(input.members, 8, async (m) => {
        const key = noticeKey(m);
        const r = await recordOnce(
          db,
          { idempotency_key: key, member_id: m.memberId, org_id: m.branchId, type: 'member.age-out-notice', payload: { ageOutDate: m.ageOutDate } },
          (tx) =>
            insertNotifications(tx, key, null, [
              {
                recipientOrgId: m.branchId,
                kind: 'reminder',
                message: `Member ${m.memberId} reaches ${AGE_OUT_AT} on ${m.ageOutDate} and leaves the league by age (超龄离团, R19), unless the branch records an exception before then`,
              },
            ]),
        );
        if (r.applied) noticed += 1;
      });
      return { noticed };
    },

    /**
     * On or after the 28th birthday: status `aged_out` and the event `member.aged-out`, once per member (its key).
     * The status is checked again in the event's transaction: a member who left meanwhile, or whose branch recorded
     * an exception since the page was read, is left as is and no event is written.
     */
    async ageOutMembers(input: { members: AgingMember[]; asOf: string }): Promise<{ agedOut: number }> {
      let agedOut = 0;
      await mapLimit(input.members, 8, async (m) => {
        const key = `age-out:${m.memberId}`;
        try {
          const r = await recordOnce(
            db,
            {
              idempotency_key: key,
              member_id: m.memberId,
              org_id: m.branchId,
              type: 'member.aged-out',
              payload: { ageOutDate: m.ageOutDate, asOf: input.asOf },
            },
            async (tx) => {
              const excepted = await tx.selectFrom('age_out_exceptions').select('member_id').where('member_id', '=', m.memberId).executeTakeFirst();
              if (excepted) throw new NoLongerDue();
              // R25: through the transition table; a member who left meanwhile is not aged out (and nothing is written).
              const changed = await transitionMember(tx, { memberId: m.memberId, effect: 'age-out', processId: null, now: new Date() });
              if (!changed.ok) throw new NoLongerDue();
              await insertNotifications(tx, key, null, [
                {
                  recipientOrgId: m.branchId,
                  kind: 'decision',
                  message: `Member ${m.memberId} reached ${AGE_OUT_AT} on ${m.ageOutDate}: left the league by age (超龄离团, R19)`,
                },
              ]);
            },
          );
          if (r.applied) agedOut += 1;
          // R25: the member's open processes end (a retried sweep signals again; a closed workflow is skipped).
          await closeOtherProcesses(db, deps.client, m.memberId, null);
        } catch (e) {
          if (!(e instanceof NoLongerDue)) throw e;
        }
      });
      return { agedOut };
    },
  };
}

export type AgeOutActivities = ReturnType<typeof createAgeOutActivities>;
