// R23 rewards (表彰) and punishments (处分) on the real server and PostgreSQL: recorded by the branch or a committee
// above, listed, in the member's history and the statistics; refusals that persist nothing; who may record, read
// and revoke; a revocation is an event and the record stays; an R18 case's sanction recorded once by the case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeMember, call, eventually, memberActorToken, newMemberToken, seedTree, startSystem, testAward, type System, type Tree } from './harness';
import { disciplineAwardsProjection } from '../activities/awards';
import { officeDay } from '../domain/office-day';

let sys: System;
let tree: Tree;

beforeAll(async () => {
  // No spot check: the committee's approval applies the sanction.
  sys = await startSystem({ spotCheckRate: 0 });
  tree = await seedTree(sys.app);
});
afterAll(async () => {
  await sys?.stop();
});

const reward = testAward;
const punishment = (over: Record<string, unknown> = {}) => reward({ type: 'punishment', kind: '通报批评', level: 'city', decidingOrg: '深圳团市委', ...over });

const record = (memberId: string, token: string, body: object, headers: Record<string, string> = {}) =>
  call(sys.app, 'POST', `/api/members/${memberId}/awards`, token, body, headers);
const revoke = (awardId: string, token: string, body: object = { reason: '经复查，处分依据不足' }) =>
  call(sys.app, 'POST', `/api/awards/${awardId}/revocation`, token, body);
const awardsOf = (memberId: string) => sys.db.selectFrom('awards').selectAll().where('member_id', '=', memberId).execute();
const awardEvents = (memberId: string) =>
  sys.db
    .selectFrom('events')
    .select(['type', 'payload', 'process_id'])
    .where('member_id', '=', memberId)
    .where('type', 'like', 'award.%')
    .orderBy('id')
    .execute();
const history = async (memberId: string, token: string) => {
  const r = await call(sys.app, 'GET', `/api/members/${memberId}/history?limit=200`, token);
  expect(r.status).toBe(200);
  return r.body.items as { type: string; category: string; reason?: string; award?: Record<string, unknown> }[];
};
const fieldsOf = (body: { fields?: { field: string }[] }) => (body.fields ?? []).map((f) => f.field);

