// R25, the daily invariant check on the real server, worker and PostgreSQL: each kind of violation is planted
// directly in this file's own province (as a bug or a hand edit would leave it), the check (workflows/invariant-check.ts,
// kept to the province) tells each one to the province once as a data problem and sets the gauge; a violation that
// goes away is resolved, and told again when it comes back; a clean province reports nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { activeMember, eventually, idNumber, orgPath, useSystemWithTree } from './harness';
import { invariantCheck, type InvariantCheckResult } from '../workflows/invariant-check';
import { ensureInvariantSchedule } from '../worker/schedules';
import { INVARIANTS, NO_VIOLATIONS, type Invariant, type InvariantCounts } from '../domain/invariants';
import { metricsRegistry } from '../runtime/metrics';
import type { MembersTable } from '../db/schema';

const ctx = useSystemWithTree();
let provincePath: string;
let ids: ReturnType<() => typeof ctx.tree.ids>;

beforeAll(async () => {
  ids = ctx.tree.ids;
  provincePath = await orgPath(ctx.sys, ids.province);
  // A member who really went through a check-in: a clean province is not an empty one.
  const memberId = await activeMember(ctx.sys.app, ids.branch1, ctx.tree.tokens.sec1);
  await eventually(async () => {
    const m = await ctx.sys.db.selectFrom('members').select('status').where('id', '=', memberId).executeTakeFirst();
    const open = await ctx.sys.db.selectFrom('processes').select('id').where('member_id', '=', memberId).where('closed_at', 'is', null).executeTakeFirst();
    return m?.status === 'active' && !open;
  });
});

const run = () =>
  ctx.sys.env.client.workflow.execute(invariantCheck, {
    taskQueue: ctx.sys.config.taskQueue,
    workflowId: `invariant-check-test-${randomBytes(4).toString('hex')}`,
    args: [{ orgPath: provincePath, pageSize: 2 }],
  }) as Promise<InvariantCheckResult>;

/** The open R25 problems of this province, by kind. */
const openProblems = async () =>
  ctx.sys.db
    .selectFrom('data_problems')
    .select(['id', 'kind', 'message', 'occurrences'])
    .where('org_id', '=', ids.province)
    .where('rule', '=', 'R25')
    .where('resolved_at', 'is', null)
    .orderBy('kind')
    .execute();

const noticesToProvince = async () =>
  (
    await ctx.sys.db
      .selectFrom('notifications')
      .select('message')
      .where('recipient_org_id', '=', ids.province)
      .where('kind', '=', 'data-problem')
      .where('message', 'like', 'R25:%')
      .execute()
  ).map((n) => n.message);

async function gauge(): Promise<InvariantCounts> {
  const metric = await metricsRegistry().getSingleMetric('tuanwu_invariant_violations')?.get();
  const out = { ...NO_VIOLATIONS };
  for (const v of metric?.values ?? []) out[v.labels.invariant as Invariant] = v.value;
  return out;
}

async function member(status: MembersTable['status'], branchId: string | null): Promise<string> {
  const id = randomUUID();
  await ctx.sys.db
    .insertInto('members')
    .values({ id, name: '测试', id_number: idNumber('20000101'), join_date: '2016-05-04', branch_id: branchId, status, details: '{}', updated_at: new Date() })
    .execute();
  return id;
}

async function process(kind: string, memberId: string, orgId: string, closed: { status: string; at: Date } | null): Promise<string> {
  const id = randomUUID();
  const at = new Date(Date.now() - 3_600_000);
  await ctx.sys.db
    .insertInto('processes')
    .values({
      id,
      kind,
      workflow_id: `${kind}-${id}`,
      member_id: memberId,
      org_id: orgId,
      org_path: await orgPath(ctx.sys, orgId),
      status: closed?.status ?? 'pending',
      overdue: false,
      step: closed ? 'closed' : 'review',
      step_since: at,
      started_at: at,
      closed_at: closed?.at ?? null,
      updated_at: at,
    })
    .execute();
  return id;
}

const event = (processId: string | null, memberId: string, type: string, at: Date) =>
  ctx.sys.db
    .insertInto('events')
    .values({ idempotency_key: `test:${randomUUID()}`, process_id: processId, member_id: memberId, org_id: ids.branch1, type, payload: '{}', occurred_at: at })
    .execute();

