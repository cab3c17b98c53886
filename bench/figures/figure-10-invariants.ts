// Figure 10 (issue 19): R25's daily invariant check over the whole read model, on the bench's tree of BENCH_ORGS
// organizations with BENCH_MEMBERS members written by SQL (generate_series, as figure 8): one closed, approved
// check-in per member, a tenth of them also an approved transfer into their branch, one in a hundred deleted by an
// approved deletion, a hundredth of the members with an open process, a secretary per branch, a campaign task per
// branch (its rollups kept by the trigger of migration 0010); and three violations of each invariant planted. The
// figure is the time of every page of every invariant (activities/invariants.ts, the queries and the reporting), target
// under 10 s; the violations found must be exactly the planted ones.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { System } from '../../test/system';
import { createInvariantActivities } from '../../activities/invariants';
import { INVARIANTS, NO_VIOLATIONS, type InvariantCounts } from '../../domain/invariants';
import type { Figure, FigureResult } from '../figure';

const TARGET_MS = 10_000;
/** Violations planted per invariant. */
const PLANTED = 3;

/** The read model at scale, written by SQL over the bench tree's branches (ids `bp-…`); members' ID numbers `BI…`. */
async function seed(s: System, members: number, log: (m: string) => void): Promise<void> {
  const t0 = Date.now();
  const db = s.db;
  await sql`create temp table inv_branches as
    select (row_number() over (order by id)) - 1 as n, id, path, parent_id from organizations where id like 'bp-%' and kind = 'branch'`.execute(db);
  await sql`create temp table inv_members as
    select g, gen_random_uuid() as id, b.id as branch_id, b.path as branch_path
    from generate_series(0, ${members - 1}) g
    join inv_branches b on b.n = g % (select count(*) from inv_branches)`.execute(db);
  await sql`insert into members (id, name, id_number, join_date, branch_id, status, deleted_at, locked_at)
    select id, 'bench', 'BI' || lpad(g::text, 16, '0'), date '2016-05-04', branch_id,
      case when g % 100 = 1 then 'deleted' else 'active' end, case when g % 100 = 1 then now() end, now()
    from inv_members`.execute(db);
  await sql`insert into processes (id, kind, workflow_id, member_id, org_id, org_path, status, step, step_since, started_at, closed_at, updated_at)
    select gen_random_uuid(), 'check-in', 'bench-check-in-' || g, id, branch_id, branch_path, 'approved', 'closed',
      now() - interval '300 days', now() - interval '300 days', now() - interval '299 days', now() - interval '299 days'
    from inv_members`.execute(db);
  await sql`create temp table inv_transfers as select gen_random_uuid() as process_id, m.* from inv_members m where g % 10 = 3`.execute(db);
  await sql`insert into processes (id, kind, workflow_id, member_id, org_id, org_path, status, step, step_since, started_at, closed_at, updated_at)
    select process_id, 'transfer', 'bench-transfer-' || g, id, branch_id, branch_path, 'approved', 'closed',
      now() - interval '100 days', now() - interval '100 days', now() - interval '99 days', now() - interval '99 days'
    from inv_transfers`.execute(db);
  await sql`insert into transfers (process_id, member_id, direction, from_branch_id, to_org_id, status, started_at, completed_at)
    select process_id, id, 'internal', null, branch_id, 'approved', now() - interval '100 days', now() - interval '99 days' from inv_transfers`.execute(db);
  await sql`create temp table inv_deletions as select gen_random_uuid() as process_id, m.* from inv_members m where g % 100 = 1`.execute(db);
  await sql`insert into processes (id, kind, workflow_id, member_id, org_id, org_path, status, step, step_since, started_at, closed_at, updated_at)
    select process_id, 'deletion', 'bench-deletion-' || g, id, 'bp', 'bp/', 'approved', 'closed',
      now() - interval '50 days', now() - interval '50 days', now() - interval '49 days', now() - interval '49 days'
    from inv_deletions`.execute(db);
  await sql`insert into deletions (process_id, member_id, branch_id, branch_path, city_id, category, graduate, status, submitted_at, decided_at)
    select process_id, id, branch_id, branch_path, null, 'other', false, 'approved', now() - interval '50 days', now() - interval '49 days'
    from inv_deletions`.execute(db);
  await sql`insert into events (idempotency_key, process_id, member_id, org_id, type, occurred_at)
    select 'bench-deletion:' || process_id, process_id, id, 'bp', 'deletion.approved', now() - interval '49 days' from inv_deletions`.execute(db);
  await sql`insert into processes (id, kind, workflow_id, member_id, org_id, org_path, status, step, step_since, deadline, started_at, updated_at)
    select gen_random_uuid(), 'member-change', 'bench-change-' || g, id, branch_id, branch_path, 'pending', 'review',
      now(), now() + interval '10 days', now(), now()
    from inv_members where g % 100 = 7`.execute(db);
  await sql`insert into cadres (id, org_id, org_path, name, id_number, role, post, term_start, entered_by)
    select gen_random_uuid(), id, path, 'bench', 'BIC' || lpad(n::text, 15, '0'), 'secretary', '书记', date '2025-01-01', 'bench'
    from inv_branches`.execute(db);
  const campaignId = randomUUID();
  await sql`insert into campaigns (id, province_id, year, workflow_id, status, phases, opened_by)
    values (${campaignId}, 'bp', 2099, 'bench-campaign', 'open', '{}', 'bench')`.execute(db);
  await sql`insert into campaign_tasks (campaign_id, org_id, process_id, org_path, parent_path, depth, reviewer_id, step, deadline, members_total)
    select ${campaignId}::uuid, b.id, gen_random_uuid(), b.path, p.path, 4, b.parent_id, 'evaluation', now() + interval '30 days', 20
    from inv_branches b join organizations p on p.id = b.parent_id`.execute(db);
  await plant(s, campaignId);
  await sql`checkpoint`.execute(db);
  for (const table of ['organizations', 'members', 'processes', 'transfers', 'deletions', 'cadres', 'campaign_tasks', 'campaign_rollups', 'events'])
    await sql`vacuum analyze ${sql.table(table)}`.execute(db);
  log(`figure 10: seeded ${members} members and their processes in ${Date.now() - t0} ms`);
}

