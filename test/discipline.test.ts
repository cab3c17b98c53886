// R18 disciplinary handling on the real server and PostgreSQL: every step, materials, the spot check's return,
// probation as a timer, the configured expulsion level, and removal cases resolved by paying the dues.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { activeMember, actorToken, call, eventually, importOrgs, seedTree, startSystem, type System, type Tree } from './harness';

let sys: System;
let tree: Tree;

beforeAll(async () => {
  // One "month" of probation lasts 300 ms here: 6 months end after 1.8 s. (The deadline of each waiting step
  // is proven on the workflow in test/fast/discipline.test.ts.)
  sys = await startSystem({ discipline: { probationMonthMs: 300 }, expulsionApproval: 'city' });
  tree = await seedTree(sys.app);
});
afterAll(async () => {
  await sys?.stop();
});

const decide = (id: string, token: string, body: object) => call(sys.app, 'POST', `/api/processes/${id}/decisions`, token, body);
const processOf = (id: string) => sys.db.selectFrom('processes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const memberOf = (id: string) => sys.db.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

async function upload(id: string, token: string, content: Buffer, type = 'application/pdf') {
  const r = await sys.app.inject({
    method: 'POST',
    url: `/api/discipline/${id}/materials`,
    headers: { authorization: `Bearer ${token}`, 'content-type': type, 'x-filename': 'minutes.pdf' },
    payload: content,
  });
  return { status: r.statusCode, body: r.json() };
}

/** Opens a case in branch1 (or `at` another branch, with its secretary) and takes it to the meeting's decision with `sanction`. */
async function toApproval(sanction: string, extra: Record<string, unknown> = {}, at = { branchId: tree.ids.branch1, sec: tree.tokens.sec1 }) {
  const sec1 = at.sec;
  const memberId = await activeMember(sys.app, at.branchId, sec1);
  const opened = await call(sys.app, 'POST', '/api/discipline', sec1, {
    memberId,
    grounds: 'misconduct',
    details: 'repeated absence from league life',
  });
  expect(opened.status).toBe(201);
  const id = opened.body.processId as string;
  expect((await decide(id, sec1, { action: 'approve' })).status).toBe(200);
  expect((await call(sys.app, 'POST', `/api/discipline/${id}/talk`, sec1, { heldOn: '2026-11-01', summary: 'talked with the member' })).status).toBe(200);
  const material = await upload(id, sec1, Buffer.from(`minutes of the branch meeting ${id}`));
  expect(material.status).toBe(201);
  const decided = await call(sys.app, 'POST', `/api/discipline/${id}/decision`, sec1, {
    heldOn: '2026-11-05',
    sanction,
    materialIds: [material.body.id],
    summary: 'decided by the branch meeting',
    ...extra,
  });
  expect(decided.status).toBe(200);
  return { id, memberId };
}

describe('R18 disciplinary handling', () => {
  it('R18: verification, the talk, the meeting with its materials, approval above and the spot check; then the sanction applies', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const opened = await call(sys.app, 'POST', '/api/discipline', tree.tokens.sec1, { memberId, grounds: 'misconduct', details: 'broke the rules' });
    expect(opened.status).toBe(201);
    const id = opened.body.processId as string;
    expect(await processOf(id)).toMatchObject({ kind: 'discipline', step: 'verification', org_id: tree.ids.branch1 });
    // A second case while one is open: refused. Another branch and a committee above cannot verify.
    expect((await call(sys.app, 'POST', '/api/discipline', tree.tokens.sec1, { memberId, grounds: 'misconduct', details: 'again' })).status).toBe(409);
    expect((await decide(id, tree.tokens.sec2, { action: 'approve' })).status).toBe(403);
    expect((await decide(id, tree.tokens.school1, { action: 'approve' })).status).toBe(403);
    expect((await decide(id, tree.tokens.sec1, { action: 'approve' })).status).toBe(200);

    // The meeting cannot decide before the talk is recorded.
    const early = await call(sys.app, 'POST', `/api/discipline/${id}/decision`, tree.tokens.sec1, {
      heldOn: '2026-11-05',
      sanction: 'warning',
      materialIds: ['00000000-0000-4000-8000-000000000000'],
      summary: 's',
    });
    expect(early.status).toBe(422);
    expect((await call(sys.app, 'POST', `/api/discipline/${id}/talk`, tree.tokens.sec2, { heldOn: '2026-11-01', summary: 'x' })).status).toBe(403);
    expect((await call(sys.app, 'POST', `/api/discipline/${id}/talk`, tree.tokens.sec1, { heldOn: '2026-11-01', summary: 'talked' })).status).toBe(200);

    const content = Buffer.from('%PDF-1.4 minutes of the branch meeting');
    const material = await upload(id, tree.tokens.sec1, content);
    expect(material.status).toBe(201);
    expect(material.body.sha256).toBe(createHash('sha256').update(content).digest('hex'));
    expect((await upload(id, tree.tokens.sec1, content)).body.id).toBe(material.body.id);
    const stored = await sys.app.inject({
      method: 'GET',
      url: `/api/discipline/${id}/materials/${material.body.id}`,
      headers: { authorization: `Bearer ${tree.tokens.city1}` },
    });
    expect(stored.rawPayload.equals(content)).toBe(true);

    const decided = await call(sys.app, 'POST', `/api/discipline/${id}/decision`, tree.tokens.sec1, {
      heldOn: '2026-11-05',
      sanction: 'serious-warning',
      materialIds: [material.body.id],
      summary: 'decided',
    });
    expect(decided.status).toBe(200);
    // Approval by the committee directly above (school1), not the branch, not the city.
    expect(await processOf(id)).toMatchObject({ step: 'approval', org_id: tree.ids.school1 });
    expect((await decide(id, tree.tokens.sec1, { action: 'approve' })).status).toBe(403);
    expect((await decide(id, tree.tokens.city1, { action: 'approve' })).status).toBe(403);
    expect((await decide(id, tree.tokens.school1, { action: 'approve' })).status).toBe(200);
    expect(await processOf(id)).toMatchObject({ step: 'spot-check', org_id: tree.ids.province });
    expect((await decide(id, tree.tokens.province, { action: 'approve' })).status).toBe(200);

    expect(await processOf(id)).toMatchObject({ status: 'approved', step: 'closed' });
    expect(await memberOf(memberId)).toMatchObject({ status: 'active', sanction: 'serious-warning' });
    const types = (await sys.db.selectFrom('events').select('type').where('process_id', '=', id).orderBy('id').execute()).map((e) => e.type);
    expect(types).toEqual([
      'discipline.opened',
      'discipline.verified',
      'discipline.talk-recorded',
      'discipline.decided',
      'discipline.approved',
      'discipline.spot-checked',
      'discipline.sanction-applied',
    ]);
  });

  it("R18: a case closed by the spot check stays readable by the branch and the committee that approved it, and in the branch's list", async () => {
    const { id } = await toApproval('warning');
    expect((await decide(id, tree.tokens.school1, { action: 'approve' })).status).toBe(200);
    expect((await decide(id, tree.tokens.province, { action: 'approve' })).status).toBe(200);
    expect(await processOf(id)).toMatchObject({ status: 'approved', step: 'closed', org_id: tree.ids.branch1 });
    for (const token of [tree.tokens.sec1, tree.tokens.school1, tree.tokens.city1, tree.tokens.province]) {
      const read = await call(sys.app, 'GET', `/api/processes/${id}`, token);
      expect(read.status).toBe(200);
      expect(read.body.timeline.map((e: { type: string }) => e.type)).toContain('discipline.spot-checked');
    }
    // Not to another branch, nor to a committee outside the tree above the branch.
    expect((await call(sys.app, 'GET', `/api/processes/${id}`, tree.tokens.sec2)).status).toBe(403);
    expect((await call(sys.app, 'GET', `/api/processes/${id}`, tree.tokens.county2)).status).toBe(403);
    const list = await call(sys.app, 'GET', '/api/processes?kind=discipline&limit=200', tree.tokens.sec1);
    expect(list.body.items.map((p: { id: string }) => p.id)).toContain(id);
  });

  it("R18: the province's spot check returns a case with incomplete materials to the missing step, which is redone", async () => {
    const { id, memberId } = await toApproval('warning');
    expect((await decide(id, tree.tokens.school1, { action: 'approve' })).status).toBe(200);
    const noStep = await decide(id, tree.tokens.province, { action: 'return', reason: 'the minutes are not signed' });
    expect(noStep.status).toBe(422);
    expect((await decide(id, tree.tokens.province, { action: 'return', reason: 'the minutes are not signed', toStep: 'meeting' })).status).toBe(200);
    expect(await processOf(id)).toMatchObject({ step: 'meeting', org_id: tree.ids.branch1, status: 'pending' });
    expect((await memberOf(memberId)).sanction).toBeNull();
    const signed = await upload(id, tree.tokens.sec1, Buffer.from('signed minutes'));
    expect(
      (
        await call(sys.app, 'POST', `/api/discipline/${id}/decision`, tree.tokens.sec1, {
          heldOn: '2026-11-09',
          sanction: 'warning',
          materialIds: [signed.body.id],
          summary: 'again, signed',
        })
      ).status,
    ).toBe(200);
    expect((await decide(id, tree.tokens.school1, { action: 'approve' })).status).toBe(200);
    expect((await decide(id, tree.tokens.province, { action: 'approve' })).status).toBe(200);
    expect(await memberOf(memberId)).toMatchObject({ sanction: 'warning' });
  });

  it("R18: probation is a timer; at its end the branch restores the member's rights, or proposes an expulsion that the configured approver approves or returns", async () => {
    const a = await toApproval('probation', { probationMonths: 6 });
    const b = await toApproval('probation', { probationMonths: 6 });
    for (const c of [a, b]) {
      expect((await decide(c.id, tree.tokens.school1, { action: 'approve' })).status).toBe(200);
      expect((await decide(c.id, tree.tokens.province, { action: 'approve' })).status).toBe(200);
      expect(await memberOf(c.memberId)).toMatchObject({ status: 'probation', sanction: 'probation' });
    }
    expect((await processOf(a.id)).step).toBe('probation');
    await eventually(
      async () => (await processOf(a.id)).step === 'probation-review' && (await processOf(b.id)).step === 'probation-review',
      20_000,
      'the end of probation',
    );
    expect((await decide(a.id, tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
    expect(await memberOf(a.memberId)).toMatchObject({ status: 'active', sanction: null });
    expect((await decide(b.id, tree.tokens.sec1, { action: 'expel', reason: 'no improvement' })).status).toBe(200);
    // The branch alone does not expel: the case waits for the configured approver (here the city), the member still on probation.
    expect(await processOf(b.id)).toMatchObject({ step: 'approval', org_id: tree.ids.city1, status: 'pending' });
    expect(await memberOf(b.memberId)).toMatchObject({ status: 'probation', sanction: 'probation' });
    expect((await decide(b.id, tree.tokens.sec1, { action: 'approve' })).status).toBe(403);
    expect((await decide(b.id, tree.tokens.school1, { action: 'approve' })).status).toBe(403);
    expect((await decide(b.id, tree.tokens.city1, { action: 'return', reason: 'the talk after probation is missing' })).status).toBe(200);
    expect(await processOf(b.id)).toMatchObject({ step: 'probation-review', org_id: tree.ids.branch1, status: 'pending' });
    expect((await decide(b.id, tree.tokens.sec1, { action: 'expel', reason: 'no improvement after the talk' })).status).toBe(200);
    expect((await decide(b.id, tree.tokens.city1, { action: 'approve' })).status).toBe(200);
    expect(await processOf(b.id)).toMatchObject({ status: 'approved', step: 'closed' });
    expect(await memberOf(b.memberId)).toMatchObject({ status: 'expelled', sanction: 'expulsion' });
    const types = (await sys.db.selectFrom('events').select('type').where('process_id', '=', b.id).orderBy('id').execute()).map((e) => e.type);
    const after = ['discipline.expulsion-proposed', 'discipline.returned', 'discipline.expelled'];
    expect(types.filter((t) => after.includes(t))).toEqual([
      'discipline.expulsion-proposed',
      'discipline.returned',
      'discipline.expulsion-proposed',
      'discipline.expelled',
    ]);
  });

  it("R23: the expulsion after probation is recorded in the register as the case's punishment, decided by the approver; revoking it undoes it", async () => {
    const c = await toApproval('probation', { probationMonths: 6 });
    expect((await decide(c.id, tree.tokens.school1, { action: 'approve' })).status).toBe(200);
    expect((await decide(c.id, tree.tokens.province, { action: 'approve' })).status).toBe(200);
    const entries = () => sys.db.selectFrom('awards').selectAll().where('source_process_id', '=', c.id).execute();
    expect(await entries()).toMatchObject([{ kind: 'probation', type: 'punishment' }]);
    await eventually(async () => (await processOf(c.id)).step === 'probation-review', 20_000, 'the end of probation');
    expect((await decide(c.id, tree.tokens.sec1, { action: 'expel', reason: 'no improvement' })).status).toBe(200);
    expect((await decide(c.id, tree.tokens.city1, { action: 'approve' })).status).toBe(200);
    const [entry] = await entries();
    expect(entry).toMatchObject({ kind: 'expulsion', type: 'punishment', org_id: tree.ids.city1, level: 'city', revoked_at: null });
    const listed = await call(sys.app, 'GET', `/api/members/${c.memberId}/awards`, tree.tokens.city1);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain('expulsion');
    const recorded = await sys.db.selectFrom('events').select('payload').where('member_id', '=', c.memberId).where('type', '=', 'award.recorded').execute();
    expect(recorded.map((r) => (r.payload as { kind: string }).kind).sort()).toEqual(['expulsion', 'probation']);
    // R23/R25: revoking the recorded expulsion undoes it.
    const revoked = await call(sys.app, 'POST', `/api/awards/${entry!.id}/revocation`, tree.tokens.city1, { reason: 'the decision was annulled on appeal' });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(await memberOf(c.memberId)).toMatchObject({ status: 'active', sanction: null });
  });

  it('R18: a sanction is approved by the nearest committee above the branch: a general branch (团总支) in between is passed over', async () => {
    const gb = `${tree.ids.school1}-gb${Date.now() % 100000}`;
    const branch = `${gb}-b`;
    await importOrgs(sys.app, [
      { id: gb, parentId: tree.ids.school1, name: '高二年级团总支', kind: 'general_branch' },
      { id: branch, parentId: gb, name: '高二(1)班团支部', kind: 'branch', contactPhone: '0755-12345670' },
    ]);
    const gbAdmin = await actorToken(sys.app, 'committee_admin', gb, 'general branch admin');
    const sec = await actorToken(sys.app, 'branch_secretary', branch, 'general branch secretary');
    const { id, memberId } = await toApproval('removal-from-roll', {}, { branchId: branch, sec });
    expect(await processOf(id)).toMatchObject({ step: 'approval', org_id: tree.ids.school1 });
    expect([403, 409]).toContain((await decide(id, gbAdmin, { action: 'approve' })).status);
    expect(await processOf(id)).toMatchObject({ step: 'approval', status: 'pending' });
    expect((await decide(id, tree.tokens.school1, { action: 'approve' })).status).toBe(200);
    expect((await decide(id, tree.tokens.province, { action: 'approve' })).status).toBe(200);
    expect(await memberOf(memberId)).toMatchObject({ status: 'removed', sanction: 'removal-from-roll' });
  });

  it('R18: an expulsion is approved at the configured level (here the city), not by the committee directly above', async () => {
    const { id, memberId } = await toApproval('expulsion');
    expect(await processOf(id)).toMatchObject({ step: 'approval', org_id: tree.ids.city1 });
    expect((await decide(id, tree.tokens.school1, { action: 'approve' })).status).toBe(403);
    expect((await decide(id, tree.tokens.city1, { action: 'approve' })).status).toBe(200);
    expect((await decide(id, tree.tokens.province, { action: 'approve' })).status).toBe(200);
    expect(await memberOf(memberId)).toMatchObject({ status: 'expelled' });
  });

  it('R18: dues paid in full before the decision let the branch close a removal case as resolved', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    await sys.db
      .updateTable('members')
      .set({ locked_at: new Date(Date.now() - 200 * 86_400_000) })
      .where('id', '=', memberId)
      .execute();
    const opened = await call(sys.app, 'POST', '/api/discipline', tree.tokens.sec1, { memberId, grounds: 'unpaid-dues', details: '6 months unpaid' });
    const id = opened.body.processId as string;
    const unpaid = await decide(id, tree.tokens.sec1, { action: 'resolve' });
    expect(unpaid.status).toBe(422);
    expect(unpaid.body.rule).toBe('R18');
    const now = new Date();
    for (let i = 1; i <= 6; i++) {
      const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1)).toISOString().slice(0, 10);
      await sys.db.insertInto('dues_payments').values({ member_id: memberId, month, amount_cents: 20, recorded_by: 'test' }).execute();
    }
    const resolved = await decide(id, tree.tokens.sec1, { action: 'resolve' });
    expect(resolved.status).toBe(200);
    expect(resolved.body.status).toBe('resolved');
    expect(await memberOf(memberId)).toMatchObject({ status: 'active', sanction: null });
  });

  it('R18: a material above the size limit is refused with 413 and nothing is stored', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const id = (await call(sys.app, 'POST', '/api/discipline', tree.tokens.sec1, { memberId, grounds: 'misconduct', details: 'x' })).body.processId as string;
    const big = await upload(id, tree.tokens.sec1, Buffer.alloc(5 * 1024 * 1024 + 1, 1));
    expect(big.status).toBe(413);
    expect(await sys.db.selectFrom('discipline_materials').select('id').where('process_id', '=', id).execute()).toHaveLength(0);
    expect((await upload(id, tree.tokens.sec2, Buffer.from('not my branch'))).status).toBe(403);
  });

  it("R3: a committee above extends a discipline case's deadline", async () => {
    const extensionsOf = (id: string) =>
      sys.db.selectFrom('events').select(['org_id', 'payload']).where('process_id', '=', id).where('type', '=', 'deadline.extended').orderBy('id').execute();
    const extend = (id: string, token: string, until: string, reason = 'the member is abroad') => decide(id, token, { action: 'extend', until, reason });
    const later = (d: Date | null, days: number) => new Date(d!.getTime() + days * 86_400_000).toISOString();

    // At the verification (acting: the branch), the committees above the branch may extend; the branch may not.
    const memberId = await activeMember(sys.app, tree.ids.branch2, tree.tokens.sec2);
    const opened = await call(sys.app, 'POST', '/api/discipline', tree.tokens.sec2, { memberId, grounds: 'misconduct', details: 'broke the rules' });
    expect(opened.status).toBe(201);
    const id = opened.body.processId as string;
    const before = (await processOf(id)).deadline;
    const until = later(before, 5);
    expect((await call(sys.app, 'GET', `/api/processes/${id}`, tree.tokens.school1)).body.actions).toContain('extend');
    expect((await call(sys.app, 'GET', `/api/processes/${id}`, tree.tokens.sec2)).body.actions).not.toContain('extend');
    for (const token of [tree.tokens.sec2, tree.tokens.sec1, tree.tokens.county2]) expect((await extend(id, token, until)).status).toBe(403);
    const earlier = await extend(id, tree.tokens.school1, later(before, -1));
    expect(earlier.status).toBe(422);
    expect(earlier.body.rule).toBe('R3');
    expect(await extensionsOf(id)).toEqual([]);
    expect((await processOf(id)).deadline).toEqual(before);

    const ok = await extend(id, tree.tokens.school1, until);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ status: 'pending', deadline: until });
    expect((await processOf(id)).deadline?.toISOString()).toBe(until);
    expect(await extensionsOf(id)).toMatchObject([{ org_id: tree.ids.branch2, payload: { reason: 'the member is abroad', until } }]);

    // At the approval (acting: the school's committee), the committee itself may not extend, the city above it may.
    const approval = await toApproval('warning');
    const approvalUntil = later((await processOf(approval.id)).deadline, 3);
    expect((await extend(approval.id, tree.tokens.school1, approvalUntil)).status).toBe(403);
    expect((await extend(approval.id, tree.tokens.city1, approvalUntil, 'the committee meets next week')).status).toBe(200);
    expect(await extensionsOf(approval.id)).toMatchObject([{ org_id: tree.ids.school1, payload: { until: approvalUntil } }]);
  });
});