async function transfer(memberId: string, toOrgId: string, completedAt: Date): Promise<string> {
  const processId = await process('transfer', memberId, toOrgId, { status: 'approved', at: completedAt });
  await ctx.sys.db
    .insertInto('transfers')
    .values({
      process_id: processId,
      member_id: memberId,
      direction: 'internal',
      from_branch_id: ids.branch1,
      to_org_id: toOrgId,
      await_org_id: null,
      peer_province: null,
      peer_transfer_id: null,
      graduate_cohort: null,
      route_case: null,
      status: 'approved',
      started_at: completedAt,
      completed_at: completedAt,
    })
    .execute();
  await event(processId, memberId, 'transfer.completed', completedAt);
  return processId;
}

describe('R25 the daily invariant check', () => {
  it('R25: a clean province (a member checked in and approved) reports nothing, and the gauge shows 0 for every invariant', async () => {
    const r = await run();
    expect(r).toEqual({ violations: NO_VIOLATIONS, reported: 0, resolved: 0 });
    expect(await openProblems()).toEqual([]);
    expect(await gauge()).toEqual(NO_VIOLATIONS);
  });

  it('R25: each planted violation is told to the province once, counted in the gauge; fixed it is resolved, broken again it is told again', async () => {
    const hourAgo = new Date(Date.now() - 3_600_000);
    const later = new Date(hourAgo.getTime() + 60_000);
    // a. a disciplinary case still open on a member the province deleted.
    const deleted = await member('deleted', ids.branch1);
    const openCase = await process('discipline', deleted, ids.branch1, null);
    // b. a transfer approved into branch 3 while its member stays deleted in branch 1 (the deletion came first) ...
    const movedDeleted = await member('deleted', ids.branch1);
    const deletedFirst = await process('deletion', movedDeleted, ids.province, { status: 'approved', at: new Date(hourAgo.getTime() - 60_000) });
    await event(deletedFirst, movedDeleted, 'deletion.approved', new Date(hourAgo.getTime() - 60_000));
    const badTransfer = await transfer(movedDeleted, ids.branch3, hourAgo);
    // ... and a deletion approved while its member, expelled, was left untouched.
    const expelled = await member('expelled', ids.branch2);
    const badDeletion = await process('deletion', expelled, ids.province, { status: 'approved', at: hourAgo });
    await ctx.sys.db
      .insertInto('deletions')
      .values({
        process_id: badDeletion,
        member_id: expelled,
        branch_id: ids.branch2,
        branch_path: await orgPath(ctx.sys, ids.branch2),
        city_id: ids.city1,
        category: 'other',
        graduate: false,
        status: 'approved',
        submitted_at: hourAgo,
        decided_at: hourAgo,
      })
      .execute();
    // Not a violation: approved into branch 3, then deleted by a later deletion (its event is later).
    const movedThenDeleted = await member('deleted', ids.branch3);
    await transfer(movedThenDeleted, ids.branch3, hourAgo);
    await event(await process('deletion', movedThenDeleted, ids.province, { status: 'approved', at: later }), movedThenDeleted, 'deletion.approved', later);
    // c. an active member whose branch is a committee, and one on probation with no branch (placed by their process).
    const inCommittee = await member('active', ids.county1);
    const noBranch = await member('probation', null);
    await process('discipline', noBranch, ids.branch3, { status: 'resolved', at: hourAgo });
    // d. a secretary post still current, held by a member who aged out; one whose term ended is not current.
    const agedOut = await member('aged_out', ids.branch2);
    const { id_number } = await ctx.sys.db.selectFrom('members').select('id_number').where('id', '=', agedOut).executeTakeFirstOrThrow();
    const post = randomUUID();
    const pastTerm = randomUUID();
    const cadre = (id: string, orgId: string, path: string, termEnd: string | null) => ({
      id,
      org_id: orgId,
      org_path: path,
      name: '书记',
      id_number,
      role: 'secretary' as const,
      post: '书记',
      term_start: '2020-01-01',
      term_end: termEnd,
      entered_by: 'test',
    });
    await ctx.sys.db
      .insertInto('cadres')
      .values([
        cadre(post, ids.branch2, await orgPath(ctx.sys, ids.branch2), null),
        cadre(pastTerm, ids.branch3, await orgPath(ctx.sys, ids.branch3), '2021-06-30'),
      ])
      .execute();
    // e. a campaign whose rollup (kept by the trigger of migration 0010) is then written around the trigger.
    const campaignId = randomUUID();
    await ctx.sys.db
      .insertInto('campaigns')
      .values({ id: campaignId, province_id: ids.province, year: 2031, workflow_id: `campaign-${campaignId}`, status: 'open', phases: '{}', opened_by: 'test' })
      .execute();
    const schoolPath = await orgPath(ctx.sys, ids.school1);
    await ctx.sys.db
      .insertInto('campaign_tasks')
      .values(
        await Promise.all(
          [ids.branch1, ids.branch2].map(async (orgId) => ({
            campaign_id: campaignId,
            org_id: orgId,
            process_id: randomUUID(),
            org_path: await orgPath(ctx.sys, orgId),
            parent_path: schoolPath,
            depth: 5,
            reviewer_id: ids.school1,
            step: 'evaluation' as const,
            deadline: later,
          })),
        ),
      )
      .execute();
    const rollup = () => ctx.sys.db.selectFrom('campaign_rollups').select('total').where('campaign_id', '=', campaignId).where('parent_path', '=', schoolPath);
    expect((await rollup().executeTakeFirstOrThrow()).total).toBe(2);
    await ctx.sys.db.updateTable('campaign_rollups').set({ total: 3 }).where('campaign_id', '=', campaignId).where('parent_path', '=', schoolPath).execute();

    const expected: InvariantCounts = {
      'open-process-after-leaving': 1,
      'effect-not-shown': 2,
      'member-without-branch': 2,
      'post-after-leaving': 1,
      'rollup-recount': 1,
    };
    const first = await run();
    expect(first).toEqual({ violations: expected, reported: 7, resolved: 0 });
    expect(await gauge()).toEqual(expected);
    const problems = await openProblems();
    expect(problems.map((p) => p.kind).sort()).toEqual(
      [
        `r25:open-process-after-leaving:${openCase}`,
        `r25:effect-not-shown:${badTransfer}`,
        `r25:effect-not-shown:${badDeletion}`,
        `r25:member-without-branch:${inCommittee}`,
        `r25:member-without-branch:${noBranch}`,
        `r25:post-after-leaving:${post}`,
        `r25:rollup-recount:${campaignId}:${schoolPath}`,
      ].sort(),
    );
    const byKind = new Map(problems.map((p) => [p.kind, p.message]));
    expect(byKind.get(`r25:effect-not-shown:${badTransfer}`)).toContain(`member ${movedDeleted} is deleted`);
    expect(byKind.get(`r25:rollup-recount:${campaignId}:${schoolPath}`)).toContain('(total)');
    // No ID number in what the province reads (identifiers are never shown in full).
    for (const p of problems) expect(p.message).not.toContain(id_number);
    expect(await noticesToProvince()).toHaveLength(7);

    // The next day: the same violations count again, nobody is told twice.
    const again = await run();
    expect(again).toEqual({ violations: expected, reported: 0, resolved: 0 });
    expect((await openProblems()).every((p) => p.occurrences === 2)).toBe(true);
    expect(await noticesToProvince()).toHaveLength(7);

    // Fixed: the case closed; the problem is resolved. Broken again: told again, as a new problem.
    await ctx.sys.db.updateTable('processes').set({ closed_at: new Date(), status: 'withdrawn' }).where('id', '=', openCase).execute();
    const fixed = await run();
    expect(fixed.violations['open-process-after-leaving']).toBe(0);
    expect(fixed.resolved).toBe(1);
    expect(await gauge()).toEqual({ ...expected, 'open-process-after-leaving': 0 });
    await ctx.sys.db.updateTable('processes').set({ closed_at: null, status: 'pending' }).where('id', '=', openCase).execute();
    const broken = await run();
    expect(broken).toEqual({ violations: expected, reported: 1, resolved: 0 });
    expect(await noticesToProvince()).toHaveLength(8);
    expect(INVARIANTS.every((i) => broken.violations[i] > 0)).toBe(true);
  });

  it('R25: ensureInvariantSchedule creates the daily schedule of the check for a province (updated in place on a restart)', async () => {
    const client = ctx.sys.env.client;
    const id = await ensureInvariantSchedule(client, ctx.sys.config, { orgPath: provincePath });
    try {
      expect(await ensureInvariantSchedule(client, ctx.sys.config, { orgPath: provincePath }, 3_600_000)).toBe(id);
      const d = await client.schedule.getHandle(id).describe();
      expect(d.spec.intervals?.[0]?.every).toBe(3_600_000);
      expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'invariantCheck', args: [{ orgPath: provincePath }] });
    } finally {
      await client.schedule.getHandle(id).delete();
    }
  });
});
