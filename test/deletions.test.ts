// R14-R17 on the real server and PostgreSQL: a deletion applied for by the branch, verified by the city-level
// committee and decided only by the province; returns (R15, also in bulk); the R16 explanation; the R17 watch
// on deletions of graduates; who extends a step's deadline. The deadlines themselves: test/fast/deletion.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, activeMember, actorToken, call, deletedMember, graduateBranch, seedTree, startSystem, type System, type Tree } from './harness';
import { deletionWorkflowId } from '../domain/deletions';
import { decideUpdate } from '../processes/messages';

let sys: System;
let tree: Tree;

beforeAll(async () => {
  sys = await startSystem({ abuse: { minDeletions: 2, threshold: 0.5 } });
  tree = await seedTree(sys.app);
});
afterAll(async () => {
  await sys?.stop();
});

const apply = (token: string, body: object, s: System = sys) => call(s.app, 'POST', '/api/deletions', token, body);
const decide = (id: string, token: string, body: object, s: System = sys) => call(s.app, 'POST', `/api/processes/${id}/decisions`, token, body);
const processOf = (id: string, s: System = sys) => s.db.selectFrom('processes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const memberOf = (id: string) => sys.db.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const eventTypes = async (id: string, s: System = sys) =>
  (await s.db.selectFrom('events').select('type').where('process_id', '=', id).orderBy('id').execute()).map((e) => e.type);
const memberToken = async (memberId: string) =>
  (await call(sys.app, 'POST', '/api/actors', ADMIN_TOKEN, { role: 'member', memberId, label: 'member' })).body.token as string;

/** Applied for by the branch and forwarded by the city: waiting at the province. */
async function atProvince(t: Tree, branchId: string, secretary: string, cityAdmin: string, category = 'left'): Promise<{ id: string; memberId: string }> {
  const memberId = await activeMember(sys.app, branchId, secretary);
  const applied = await apply(secretary, { memberId, category, reason: 'moved abroad for good' });
  expect(applied.status, JSON.stringify(applied.body)).toBe(201);
  const id = applied.body.processId as string;
  expect((await decide(id, cityAdmin, { action: 'approve' })).status).toBe(200);
  expect(await processOf(id)).toMatchObject({ step: 'province-review', org_id: t.ids.province });
  return { id, memberId };
}

describe('R14 deletion', () => {
  it('R14: a branch applies, the city forwards, the province approves: the member is soft-deleted and the history stays readable above', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const member = await memberToken(memberId);
    const applied = await apply(tree.tokens.sec1, { memberId, category: 'left', reason: 'left the league area for good' });
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    expect(applied.body).toMatchObject({ memberId, step: 'city-review' });
    expect(Date.parse(applied.body.deadline)).toBeGreaterThan(Date.now());
    const id = applied.body.processId as string;
    // Readable at once: the application is recorded before the API answers.
    expect(await processOf(id)).toMatchObject({ kind: 'deletion', step: 'city-review', org_id: tree.ids.city1, status: 'pending' });
    expect(await sys.db.selectFrom('deletions').selectAll().where('process_id', '=', id).executeTakeFirstOrThrow()).toMatchObject({
      member_id: memberId,
      branch_id: tree.ids.branch1,
      city_id: tree.ids.city1,
      category: 'left',
      graduate: false,
      status: 'pending',
    });
    // One open deletion per member.
    const again = await apply(tree.tokens.sec1, { memberId, category: 'left', reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.body.rule).toBe('R14');
    // Another branch cannot apply for this member.
    expect((await apply(tree.tokens.sec2, { memberId, category: 'left', reason: 'not ours' })).status).toBe(403);

    expect((await decide(id, tree.tokens.city1, { action: 'approve' })).body).toMatchObject({ status: 'pending' });
    expect(await processOf(id)).toMatchObject({ step: 'province-review', org_id: tree.ids.province });
    const task = await sys.db
      .selectFrom('notifications')
      .select('kind')
      .where('process_id', '=', id)
      .where('recipient_org_id', '=', tree.ids.province)
      .execute();
    expect(task.map((n) => n.kind)).toContain('task');

    const approved = await decide(id, tree.tokens.province, { action: 'approve' });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');
    const row = await memberOf(memberId);
    expect(row.status).toBe('deleted');
    expect(row.deleted_at).not.toBeNull();
    expect(await processOf(id)).toMatchObject({ status: 'approved', step: 'closed' });
    expect((await sys.db.selectFrom('deletions').select(['status', 'decided_at']).where('process_id', '=', id).executeTakeFirstOrThrow()).status).toBe(
      'approved',
    );

    // The history stays readable to the levels above.
    const read = await call(sys.app, 'GET', `/api/members/${memberId}`, tree.tokens.city1);
    expect(read.status).toBe(200);
    expect(read.body.status).toBe('deleted');
    const timeline = await call(sys.app, 'GET', `/api/processes/${id}`, tree.tokens.city1);
    expect(timeline.status).toBe(200);
    expect(timeline.body.timeline.map((e: { type: string }) => e.type)).toEqual(['deletion.applied', 'deletion.forwarded', 'deletion.approved']);
    expect(timeline.body.timeline[0].payload).toMatchObject({ category: 'left', reason: 'left the league area for good' });
    expect((await call(sys.app, 'GET', `/api/processes/${id}`, tree.tokens.school1)).status).toBe(200);
    expect((await call(sys.app, 'GET', `/api/processes/${id}`, tree.tokens.county2)).status).toBe(403);
    // The member's actors hear the outcome.
    const inbox = await call(sys.app, 'GET', '/api/notifications', member);
    expect(
      inbox.body.items.some(
        (n: { processId: string; kind: string; message: string }) => n.processId === id && n.kind === 'decision' && /approved/.test(n.message),
      ),
    ).toBe(true);
    // Closed: no later decision, and a deleted member cannot be applied for again.
    expect((await decide(id, tree.tokens.sec1, { action: 'withdraw' })).status).toBe(409);
    const deleted = await apply(tree.tokens.sec1, { memberId, category: 'left', reason: 'again' });
    expect(deleted.status).toBe(422);
    expect(deleted.body.rule).toBe('R14');
  });

  it('R14: only a province admin approves: every other role is refused', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch2, tree.tokens.sec2);
    const id = (await apply(tree.tokens.sec2, { memberId, category: 'duplicate', reason: 'entered twice' })).body.processId as string;
    // At the city's step the province cannot act yet.
    expect((await decide(id, tree.tokens.province, { action: 'approve' })).status).toBe(403);
    expect((await decide(id, tree.tokens.city1, { action: 'approve' })).status).toBe(200);

    const county1 = await actorToken(sys.app, 'committee_admin', tree.ids.county1);
    const member = await memberToken(memberId);
    for (const [who, token] of Object.entries({ member, sec2: tree.tokens.sec2, school1: tree.tokens.school1, county1, city1: tree.tokens.city1 })) {
      const r = await decide(id, token, { action: 'approve' });
      expect(r.status, who).toBe(403);
    }
    // A committee admin placed at the province root passes the authorization table; the workflow's role check refuses.
    const rootCommittee = await actorToken(sys.app, 'committee_admin', tree.ids.province);
    const byCommittee = await decide(id, rootCommittee, { action: 'approve' });
    expect(byCommittee.status).toBe(403);
    expect(byCommittee.body.rule).toBe('R14');
    expect((await decide(id, rootCommittee, { action: 'reject', reason: 'no' })).status).toBe(403);
    expect(await processOf(id)).toMatchObject({ step: 'province-review', status: 'pending' });
    expect((await memberOf(memberId)).status).toBe('active');

    const ok = await decide(id, tree.tokens.province, { action: 'approve' });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('approved');
    expect((await memberOf(memberId)).status).toBe('deleted');
  });

  it('R14: the city returns an application to the branch with a reason; the branch files it again', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const id = (await apply(tree.tokens.sec1, { memberId, category: 'other', reason: 'no longer takes part' })).body.processId as string;
    const noReason = await decide(id, tree.tokens.city1, { action: 'return' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.fields[0].field).toBe('body.reason');
    expect((await decide(id, tree.tokens.city1, { action: 'return', reason: 'attach the branch meeting minutes' })).status).toBe(200);
    expect(await processOf(id)).toMatchObject({ step: 'branch-recheck', org_id: tree.ids.branch1, status: 'pending' });
    const returned = await sys.db
      .selectFrom('events')
      .select('payload')
      .where('process_id', '=', id)
      .where('type', '=', 'deletion.returned')
      .executeTakeFirstOrThrow();
    expect(returned.payload).toMatchObject({ reason: 'attach the branch meeting minutes', step: 'city-review' });
    const task = await sys.db
      .selectFrom('notifications')
      .select('kind')
      .where('process_id', '=', id)
      .where('recipient_org_id', '=', tree.ids.branch1)
      .execute();
    expect(task.map((n) => n.kind)).toContain('task');
    // Now the branch's step: the city cannot act on it.
    expect((await decide(id, tree.tokens.city1, { action: 'approve' })).status).toBe(403);

    // A decision for a step the process has left is refused, not applied elsewhere.
    const handle = sys.env.client.workflow.getHandle(deletionWorkflowId(memberId));
    const stale = await handle
      .executeUpdate(decideUpdate, { args: [{ action: 'approve', actorId: 'x', step: 'city-review', actorRole: 'committee_admin' }] })
      .catch((e: unknown) => e);
    expect((stale as { cause?: { type?: string; message?: string } }).cause).toMatchObject({ type: 'conflict', message: expect.stringMatching(/moved on/) });

    expect((await decide(id, tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
    expect(await processOf(id)).toMatchObject({ step: 'city-review', org_id: tree.ids.city1 });
    expect((await decide(id, tree.tokens.city1, { action: 'approve' })).status).toBe(200);
    // R15: the province returns it too; this time the branch withdraws it.
    expect((await decide(id, tree.tokens.province, { action: 'return', reason: 'check the category' })).status).toBe(200);
    expect(await processOf(id)).toMatchObject({ step: 'branch-recheck', org_id: tree.ids.branch1 });
    const withdrawn = await decide(id, tree.tokens.sec1, { action: 'withdraw' });
    expect(withdrawn.body.status).toBe('withdrawn');
    expect(await eventTypes(id)).toEqual([
      'deletion.applied',
      'deletion.returned',
      'deletion.refiled',
      'deletion.forwarded',
      'deletion.returned',
      'deletion.withdrawn',
    ]);
    expect(await memberOf(memberId)).toMatchObject({ status: 'active', deleted_at: null });
    expect((await sys.db.selectFrom('deletions').select('status').where('process_id', '=', id).executeTakeFirstOrThrow()).status).toBe('withdrawn');
  });

  it('R16: a wrong-branch deletion without a written explanation is refused with 400 naming the field, and nothing is persisted', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const refused = await apply(tree.tokens.sec1, { memberId, category: 'wrong-branch', reason: 'approved in the wrong branch' });
    expect(refused.status).toBe(400);
    expect(refused.body.fields.map((f: { field: string }) => f.field)).toContain('body.explanation');
    expect(await sys.db.selectFrom('deletions').select('process_id').where('member_id', '=', memberId).execute()).toHaveLength(0);
    expect(await sys.db.selectFrom('processes').select('id').where('member_id', '=', memberId).where('kind', '=', 'deletion').execute()).toHaveLength(0);
    await expect(sys.env.client.workflow.getHandle(deletionWorkflowId(memberId)).describe()).rejects.toThrow();

    const explanation = 'The check-in was approved in 高一(1)班 by mistake; the member belongs to 高一(2)班 and checks in there.';
    const ok = await apply(tree.tokens.sec1, { memberId, category: 'wrong-branch', reason: 'approved in the wrong branch', explanation });
    expect(ok.status).toBe(201);
    const applied = await sys.db
      .selectFrom('events')
      .select('payload')
      .where('process_id', '=', ok.body.processId)
      .where('type', '=', 'deletion.applied')
      .executeTakeFirstOrThrow();
    expect(applied.payload).toMatchObject({ category: 'wrong-branch', explanation });
    // The levels above read it.
    const read = await call(sys.app, 'GET', `/api/processes/${ok.body.processId}`, tree.tokens.city1);
    expect(read.body.timeline[0].payload.explanation).toBe(explanation);
  });

  // The deadline of each step (reminders, overdue, escalation to the parent) is proven on the workflow in
  // test/fast/deletion.test.ts; what the API decides is here: who may move the deadline of the city's step.
  it("R3 on a deletion: the province, above the acting city, extends the city's verification; the city itself cannot", async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const id = (await apply(tree.tokens.sec1, { memberId, category: 'left', reason: 'moved away' })).body.processId as string;
    const until = new Date(Date.now() + 30 * 86_400_000).toISOString();
    expect((await decide(id, tree.tokens.city1, { action: 'extend', until, reason: 'yearly count' })).status).toBe(403);
    expect((await decide(id, tree.tokens.province, { action: 'extend', until, reason: 'yearly count' })).status).toBe(200);
    const row = await processOf(id);
    expect(row).toMatchObject({ step: 'city-review', org_id: tree.ids.city1, overdue: false });
    expect(row.deadline?.toISOString()).toBe(until);
    expect(await eventTypes(id)).toEqual(['deletion.applied', 'deadline.extended']);
  });
});