/** PLANTED violations of each invariant, written over members the seed made consistent. */
async function plant(s: System, campaignId: string): Promise<void> {
  const db = s.db;
  // open-process-after-leaving: members with an open process who aged out (the sweep's event), the process left open.
  await sql`update members set status = 'aged_out' where id in (select id from inv_members where g % 100 = 7 order by g limit ${PLANTED})`.execute(db);
  await sql`insert into events (idempotency_key, member_id, org_id, type)
    select 'bench-age-out:' || id, id, branch_id, 'member.aged-out' from inv_members where g % 100 = 7 order by g limit ${PLANTED}`.execute(db);
  // effect-not-shown: members of an approved transfer whose branch was changed by hand (no event explains it).
  await sql`update members set branch_id = (select id from inv_branches where n = 0)
    where id in (select id from inv_transfers where branch_id <> (select id from inv_branches where n = 0) order by g limit ${PLANTED})`.execute(db);
  // member-without-branch: active members with no branch.
  await sql`update members set branch_id = null where id in (select id from inv_members where g % 100 = 50 order by g limit ${PLANTED})`.execute(db);
  // post-after-leaving: secretaries who are deleted members.
  await sql`update cadres set id_number = m.id_number
    from (select row_number() over (order by g) as r, 'BI' || lpad(g::text, 16, '0') as id_number from inv_members where g % 100 = 1 order by g limit ${PLANTED}) m,
         (select row_number() over (order by id) as r, id from cadres where id_number like 'BIC%' order by id limit ${PLANTED}) c
    where cadres.id = c.id and c.r = m.r`.execute(db);
  // rollup-recount: rollups written around the trigger.
  await sql`update campaign_rollups set total = total + 1
    where campaign_id = ${campaignId} and parent_path in (select parent_path from campaign_rollups where campaign_id = ${campaignId} order by parent_path limit ${PLANTED})`.execute(
    db,
  );
}

/** 10. The daily invariant check over the whole read model, as its activity runs it (every page of every invariant). */
async function measure(s: System, sizes: { members: number }, log: (m: string) => void): Promise<FigureResult> {
  await seed(s, sizes.members, log);
  const { checkInvariantPage } = createInvariantActivities({ db: s.db });
  const run = async () => {
    const found: InvariantCounts = { ...NO_VIOLATIONS };
    const ms: Record<string, number> = {};
    const t0 = performance.now();
    for (const invariant of INVARIANTS) {
      const t = performance.now();
      let after: string | null = null;
      do {
        const page = await checkInvariantPage({ invariant, after });
        found[invariant] += page.found;
        after = page.next;
      } while (after !== null);
      ms[invariant] = Math.round(performance.now() - t);
    }
    return { total: performance.now() - t0, found, ms };
  };
  // The first run tells the province of each violation (data problems, notifications); the second is the daily one.
  const first = await run();
  log(`figure 10: first run ${first.total.toFixed(0)} ms ${JSON.stringify(first.ms)}`);
  const daily = await run();
  log(`figure 10: daily run ${daily.total.toFixed(0)} ms ${JSON.stringify(daily.ms)} found ${JSON.stringify(daily.found)}`);
  const processes = (
    await s.db
      .selectFrom('processes')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow()
  ).n;
  const exact = INVARIANTS.every((i) => daily.found[i] === PLANTED && first.found[i] === PLANTED);
  const worst = Math.max(first.total, daily.total);
  log('figure 10 done');
  return {
    figure: `10. daily invariant check over the read model (${sizes.members} members, ${processes} processes)`,
    value: `first run ${first.total.toFixed(0)} ms, daily run ${daily.total.toFixed(0)} ms; ${PLANTED} planted per invariant ${exact ? 'all found, nothing else' : 'NOT found exactly'}`,
    target: `< ${TARGET_MS} ms, exactly the planted violations`,
    met: worst < TARGET_MS && exact,
    detail: { first, daily, planted: PLANTED },
  };
}

export const figure10: Figure = {
  id: 10,
  title: 'daily invariant check over the read model',
  // Its members are its own (BENCH_MEMBERS of them), so it runs only when asked (BENCH_ONLY=10).
  optIn: true,
  run: async (b) => [await measure(b.sys, { members: b.sizes.members }, b.log)],
};