describe('R23 rewards and punishments', () => {
  it("R23: the branch records a reward and a committee above a punishment: listed, in the member's history and in the statistics", async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const r1 = await record(memberId, tree.tokens.sec1, reward(), { 'idempotency-key': `reward-${memberId}` });
    expect(r1.status).toBe(201);
    // The same request sent again (its Idempotency-Key): the first answer, nothing written twice.
    const again = await record(memberId, tree.tokens.sec1, reward(), { 'idempotency-key': `reward-${memberId}` });
    expect(again).toMatchObject({ status: 201, body: { id: r1.body.id } });
    const r2 = await record(memberId, tree.tokens.city1, punishment({ decidedOn: '2025-09-01' }));
    expect(r2.status).toBe(201);

    const list = await call(sys.app, 'GET', `/api/members/${memberId}/awards`, tree.tokens.sec1);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({
        id: r2.body.id,
        type: 'punishment',
        kind: '通报批评',
        level: 'city',
        decidedOn: '2025-09-01',
        decidingOrg: '深圳团市委',
        orgId: tree.ids.city1,
        sourceProcessId: null,
        revokedAt: null,
      }),
      expect.objectContaining({
        id: r1.body.id,
        // Each field as it was entered: type, kind, level, decidedOn, decidingOrg, documentNumber.
        ...reward(),
        orgId: tree.ids.branch1,
        revokedAt: null,
        revokeReason: null,
      }),
    ]);
    expect(await awardEvents(memberId)).toHaveLength(2);

    const items = (await history(memberId, tree.tokens.sec1)).filter((e) => e.type === 'award.recorded');
    expect(items).toEqual([
      expect.objectContaining({
        category: 'sanction',
        award: expect.objectContaining({ awardId: r2.body.id, type: 'punishment', kind: '通报批评', level: 'city' }),
      }),
      expect.objectContaining({
        category: 'reward',
        award: expect.objectContaining({ awardId: r1.body.id, type: 'reward', decidedOn: '2025-05-04', documentNumber: '校团发〔2025〕3号' }),
      }),
    ]);

    // Counted in the subtree of the organization that recorded each: the branch's reward, the city's punishment.
    const branch = await call(sys.app, 'GET', `/api/organizations/${tree.ids.branch1}/awards/statistics`, tree.tokens.sec1);
    expect(branch.body).toEqual({
      orgId: tree.ids.branch1,
      rewards: 1,
      punishments: 0,
      revoked: 0,
      byKind: [{ type: 'reward', kind: '优秀共青团员', count: 1 }],
    });
    const city = await call(sys.app, 'GET', `/api/organizations/${tree.ids.city1}/awards/statistics`, tree.tokens.city1);
    expect(city.body).toMatchObject({ orgId: tree.ids.city1, rewards: 1, punishments: 1, revoked: 0 });
    expect(city.body.byKind).toEqual(
      expect.arrayContaining([
        { type: 'reward', kind: '优秀共青团员', count: 1 },
        { type: 'punishment', kind: '通报批评', count: 1 },
      ]),
    );
    const stats = await call(sys.app, 'GET', `/api/stats/awards?orgId=${tree.ids.city1}`, tree.tokens.city1);
    expect(stats).toMatchObject({ status: 200, body: city.body });
    // Another city's subtree counts none of them.
    const other = await call(sys.app, 'GET', `/api/organizations/${tree.ids.city2}/awards/statistics`, tree.tokens.province);
    expect(other.body).toMatchObject({ rewards: 0, punishments: 0 });
  });

  it('R23: a bad level, date or control character is refused 400 naming the field, an R18 sanction by hand 422 body.kind; nothing is persisted', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const bad: [object, string][] = [
      [reward({ level: 'galactic' }), 'body.level'],
      [reward({ decidedOn: '2025-02-30' }), 'body.decidedOn'],
      [reward({ decidedOn: 'yesterday' }), 'body.decidedOn'],
      [reward({ kind: '优秀\u0007团员' }), 'body.kind'],
      [reward({ documentNumber: '校团发\n3号' }), 'body.documentNumber'],
      [reward({ decidingOrg: '团'.repeat(101) }), 'body.decidingOrg'],
      [reward({ type: 'praise' }), 'body.type'],
    ];
    for (const [body, field] of bad) {
      const r = await record(memberId, tree.tokens.sec1, body);
      expect(r.status, field).toBe(400);
      expect(fieldsOf(r.body), JSON.stringify(r.body)).toContain(field);
    }
    for (const kind of ['warning', 'serious-warning', 'Expulsion', '警告', '严重警告', '撤销团内职务', '留团察看', '开除团籍', '除名']) {
      const r = await record(memberId, tree.tokens.school1, punishment({ kind }));
      expect(r.status, kind).toBe(422);
      expect(r.body).toMatchObject({ rule: 'R23', fields: [{ field: 'body.kind', rule: 'R23' }] });
    }
    const future = await record(memberId, tree.tokens.sec1, reward({ decidedOn: '2099-01-01' }));
    expect(future.status).toBe(422);
    expect(future.body).toMatchObject({ rule: 'R23', fields: [{ field: 'body.decidedOn' }] });
    const unknown = await record('00000000-0000-4000-8000-000000000000', tree.tokens.province, reward());
    expect(unknown.status).toBe(404);
    expect(await awardsOf(memberId)).toEqual([]);
    expect(await awardEvents(memberId)).toEqual([]);
  });

  it('R23: the branch and the committees above record; another branch, a member, an unrelated committee cannot; the member reads their own', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const self = await memberActorToken(sys.app, memberId);
    const stranger = await newMemberToken(sys.app);
    for (const token of [tree.tokens.sec2, tree.tokens.sec3, tree.tokens.county2, self, stranger]) {
      expect((await record(memberId, token, reward())).status).toBe(403);
    }
    expect(await awardsOf(memberId)).toEqual([]);
    const allowed = [tree.tokens.sec1, tree.tokens.school1, tree.tokens.city1, tree.tokens.province];
    for (const token of allowed) expect((await record(memberId, token, reward())).status).toBe(201);
    expect(await awardsOf(memberId)).toHaveLength(4);

    for (const token of [self, ...allowed]) {
      const r = await call(sys.app, 'GET', `/api/members/${memberId}/awards`, token);
      expect(r.status).toBe(200);
      expect(r.body.items).toHaveLength(4);
    }
    for (const token of [stranger, tree.tokens.sec2, tree.tokens.county2]) {
      expect((await call(sys.app, 'GET', `/api/members/${memberId}/awards`, token)).status).toBe(403);
    }
    // Statistics: the organization and those above, not a member nor an unrelated committee.
    expect((await call(sys.app, 'GET', `/api/organizations/${tree.ids.school1}/awards/statistics`, tree.tokens.sec1)).status).toBe(403);
    expect((await call(sys.app, 'GET', `/api/organizations/${tree.ids.school1}/awards/statistics`, tree.tokens.county2)).status).toBe(403);
    expect((await call(sys.app, 'GET', `/api/organizations/${tree.ids.school1}/awards/statistics`, self)).status).toBe(403);
    expect((await call(sys.app, 'GET', `/api/organizations/${tree.ids.school1}/awards/statistics`, tree.tokens.school1)).status).toBe(200);
  });

  it('R23: a punishment is revoked with a reason by the organization that recorded it or one above; twice is 409; the record stays, with an event', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const praised = await record(memberId, tree.tokens.sec1, reward());
    const punished = await record(memberId, tree.tokens.school1, punishment({ level: 'school', decidingOrg: '某中学团委' }));
    const byBranch = await record(memberId, tree.tokens.sec1, punishment({ kind: '批评教育', level: 'branch' }));
    expect([praised.status, punished.status, byBranch.status]).toEqual([201, 201, 201]);

    // A reward is not revoked.
    const notPunishment = await revoke(praised.body.id, tree.tokens.school1);
    expect(notPunishment.status).toBe(422);
    expect(notPunishment.body.rule).toBe('R23');
    // Not by the branch below the committee that recorded it, another branch, an unrelated committee, the member.
    const self = await memberActorToken(sys.app, memberId);
    for (const token of [tree.tokens.sec1, tree.tokens.sec2, tree.tokens.county2, self]) expect((await revoke(punished.body.id, token)).status).toBe(403);
    // A reason is needed.
    const noReason = await revoke(punished.body.id, tree.tokens.city1, {});
    expect(noReason.status).toBe(400);
    expect(fieldsOf(noReason.body)).toContain('body.reason');
    expect(await awardEvents(memberId)).toHaveLength(3);
    expect((await awardsOf(memberId)).every((a) => a.revoked_at === null)).toBe(true);

    // A committee above the recording one revokes it; a second time is 409.
    const revoked = await revoke(punished.body.id, tree.tokens.city1);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: punished.body.id, revokeReason: '经复查，处分依据不足' });
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect((await revoke(punished.body.id, tree.tokens.province)).status).toBe(409);
    // The branch revokes its own entry.
    expect((await revoke(byBranch.body.id, tree.tokens.sec1)).status).toBe(200);

    const list = (await call(sys.app, 'GET', `/api/members/${memberId}/awards`, tree.tokens.sec1)).body.items as Record<string, unknown>[];
    expect(list).toHaveLength(3);
    expect(list.find((a) => a.id === punished.body.id)).toMatchObject({
      kind: '通报批评',
      revokeReason: '经复查，处分依据不足',
      revokedAt: expect.any(String),
    });
    const events = (await awardEvents(memberId)).filter((e) => e.type === 'award.revoked');
    expect(events).toHaveLength(2);
    const items = (await history(memberId, tree.tokens.sec1)).filter((e) => e.type === 'award.revoked');
    expect(items).toContainEqual(
      expect.objectContaining({
        category: 'sanction',
        reason: '经复查，处分依据不足',
        award: expect.objectContaining({ awardId: punished.body.id, kind: '通报批评' }),
      }),
    );
    const stats = await call(sys.app, 'GET', `/api/organizations/${tree.ids.school1}/awards/statistics`, tree.tokens.school1);
    expect(stats.body).toMatchObject({ punishments: 2, revoked: 2 });
  });
});