describe('R15 bulk return', () => {
  it('R15: the province returns all pending applications matching a filter in one call, at the city as at the province; a second identical call changes nothing', async () => {
    // A tree of its own: only these applications are pending at its province.
    const t = await seedTree(sys.app);
    const city2 = await actorToken(sys.app, 'committee_admin', t.ids.city2);
    const a = await atProvince(t, t.ids.branch1, t.tokens.sec1, t.tokens.city1, 'left');
    const b = await atProvince(t, t.ids.branch2, t.tokens.sec2, t.tokens.city1, 'left');
    const c = await atProvince(t, t.ids.branch1, t.tokens.sec1, t.tokens.city1, 'duplicate');
    const d = await atProvince(t, t.ids.branch3, t.tokens.sec3, city2, 'left');
    const eMember = await activeMember(sys.app, t.ids.branch1, t.tokens.sec1);
    const e = (await apply(t.tokens.sec1, { memberId: eMember, category: 'left', reason: 'still at the city' })).body.processId as string;

    const body = { reason: 'R15: re-check the reasons before the yearly count', cityId: t.ids.city1, category: 'left' };
    const rootCommittee = await actorToken(sys.app, 'committee_admin', t.ids.province);
    for (const token of [t.tokens.city1, t.tokens.sec1, rootCommittee, tree.tokens.school1]) {
      expect((await call(sys.app, 'POST', '/api/deletions/bulk-return', token, body)).status).toBe(403);
    }
    // Another province's admin finds nothing of this one.
    expect((await call(sys.app, 'POST', '/api/deletions/bulk-return', tree.tokens.province, body)).body).toMatchObject({ matched: 0, returned: 0 });

    const first = await call(sys.app, 'POST', '/api/deletions/bulk-return', t.tokens.province, body);
    expect(first.status).toBe(200);
    // "全部退回…已申请删除，待审核" (seed 004): e, still at the city, is returned as well.
    expect(first.body).toMatchObject({ matched: 3, returned: 3 });
    expect([...first.body.processIds].sort()).toEqual([a.id, b.id, e].sort());
    expect(await processOf(a.id)).toMatchObject({ step: 'branch-recheck', org_id: t.ids.branch1, status: 'pending' });
    expect(await processOf(b.id)).toMatchObject({ step: 'branch-recheck', org_id: t.ids.branch2, status: 'pending' });
    expect((await processOf(c.id)).step).toBe('province-review');
    expect((await processOf(d.id)).step).toBe('province-review');
    expect(await processOf(e)).toMatchObject({ step: 'branch-recheck', org_id: t.ids.branch1, status: 'pending' });
    expect(
      await sys.db.selectFrom('events').select('payload').where('process_id', '=', e).where('type', '=', 'deletion.returned').executeTakeFirstOrThrow(),
    ).toMatchObject({ payload: { reason: body.reason, step: 'city-review' } });
    const ev = await sys.db
      .selectFrom('events')
      .select(['payload', 'actor_id'])
      .where('process_id', '=', a.id)
      .where('type', '=', 'deletion.returned')
      .executeTakeFirstOrThrow();
    expect(ev.payload).toMatchObject({ reason: body.reason, step: 'province-review' });

    const second = await call(sys.app, 'POST', '/api/deletions/bulk-return', t.tokens.province, body);
    expect(second.body).toMatchObject({ matched: 0, returned: 0 });
    expect((await eventTypes(a.id)).filter((x) => x === 'deletion.returned')).toHaveLength(1);

    // The age filter: nothing has waited a day yet. Then all of city2.
    expect((await call(sys.app, 'POST', '/api/deletions/bulk-return', t.tokens.province, { reason: 'old ones', olderThanDays: 1 })).body).toMatchObject({
      matched: 0,
      returned: 0,
    });
    expect((await call(sys.app, 'POST', '/api/deletions/bulk-return', t.tokens.province, { reason: 'city2', cityId: t.ids.city2 })).body).toMatchObject({
      matched: 1,
      returned: 1,
    });
    expect(await processOf(d.id)).toMatchObject({ step: 'branch-recheck', org_id: t.ids.branch3 });
    expect((await processOf(c.id)).step).toBe('province-review');

    // A returned application is checked and filed again (R15).
    expect((await decide(a.id, t.tokens.sec1, { action: 'approve' })).status).toBe(200);
    expect(await processOf(a.id)).toMatchObject({ step: 'city-review', org_id: t.ids.city1 });
    expect((await decide(e, t.tokens.sec1, { action: 'approve' })).status).toBe(200);
    expect(await processOf(e)).toMatchObject({ step: 'city-review', org_id: t.ids.city1 });
  });
});

