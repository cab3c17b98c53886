// The daily dues check (R18): who has gone 5 months without paying (the branch is reminded) and who 6 or more
// (a removal case opens, unless one is open already).
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import { likePrefix, recordOnce, type Db } from '../db';
import { insertNotifications } from './processes';
import { mapLimit } from '../domain/concurrency';
import { disciplineStarter } from '../temporal/discipline-start';
import type { Config } from '../domain/config';
import { addMonths, monthOf, monthStart, monthsBetween } from '../domain/dues';
import { OFFICE_ZONE } from '../domain/calendar';

export interface UnpaidMember {
  memberId: string;
  branchId: string;
  /** Consecutive unpaid months, ending with the last complete month. */
  months: number;
}

export interface UnpaidStreaks {
  /** The last complete month before `asOf` ("YYYY-MM"): the streaks end with it. */
  month: string;
  /** Exactly `remindAt` months unpaid. */
  remind: UnpaidMember[];
  /** `removeAt` months or more. */
  remove: UnpaidMember[];
  /** The last member id of a full page: pass it as `after` for the next one; null at the end. */
  next: string | null;
}

/** Members are checked a page at a time, so a province's worth never travels in one activity result. */
export const DUES_PAGE = 200;

const FIRST_UUID = '00000000-0000-0000-0000-000000000000';

export function createDuesActivities(deps: { db: Db; client?: Client; config?: Config }) {
  const { db } = deps;
  function need(): { client: Client; config: Config } {
    if (!deps.client || !deps.config)
      throw ApplicationFailure.nonRetryable('the dues check needs the worker to have a Temporal client and the config', 'InvariantViolation');
    return { client: deps.client, config: deps.config };
  }

  return {
    /**
     * R18, in one query: for every active member, the consecutive unpaid months ending with the last complete
     * month before `asOf`, counted from the last paid month or, never paid, from the month of activation.
     * `orgPath` limits it to a subtree (the whole province when absent).
     */
    async findUnpaidStreaks(input: { asOf: string; after?: string | null; limit?: number; orgPath?: string }): Promise<UnpaidStreaks> {
      const { config } = need();
      const { remindAt, removeAt } = config.dues;
      const month = addMonths(monthOf(input.asOf), -1);
      // Months as an integer (year * 12 + month - 1), so that a streak is a subtraction.
      const lastIndex = monthsBetween('0000-01', month);
      const limit = Math.min(Math.max(input.limit ?? DUES_PAGE, 1), 1000);
      const { rows } = await sql<{ member_id: string; branch_id: string; months: number }>`
        with streaks as (
          select m.id as member_id, m.branch_id, s.since,
            ${lastIndex}::int - (extract(year from s.since)::int * 12 + extract(month from s.since)::int - 1) as months
          from members m
          join organizations o on o.id = m.branch_id
          cross join lateral (
            select greatest(
              (select max(p.month) from dues_payments p where p.member_id = m.id and p.month <= ${monthStart(month)}::date),
              date_trunc('month', coalesce(m.locked_at, m.created_at) at time zone ${OFFICE_ZONE})::date
            ) as since
          ) s
          where m.status = 'active' and m.id > ${input.after ?? FIRST_UUID}::uuid
            ${input.orgPath ? sql`and o.path like ${likePrefix(input.orgPath)}` : sql``}
        )
        select member_id, branch_id, months from streaks
        where months = ${remindAt}
          or (months >= ${removeAt}
            -- A case already handled during this streak (closed without removing the member) is not opened again daily.
            and not exists (
              select 1 from processes pr
              where pr.member_id = streaks.member_id and pr.kind = 'discipline' and pr.closed_at is not null and pr.started_at >= streaks.since))
        order by member_id
        limit ${limit}`.execute(db);
      const found = rows.map((r) => ({ memberId: r.member_id, branchId: r.branch_id, months: r.months }));
      return {
        month,
        remind: found.filter((m) => m.months === remindAt),
        remove: found.filter((m) => m.months >= removeAt),
        next: rows.length === limit ? rows[rows.length - 1]!.member_id : null,
      };
    },

    /** R18: the branch is told of each member about to reach the removal threshold, once per member and month. */
    async remindUnpaid(input: { members: UnpaidMember[]; month: string }): Promise<{ reminded: number }> {
      const { config } = need();
      let reminded = 0;
      await mapLimit(input.members, 8, async (m) => {
        const key = `dues-reminder:${m.memberId}:${input.month}`;
        const r = await recordOnce(
          db,
          { idempotency_key: key, member_id: m.memberId, org_id: m.branchId, type: 'dues.reminder', payload: { month: input.month, months: m.months } },
          // Not a process: the notification has no process id. Names stay out of messages (PII); the id is enough.
          (tx) =>
            insertNotifications(tx, key, null, [
              {
                recipientOrgId: m.branchId,
                kind: 'reminder',
                message: `Member ${m.memberId}: ${m.months} consecutive months of unpaid dues (to ${input.month}): ${config.dues.removeAt} opens a removal case (R18)`,
              },
            ]),
        );
        if (r.applied) reminded += 1;
      });
      return { reminded };
    },

    /** R18: a removal case for each member at the threshold; the starter refuses a second open case. */
    async openRemovalCases(input: { members: UnpaidMember[] }): Promise<{ opened: number; alreadyOpen: number; refused: number }> {
      const { client, config } = need();
      const start = disciplineStarter({ db, client, config });
      const counts = { opened: 0, alreadyOpen: 0, refused: 0 };
      await mapLimit(input.members, 8, async (m) => {
        const r = await start({
          memberId: m.memberId,
          grounds: 'unpaid-dues',
          details: `${config.dues.removeAt} consecutive months of unpaid dues (R18)`,
          startedBy: 'system:dues-check',
        });
        if ('refused' in r) counts.refused += 1;
        else if (r.created) counts.opened += 1;
        else counts.alreadyOpen += 1;
      });
      return counts;
    },
  };
}

export type DuesActivities = ReturnType<typeof createDuesActivities>;