describe('R23 with R18: a disciplinary sanction is recorded by its case', () => {
  async function upload(id: string, content: Buffer) {
    const r = await sys.app.inject({
      method: 'POST',
      url: `/api/discipline/${id}/materials`,
      headers: { authorization: `Bearer ${tree.tokens.sec1}`, 'content-type': 'application/pdf', 'x-filename': 'minutes.pdf' },
      payload: content,
    });
    return { status: r.statusCode, body: r.json() };
  }

  /** Opens a misconduct case in branch1, takes it to the meeting's decision with `sanction`, and the committee approves. */
  async function sanctioned(sanction: string) {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const opened = await call(sys.app, 'POST', '/api/discipline', tree.tokens.sec1, { memberId, grounds: 'misconduct', details: 'broke the rules' });
    expect(opened.status).toBe(201);
    const id = opened.body.processId as string;
    const decide = (token: string, body: object) => call(sys.app, 'POST', `/api/processes/${id}/decisions`, token, body);
    expect((await decide(tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
    expect((await call(sys.app, 'POST', `/api/discipline/${id}/talk`, tree.tokens.sec1, { heldOn: '2026-11-01', summary: 'talked' })).status).toBe(200);
    const material = await upload(id, Buffer.from(`%PDF-1.4 minutes ${id}`));
    expect(material.status).toBe(201);
    const body = { heldOn: '2026-11-05', sanction, materialIds: [material.body.id], summary: 'decided by the branch meeting' };
    expect((await call(sys.app, 'POST', `/api/discipline/${id}/decision`, tree.tokens.sec1, body)).status).toBe(200);
    expect((await decide(tree.tokens.school1, { action: 'approve' })).status).toBe(200);
    return { id, memberId };
  }

  it('R23: a case ending with a sanction records exactly one punishment with its process, even when the event is applied twice; a manual entry of it is refused', async () => {
    const { id, memberId } = await sanctioned('serious-warning');
    const [entry] = await eventually(async () => {
      const rows = await awardsOf(memberId);
      return rows.length > 0 && rows;
    });
    expect(entry).toMatchObject({
      type: 'punishment',
      kind: 'serious-warning',
      level: 'school',
      deciding_org: '某中学团委',
      document_number: `R18-${id.slice(0, 8)}`,
      source_process_id: id,
      org_id: tree.ids.school1,
      decided_on: officeDay(),
      revoked_at: null,
    });
    const member = await sys.db.selectFrom('members').select(['status', 'sanction']).where('id', '=', memberId).executeTakeFirstOrThrow();
    expect(member).toEqual({ status: 'active', sanction: 'serious-warning' });

    // The same event applied again (a retried append): the unique case key writes nothing twice.
    const applied = { key: `${id}:9:discipline.sanction-applied`, processId: id, memberId, orgId: tree.ids.branch1, kind: 'discipline' as const };
    for (let i = 0; i < 2; i++) {
      await sys.db
        .transaction()
        .execute((tx) =>
          disciplineAwardsProjection(tx, { ...applied, type: 'discipline.sanction-applied', payload: { sanction: 'serious-warning' } }, new Date()),
        );
    }
    expect(await awardsOf(memberId)).toHaveLength(1);
    const events = await awardEvents(memberId);
    expect(events).toHaveLength(1);
    // On the member, not in the case's own timeline (the case's events are its steps).
    expect(events[0]).toMatchObject({ type: 'award.recorded', process_id: null, payload: { sourceProcessId: id, kind: 'serious-warning' } });
    const items = (await history(memberId, tree.tokens.sec1)).filter((e) => e.type === 'award.recorded');
    expect(items).toEqual([
      expect.objectContaining({ category: 'sanction', award: expect.objectContaining({ sourceProcessId: id, kind: 'serious-warning' }) }),
    ]);

    // Entered by hand as well: refused, nothing written.
    const manual = await record(memberId, tree.tokens.school1, punishment({ kind: 'serious-warning' }));
    expect(manual.status).toBe(422);
    expect(manual.body).toMatchObject({ rule: 'R23', fields: [{ field: 'body.kind' }] });
    expect(await awardsOf(memberId)).toHaveLength(1);

    // The approving committee revokes it: the sanction in force is lifted, the record stays.
    expect((await revoke(entry!.id, tree.tokens.sec1)).status).toBe(403);
    expect((await revoke(entry!.id, tree.tokens.school1)).status).toBe(200);
    expect(await sys.db.selectFrom('members').select('sanction').where('id', '=', memberId).executeTakeFirstOrThrow()).toEqual({ sanction: null });
    expect(await awardsOf(memberId)).toEqual([expect.objectContaining({ id: entry!.id, revoke_reason: '经复查，处分依据不足' })]);
  });

  it('R23: a case closed with no sanction records no punishment', async () => {
    const { id, memberId } = await sanctioned('none');
    await eventually(async () => {
      const p = await sys.db.selectFrom('processes').select('status').where('id', '=', id).executeTakeFirstOrThrow();
      return p.status === 'approved';
    });
    expect(await awardsOf(memberId)).toEqual([]);
    expect(await awardEvents(memberId)).toEqual([]);
  });
});