describe('R17 abuse watch', () => {
  it('R17: deleting graduates above the threshold flags the organization to the admins above', async () => {
    const t = await seedTree(sys.app);
    const grad = await graduateBranch(sys.app, t.ids.school1);
    // The watch runs after the approval; the workflow ends once it has.
    const deleteGraduate = async () => (await deletedMember(sys, t, grad, { reason: 'graduated' })).processId;
    const flagsOf = (orgId: string) => sys.db.selectFrom('abuse_flags').selectAll().where('org_id', '=', orgId).execute();

    const first = await deleteGraduate();
    expect((await sys.db.selectFrom('deletions').select('graduate').where('process_id', '=', first).executeTakeFirstOrThrow()).graduate).toBe(true);
    // One deletion is below the minimum of 2.
    expect(await flagsOf(t.ids.school1)).toHaveLength(0);

    await deleteGraduate();
    const [flag] = await flagsOf(t.ids.school1);
    expect(flag).toMatchObject({ deletions: 2, graduates: 2 });
    expect(await flagsOf(t.ids.county1)).toHaveLength(1);
    expect(await flagsOf(t.ids.city1)).toHaveLength(1);
    expect(await flagsOf(t.ids.province)).toHaveLength(0);
    // To the school's parent and to the province, with counts and no names.
    const notes = await sys.db
      .selectFrom('notifications')
      .select(['recipient_org_id', 'kind', 'message'])
      .where('message', 'like', `R17:%(${t.ids.school1})%`)
      .execute();
    expect(notes.map((n) => n.recipient_org_id).sort()).toEqual([t.ids.county1, t.ids.province].sort());
    expect(notes.every((n) => n.kind === 'escalation')).toBe(true);
    expect(notes[0]!.message).toMatch(/^R17: 2 of 2 deletions in .* in the last 90 days were graduates$/);
    expect(notes[0]!.message).not.toContain('张三');
    const inbox = await call(sys.app, 'GET', '/api/notifications', t.tokens.province);
    expect(inbox.body.items.some((n: { kind: string; message: string }) => n.kind === 'escalation' && n.message.includes(t.ids.school1))).toBe(true);

    const watch = await call(sys.app, 'GET', '/api/deletions/abuse', t.tokens.city1);
    expect(watch.status).toBe(200);
    expect(watch.body).toMatchObject({ orgId: t.ids.city1, threshold: 0.5, minDeletions: 2 });
    expect(watch.body.flags.map((f: { orgId: string }) => f.orgId)).toEqual(expect.arrayContaining([t.ids.school1, t.ids.county1, t.ids.city1]));
    expect(watch.body.current.find((c: { orgId: string }) => c.orgId === t.ids.school1)).toMatchObject({ deletions: 2, graduates: 2, share: 1, above: true });
    // Only supervisors of the subtree see it.
    expect((await call(sys.app, 'GET', `/api/deletions/abuse?orgId=${t.ids.city1}`, t.tokens.county2)).status).toBe(403);
    expect((await call(sys.app, 'GET', '/api/deletions/abuse', grad.secretary)).status).toBe(403);
    expect((await call(sys.app, 'GET', '/api/deletions/abuse', t.tokens.county2)).body.flags).toHaveLength(0);

    // A third deletion in the same window does not flag the same organizations twice.
    await deleteGraduate();
    expect(await flagsOf(t.ids.school1)).toHaveLength(1);
    expect(await flagsOf(t.ids.county1)).toHaveLength(1);
    const after = await call(sys.app, 'GET', '/api/deletions/abuse', t.tokens.city1);
    expect(after.body.current.find((c: { orgId: string }) => c.orgId === t.ids.school1)).toMatchObject({ deletions: 3, graduates: 3, above: true });
  });
});
