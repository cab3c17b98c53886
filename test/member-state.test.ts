// R25 on the real server and PostgreSQL: where processes meet on one member, the record stays right. A member who
// leaves closes the rest; an effect that is no longer legal ends its process `void`, or is refused with 409 R25;
// revoking a punishment undoes it (R23); the table of processes open together refuses a start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideUpdate } from '../processes/messages';
import { activeMember, call, caseAtApproval, eventually, seedTree, startSystem, type System, type Tree } from './harness';

let sys: System;
let tree: Tree;

beforeAll(async () => {
  sys = await startSystem({ spotCheckRate: 0 });
  tree = await seedTree(sys.app);
});
afterAll(async () => {
  await sys?.stop();
});

const decide = (id: string, token: string, body: object) => call(sys.app, 'POST', `/api/processes/${id}/decisions`, token, body);
const processOf = (id: string) => sys.db.selectFrom('processes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const memberOf = (id: string) => sys.db.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const typesOf = async (id: string) =>
  (await sys.db.selectFrom('events').select('type').where('process_id', '=', id).orderBy('id').execute()).map((e) => e.type);

/** Waits until the process is closed, and returns its row. */
const closed = (id: string) => eventually(async () => ((await processOf(id)).closed_at ? processOf(id) : undefined), 30_000, `process ${id} closed`);

describe('R25 one member, one truth', () => {
  it('R25: a member deleted while a disciplinary case is open stays deleted; the case ends void, saying why, and a warning no longer applies', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const caseId = await caseAtApproval(sys, tree, memberId, 'warning');
    const applied = await call(sys.app, 'POST', '/api/deletions', tree.tokens.sec1, { memberId, category: 'left', reason: 'moved away for good' });
    expect(applied.status).toBe(201);
    for (const token of [tree.tokens.city1, tree.tokens.province])
      expect((await decide(applied.body.processId, token, { action: 'approve' })).status).toBe(200);

    expect(await closed(caseId)).toMatchObject({ status: 'void', step: 'closed' });
    expect(await typesOf(caseId)).toContain('process.member-left');
    // The committee's approval of the warning now: refused (the case is closed, home at the branch); the member stays deleted.
    expect([403, 409]).toContain((await decide(caseId, tree.tokens.school1, { action: 'approve' })).status);
    expect(await memberOf(memberId)).toMatchObject({ status: 'deleted', sanction: null, status_process_id: applied.body.processId });
  });

  it('R25: a transfer open when its member is deleted ends void and never moves the member; R12 counts no transfer', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const started = await call(sys.app, 'POST', '/api/transfers', tree.tokens.sec1, { memberId, toOrgId: tree.ids.branch2 });
    expect(started.status).toBe(201);
    const transferId = started.body.processId as string;
    const applied = await call(sys.app, 'POST', '/api/deletions', tree.tokens.sec1, { memberId, category: 'left', reason: 'moved away for good' });
    expect(applied.status).toBe(201);
    for (const token of [tree.tokens.city1, tree.tokens.province])
      expect((await decide(applied.body.processId, token, { action: 'approve' })).status).toBe(200);

    expect(await closed(transferId)).toMatchObject({ status: 'void' });
    expect((await decide(transferId, tree.tokens.sec1, { action: 'approve' })).status).toBe(409);
    expect(await memberOf(memberId)).toMatchObject({ status: 'deleted', branch_id: tree.ids.branch1 });
    const row = await sys.db.selectFrom('transfers').select(['status']).where('process_id', '=', transferId).executeTakeFirstOrThrow();
    expect(row.status).toBe('void');
    expect(await typesOf(transferId)).not.toContain('transfer.completed');
  });

  it('R25: an approval decided after the member left is refused with 409 naming R25; one that slips past ends void, not approved', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const applied = await call(sys.app, 'POST', '/api/deletions', tree.tokens.sec1, { memberId, category: 'left', reason: 'moved away for good' });
    expect(applied.status).toBe(201);
    const deletionId = applied.body.processId as string;
    expect((await decide(deletionId, tree.tokens.city1, { action: 'approve' })).status).toBe(200);
    // Expelled meanwhile by a case (its own closing signals the deletion; here the deletion is caught before the
    // signal lands: the expulsion is written as the transition table writes it, without the signal).
    const expelled = await caseAtApproval(sys, tree, memberId, 'expulsion');
    await sys.db.transaction().execute(async (tx) => {
      const { transitionMember } = await import('../db/member-state');
      const r = await transitionMember(tx, { memberId, effect: 'sanction.expel', sanction: 'expulsion', processId: expelled, now: new Date() });
      expect(r.ok).toBe(true);
    });
    const refused = await decide(deletionId, tree.tokens.province, { action: 'approve' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ rule: 'R25' });
    expect(String(refused.body.message)).toMatch(/expelled.*discipline/);

    // Sent past the API's check (a race): the append finds the member expelled and voids the deletion.
    const row = await processOf(deletionId);
    const result = await sys.env.client.workflow
      .getHandle(row.workflow_id)
      .executeUpdate(decideUpdate, { args: [{ action: 'approve', actorId: 'test', actorRole: 'province_admin', step: row.step }] });
    expect(result.status).toBe('void');
    expect(await closed(deletionId)).toMatchObject({ status: 'void' });
    const types = await typesOf(deletionId);
    expect(types).toContain('process.voided');
    expect(types).not.toContain('deletion.approved');
    expect(await memberOf(memberId)).toMatchObject({ status: 'expelled', deleted_at: null });
    const deletion = await sys.db.selectFrom('deletions').select('status').where('process_id', '=', deletionId).executeTakeFirstOrThrow();
    expect(deletion.status).toBe('void');
  });

  it('R23/R25: revoking the expulsion recorded in R23 makes the member active again, as an event; the sanction is lifted', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const caseId = await caseAtApproval(sys, tree, memberId, 'expulsion');
    expect((await decide(caseId, tree.tokens.school1, { action: 'approve' })).status).toBe(200);
    await closed(caseId);
    expect(await memberOf(memberId)).toMatchObject({ status: 'expelled', sanction: 'expulsion' });
    const award = await eventually(() =>
      sys.db.selectFrom('awards').select('id').where('member_id', '=', memberId).where('source_process_id', '=', caseId).executeTakeFirst(),
    );
    const revoked = await call(sys.app, 'POST', `/api/awards/${award.id}/revocation`, tree.tokens.school1, { reason: '复查后撤销处分' });
    expect(revoked.status).toBe(200);
    expect(await memberOf(memberId)).toMatchObject({ status: 'active', sanction: null });
    const restored = await sys.db
      .selectFrom('events')
      .select('payload')
      .where('member_id', '=', memberId)
      .where('type', '=', 'member.restored')
      .executeTakeFirst();
    expect(restored?.payload).toMatchObject({ from: 'expelled', to: 'active', rule: 'R23' });
  });

  it('R25: a transfer cannot open while a disciplinary case is open, nor a case while a transfer is: 409 naming R25', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const opened = await call(sys.app, 'POST', '/api/discipline', tree.tokens.sec1, { memberId, grounds: 'misconduct', details: 'absent' });
    expect(opened.status).toBe(201);
    const transfer = await call(sys.app, 'POST', '/api/transfers', tree.tokens.sec1, { memberId, toOrgId: tree.ids.branch2 });
    expect(transfer.status).toBe(409);
    expect(transfer.body).toMatchObject({ rule: 'R25' });
    expect(String(transfer.body.message)).toMatch(/discipline/);
    expect(await sys.db.selectFrom('transfers').select('process_id').where('member_id', '=', memberId).execute()).toEqual([]);

    const other = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    expect((await call(sys.app, 'POST', '/api/transfers', tree.tokens.sec1, { memberId: other, toOrgId: tree.ids.branch2 })).status).toBe(201);
    const refused = await call(sys.app, 'POST', '/api/discipline', tree.tokens.sec1, { memberId: other, grounds: 'misconduct', details: 'absent' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ rule: 'R25' });
  });

  it("R8/R18: the sanction 撤销团内职务, approved, ends the member's secretary post (an event); revoking it does not give the post back", async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const m = await memberOf(memberId);
    const entered = await call(sys.app, 'POST', `/api/organizations/${tree.ids.branch1}/cadres`, tree.tokens.school1, {
      name: m.name,
      idNumber: m.id_number,
      role: 'secretary',
      post: '书记',
      termStart: '2025-01-01',
    });
    expect(entered.status).toBe(201);
    const caseId = await caseAtApproval(sys, tree, memberId, 'removal-from-posts');
    expect((await decide(caseId, tree.tokens.school1, { action: 'approve' })).status).toBe(200);
    await closed(caseId);
    const post = await sys.db.selectFrom('cadres').select(['ended_at']).where('id', '=', entered.body.id).executeTakeFirstOrThrow();
    expect(post.ended_at).not.toBeNull();
    expect(await memberOf(memberId)).toMatchObject({ status: 'active', sanction: 'removal-from-posts' });
    const ended = await sys.db.selectFrom('events').select('type').where('type', '=', 'cadre.ended').where('member_id', '=', memberId).execute();
    expect(ended.length).toBe(1);
    const list = await call(sys.app, 'GET', `/api/organizations/${tree.ids.branch1}/cadres`, tree.tokens.school1);
    expect(list.body.items.find((c: { id: string }) => c.id === entered.body.id)).toMatchObject({ current: false });
    const award = await eventually(() => sys.db.selectFrom('awards').select('id').where('source_process_id', '=', caseId).executeTakeFirst());
    expect((await call(sys.app, 'POST', `/api/awards/${award.id}/revocation`, tree.tokens.school1, { reason: '复查后撤销处分' })).status).toBe(200);
    expect(await memberOf(memberId)).toMatchObject({ status: 'active', sanction: null });
    const still = await sys.db.selectFrom('cadres').select(['ended_at']).where('id', '=', entered.body.id).executeTakeFirstOrThrow();
    expect(still.ended_at).not.toBeNull();
  });
});
