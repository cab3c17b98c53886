// R10 across provinces, over real HTTP against a small peer-province server: both directions, the peer down
// for a while, messages sent twice, and bad signatures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { activeMember, call, caseAtApproval, deletedMember, eventually, profile, seedTree, startSystem, type System, type Tree } from './harness';
import { stepDeadline } from '../domain/calendar';
import { transitionMember } from '../db/member-state';
import type { MemberEffect } from '../domain/member-transitions';
import { startPeerProvince, type PeerProvince } from './peer-province';
import { PEER_PATHS } from '../domain/peer-protocol';

const KEY = randomBytes(32);
let sys: System;
let tree: Tree;
let hn: PeerProvince;
let ourUrl = '';

beforeAll(async () => {
  hn = await startPeerProvince({ code: 'hn', key: KEY, ourCode: 'gd', ourUrl: () => ourUrl });
  sys = await startSystem({ province: 'gd', peers: new Map([['hn', { url: hn.url, key: KEY }]]) });
  await sys.app.listen({ port: 0, host: '127.0.0.1' });
  ourUrl = `http://127.0.0.1:${(sys.app.server.address() as AddressInfo).port}`;
  tree = await seedTree(sys.app);
});
afterAll(async () => {
  await sys?.stop();
  await hn?.close();
});

const decide = (id: string, token: string, body: object) => call(sys.app, 'POST', `/api/processes/${id}/decisions`, token, body);
const processOf = (id: string) => sys.db.selectFrom('processes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const closed = (id: string) => eventually(async () => ((await processOf(id)).closed_at ? processOf(id) : undefined), 30_000, `process ${id} to close`);

function announcement(overrides: Record<string, unknown> = {}) {
  const p = profile();
  return {
    transferId: randomUUID(),
    fromProvince: 'hn',
    toBranchId: tree.ids.branch1,
    reason: 'moved for work',
    member: { name: p.name, idNumber: p.idNumber, joinDate: p.joinDate, developmentNumber: p.developmentNumber, phone: p.phone },
    ...overrides,
  };
}

describe('R10 across provinces', () => {
  it('R10: outbound: released here, announced to the other province, and completed by its arrival confirmation', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const started = await call(sys.app, 'POST', '/api/transfers', tree.tokens.sec1, { memberId, toProvince: { province: 'hn', branchId: 'hn-cs-b7' } });
    expect(started.status).toBe(201);
    const id = started.body.processId as string;
    const announce = await hn.waitFor((r) => r.path === PEER_PATHS.announce && r.body.transferId === id);
    expect(announce.body).toMatchObject({ fromProvince: 'gd', toBranchId: 'hn-cs-b7', member: { joinDate: '2016-05-04' } });
    expect(announce.province).toBe('gd');

    expect((await decide(id, tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
    await hn.waitFor((r) => r.path === PEER_PATHS.releaseConfirmed(id));
    expect(await processOf(id)).toMatchObject({ step: 'peer-arrival', org_id: tree.ids.branch1 });

    const confirmed = await hn.send(PEER_PATHS.arrivalConfirmed(id), { transferId: id, branchId: 'hn-cs-b7', arrivedAt: new Date().toISOString() });
    expect(confirmed.status).toBe(202);
    expect((await closed(id)).status).toBe('approved');
    const member = await sys.db.selectFrom('members').select(['status', 'branch_id']).where('id', '=', memberId).executeTakeFirstOrThrow();
    expect(member).toEqual({ status: 'transferred_out', branch_id: tree.ids.branch1 });
  });

  it("R10: inbound: the other province announces a member; the receiving branch's check-in review runs as a child workflow, and the outcome is sent back", async () => {
    const a = announcement();
    const accepted = await hn.send(PEER_PATHS.announce, a);
    expect(accepted.status).toBe(202);
    const processId = accepted.body.processId as string;
    const transferRow = await processOf(processId);
    expect(transferRow).toMatchObject({ kind: 'transfer', step: 'arrival-check-in', org_id: tree.ids.branch1 });
    const memberId = transferRow.member_id!;

    // The check-in review (R3) is a child of the transfer, decided by the receiving branch.
    const checkIn = await eventually(
      async () => sys.db.selectFrom('processes').selectAll().where('member_id', '=', memberId).where('kind', '=', 'check-in').executeTakeFirst(),
      15_000,
      'the check-in',
    );
    // R3/R10: 10 natural days, ending at 24:00 Shanghai of the tenth day after the day it started.
    expect(checkIn.deadline!.getTime()).toBe(stepDeadline(sys.config.timing.checkIn, checkIn.started_at.getTime()));
    expect(new Date(checkIn.deadline!.getTime() + 8 * 3_600_000).toISOString().slice(11)).toBe('00:00:00.000Z');
    const parent = await sys.env.client.workflow.getHandle(`check-in-${memberId}`).describe();
    expect(parent.parentExecution?.workflowId).toBe(`transfer-${memberId}`);
    // Decisions on the transfer itself are refused while the review runs.
    expect((await decide(processId, tree.tokens.sec1, { action: 'approve' })).status).toBe(422);
    expect((await decide(checkIn.id, tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
    await eventually(async () => (await processOf(processId)).step === 'peer-release', 15_000, 'waiting for the release');

    expect((await hn.send(PEER_PATHS.releaseConfirmed(a.transferId), { transferId: a.transferId, releasedAt: new Date().toISOString() })).status).toBe(202);
    expect((await closed(processId)).status).toBe('approved');
    const arrival = await hn.waitFor((r) => r.path === PEER_PATHS.arrivalConfirmed(a.transferId));
    expect(arrival.body).toMatchObject({ transferId: a.transferId, branchId: tree.ids.branch1 });
    const member = await sys.db.selectFrom('members').select(['status', 'branch_id']).where('id', '=', memberId).executeTakeFirstOrThrow();
    expect(member).toEqual({ status: 'active', branch_id: tree.ids.branch1 });
  });

  it('R10: inbound: a check-in returned by the receiving branch rejects the transfer, and the other province is told why', async () => {
    const a = announcement();
    const processId = (await hn.send(PEER_PATHS.announce, a)).body.processId as string;
    const memberId = (await processOf(processId)).member_id!;
    const checkIn = await eventually(
      async () => sys.db.selectFrom('processes').selectAll().where('member_id', '=', memberId).where('kind', '=', 'check-in').executeTakeFirst(),
      15_000,
      'the check-in',
    );
    expect((await decide(checkIn.id, tree.tokens.sec1, { action: 'return', reason: 'not known in our branch' })).status).toBe(200);
    expect((await closed(processId)).status).toBe('rejected');
    const rejected = await hn.waitFor((r) => r.path === PEER_PATHS.rejected(a.transferId));
    expect(rejected.body.reason).toMatch(/returned/);
  });

  it("R10/R19: a member announced by another province who is under 14 at the join date, or has no development number, is refused through the peer protocol's rejection naming the rule; nothing is persisted here", async () => {
    // The peer protocol's rejection of an announcement is its 422 naming the rule (final for the sender, never
    // retried); a "rejected" message may only follow an announcement answered 202.
    const young = announcement();
    young.member.joinDate = '2013-01-10'; // born in 2000 (profile()): 12 at the join date
    const noNumber = announcement();
    noNumber.member.joinDate = '2018-09-01';
    delete (noNumber.member as { developmentNumber?: string }).developmentNumber;
    for (const [a, field] of [
      [young, 'body.member.joinDate'],
      [noNumber, 'body.member.developmentNumber'],
    ] as const) {
      const key = `${a.transferId}:announce`;
      const refused = await hn.send(PEER_PATHS.announce, a, { idempotencyKey: key });
      expect(refused.status, JSON.stringify(refused.body)).toBe(422);
      expect(refused.body).toMatchObject({ rule: 'R19', fields: expect.arrayContaining([expect.objectContaining({ field, rule: 'R19' })]) });
      // The sender's retry with the same key gets the same answer.
      expect((await hn.send(PEER_PATHS.announce, a, { idempotencyKey: key })).status).toBe(422);
      expect(
        await sys.db.selectFrom('transfers').select('process_id').where('peer_province', '=', 'hn').where('peer_transfer_id', '=', a.transferId).execute(),
      ).toHaveLength(0);
      expect(await sys.db.selectFrom('transfer_keys').select('key').where('key', '=', `peer:hn:${a.transferId}`).execute()).toHaveLength(0);
      expect(await sys.db.selectFrom('members').select('id').where('id_number', '=', a.member.idNumber).execute()).toHaveLength(0);
      expect(
        await sys.db.selectFrom('peer_messages').select('idempotency_key').where('province', '=', 'hn').where('idempotency_key', '=', key).execute(),
      ).toHaveLength(0);
    }
    // Nothing to call off: no "rejected" message follows a refused announcement.
    await new Promise((r) => setTimeout(r, 300));
    expect(hn.received.filter((r) => r.path === PEER_PATHS.rejected(young.transferId) || r.path === PEER_PATHS.rejected(noNumber.transferId))).toHaveLength(0);
  });

  it('R10: inbound: the other province calling the transfer off withdraws the pending check-in review', async () => {
    const a = announcement();
    const processId = (await hn.send(PEER_PATHS.announce, a)).body.processId as string;
    const memberId = (await processOf(processId)).member_id!;
    const checkIn = await eventually(
      async () => sys.db.selectFrom('processes').selectAll().where('member_id', '=', memberId).where('kind', '=', 'check-in').executeTakeFirst(),
      15_000,
      'the check-in',
    );
    expect((await hn.send(PEER_PATHS.rejected(a.transferId), { transferId: a.transferId, reason: 'the member stays with us' })).status).toBe(202);
    expect((await closed(processId)).status).toBe('rejected');
    expect((await closed(checkIn.id)).status).toBe('withdrawn');
    // Nothing is sent back for a rejection that came from the other side.
    await new Promise((r) => setTimeout(r, 500));
    expect(hn.received.filter((r) => r.path === PEER_PATHS.rejected(a.transferId))).toHaveLength(0);
  });

  it('R10: the other province down for a while, then back: the messages are delivered and the transfer completes', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch2, tree.tokens.sec2);
    await hn.stop();
    const id = (await call(sys.app, 'POST', '/api/transfers', tree.tokens.sec2, { memberId, toProvince: { province: 'hn', branchId: 'hn-cs-b9' } })).body
      .processId as string;
    expect((await decide(id, tree.tokens.sec2, { action: 'approve' })).status).toBe(200);
    // While it is down, the calls fail and are retried (the workflow's activity is still pending).
    await eventually(
      async () => {
        const d = await sys.env.client.workflow.getHandle(`transfer-${memberId}`).describe();
        const raw = d.raw.pendingActivities ?? [];
        return raw.some((p) => (p.attempt ?? 0) >= 2);
      },
      20_000,
      'a retried call to the other province',
    );
    expect(hn.received.some((r) => r.body.transferId === id)).toBe(false);
    await hn.start();
    await hn.waitFor((r) => r.path === PEER_PATHS.announce && r.body.transferId === id, 60_000);
    await hn.waitFor((r) => r.path === PEER_PATHS.releaseConfirmed(id), 60_000);
    // The announcement came first, then the release: in order.
    const order = hn.received.filter((r) => r.body.transferId === id).map((r) => r.path);
    expect(order).toEqual([PEER_PATHS.announce, PEER_PATHS.releaseConfirmed(id)]);
    await hn.send(PEER_PATHS.arrivalConfirmed(id), { transferId: id, branchId: 'hn-cs-b9', arrivedAt: new Date().toISOString() });
    expect((await closed(id)).status).toBe('approved');
  });

  it('R10: the other province sending the same message twice, one after the other or at the same moment, has no second effect', async () => {
    const a = announcement({ toBranchId: tree.ids.branch2 });
    const first = await hn.send(PEER_PATHS.announce, a, { idempotencyKey: `${a.transferId}:announce` });
    const again = await hn.send(PEER_PATHS.announce, a, { idempotencyKey: `${a.transferId}:announce` });
    const newKey = await hn.send(PEER_PATHS.announce, a, { idempotencyKey: randomUUID() });
    expect([first.status, again.status, newKey.status]).toEqual([202, 202, 202]);
    expect(again.body.processId).toBe(first.body.processId);
    expect(newKey.body.processId).toBe(first.body.processId);
    const rows = await sys.db
      .selectFrom('transfers')
      .select('process_id')
      .where('peer_province', '=', 'hn')
      .where('peer_transfer_id', '=', a.transferId)
      .execute();
    expect(rows).toHaveLength(1);

    const memberId = (await processOf(first.body.processId)).member_id!;
    const checkIns = await eventually(
      async () => {
        const r = await sys.db.selectFrom('processes').selectAll().where('member_id', '=', memberId).where('kind', '=', 'check-in').execute();
        return r.length > 0 ? r : undefined;
      },
      15_000,
      'the check-in',
    );
    expect(checkIns).toHaveLength(1);
    const release = { transferId: a.transferId, releasedAt: new Date().toISOString() };
    // Issue 20: two sends of one message at the same moment act once: the key is claimed before the work, so one is
    // the first answer and the other its duplicate, and one message is kept.
    const [r1, r2] = await Promise.all([
      hn.send(PEER_PATHS.releaseConfirmed(a.transferId), release, { idempotencyKey: 'rel-1' }),
      hn.send(PEER_PATHS.releaseConfirmed(a.transferId), release, { idempotencyKey: 'rel-1' }),
    ]);
    expect([r1.status, r2.status]).toEqual([202, 202]);
    expect([r1.body.duplicate, r2.body.duplicate].sort()).toEqual([false, true]);
    const kept = await sys.db.selectFrom('peer_messages').select(['status_code']).where('province', '=', 'hn').where('idempotency_key', '=', 'rel-1').execute();
    expect(kept).toEqual([{ status_code: 202 }]);
    await decide(checkIns[0]!.id, tree.tokens.sec2, { action: 'approve' });
    expect((await closed(first.body.processId)).status).toBe('approved');
    const completed = await sys.db
      .selectFrom('events')
      .select('type')
      .where('process_id', '=', first.body.processId)
      .where('type', '=', 'transfer.completed')
      .execute();
    expect(completed).toHaveLength(1);
    // After the end, a late copy under a new key changes nothing either.
    const late = await hn.send(PEER_PATHS.releaseConfirmed(a.transferId), release, { idempotencyKey: 'rel-2' });
    expect(late.status).toBe(409);
    await hn.waitFor((r) => r.path === PEER_PATHS.arrivalConfirmed(a.transferId));
    expect(hn.received.filter((r) => r.path === PEER_PATHS.arrivalConfirmed(a.transferId))).toHaveLength(1);
  });

  it("R10: outbound: waiting for the other province's arrival confirmation has a deadline, and escalates to the sending branch's parent", async () => {
    const slow = await startSystem({
      province: 'gd',
      peers: new Map([['hn', { url: hn.url, key: KEY }]]),
      transfer: { peer: { deadlineMs: 1500, reminderOffsetsMs: [700], escalationIntervalMs: 800, onTimeout: 'remind' } },
    });
    try {
      const t = await seedTree(slow.app);
      const memberId = await activeMember(slow.app, t.ids.branch1, t.tokens.sec1);
      const id = (await call(slow.app, 'POST', '/api/transfers', t.tokens.sec1, { memberId, toProvince: { province: 'hn', branchId: 'hn-b2' } })).body
        .processId as string;
      expect((await call(slow.app, 'POST', `/api/processes/${id}/decisions`, t.tokens.sec1, { action: 'approve' })).status).toBe(200);
      await eventually(
        async () => {
          const rows = await slow.db
            .selectFrom('notifications')
            .select('kind')
            .where('process_id', '=', id)
            .where('recipient_org_id', '=', t.ids.school1)
            .execute();
          return rows.some((r) => r.kind === 'escalation');
        },
        20_000,
        'an escalation of the peer-arrival step',
      );
      const row = await slow.db.selectFrom('processes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ step: 'peer-arrival', overdue: true, status: 'pending' });
    } finally {
      await slow.stop();
    }
  });

  /** The announcement of a member recorded here, with the recorded R4 fields unless `member` overrides them. */
  async function announcementOf(memberId: string, member: Record<string, unknown> = {}) {
    const m = await sys.db.selectFrom('members').selectAll().where('id', '=', memberId).executeTakeFirstOrThrow();
    const a = announcement();
    return {
      ...a,
      member: {
        name: m.name,
        idNumber: m.id_number,
        joinDate: m.join_date,
        developmentNumber: m.development_number ?? undefined,
        phone: '13800138000',
        ...member,
      },
    };
  }

  /** Nothing started here for a refused announcement: no transfer, no key, no process, no kept answer. */
  async function nothingStarted(transferId: string, memberId: string, key: string) {
    expect(
      await sys.db.selectFrom('transfers').select('process_id').where('peer_province', '=', 'hn').where('peer_transfer_id', '=', transferId).execute(),
    ).toHaveLength(0);
    expect(await sys.db.selectFrom('transfer_keys').select('key').where('key', '=', `peer:hn:${transferId}`).execute()).toHaveLength(0);
    expect(
      await sys.db
        .selectFrom('processes')
        .select('id')
        .where('member_id', '=', memberId)
        .where('kind', 'in', ['transfer', 'check-in'])
        .where('closed_at', 'is', null)
        .execute(),
    ).toHaveLength(0);
    expect(
      await sys.db.selectFrom('peer_messages').select('idempotency_key').where('province', '=', 'hn').where('idempotency_key', '=', key).execute(),
    ).toHaveLength(0);
  }

  it('R10/R18: a member who may not rejoin here (expelled, removed from the roll, on probation) is refused at the announce with 422 naming the rule and body.member.idNumber, not a 202 and a later bare "rejected"', async () => {
    const cases: [string, MemberEffect, Record<string, unknown>][] = [
      ['expulsion', 'sanction.expel', {}],
      ['removal-from-roll', 'sanction.remove', {}],
      ['probation', 'sanction.probation', { probationMonths: 6 }],
    ];
    const announced: string[] = [];
    for (const [sanction, effect, extra] of cases) {
      const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
      const caseId = await caseAtApproval(sys, tree, memberId, sanction, extra);
      await sys.db.transaction().execute(async (tx) => {
        const r = await transitionMember(tx, { memberId, effect, sanction, processId: caseId, now: new Date() });
        expect(r.ok).toBe(true);
      });
      const a = await announcementOf(memberId);
      announced.push(a.transferId);
      const key = `${a.transferId}:announce`;
      const refused = await hn.send(PEER_PATHS.announce, a, { idempotencyKey: key });
      expect(refused.status, `${sanction}: ${JSON.stringify(refused.body)}`).toBe(422);
      expect(refused.body).toMatchObject({ rule: 'R18', fields: [expect.objectContaining({ field: 'body.member.idNumber', rule: 'R18' })] });
      await nothingStarted(a.transferId, memberId, key);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(hn.received.filter((r) => announced.some((id) => r.path === PEER_PATHS.rejected(id)))).toHaveLength(0);
  });

  it('R10/R4: a returning member announced with R4 fields that differ from the record is refused at the announce with 422 naming each body.member.* field; with the recorded values it is accepted', async () => {
    const branch = { id: tree.ids.branch2, secretary: tree.tokens.sec2 };
    const { memberId } = await deletedMember(sys, tree, branch);
    const differs = await announcementOf(memberId, { name: '李四', joinDate: '2016-06-01' });
    const key = `${differs.transferId}:announce`;
    const refused = await hn.send(PEER_PATHS.announce, differs, { idempotencyKey: key });
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.body.rule).toBe('R4');
    expect((refused.body.fields as { field: string }[]).map((f) => f.field).sort()).toEqual(['body.member.joinDate', 'body.member.name']);
    await nothingStarted(differs.transferId, memberId, key);
    const before = await sys.db.selectFrom('members').select(['name', 'join_date']).where('id', '=', memberId).executeTakeFirstOrThrow();
    expect(before.name).not.toBe('李四');

    // The same member announced with the recorded values is a returning member: accepted, the check-in reviews.
    const same = await announcementOf(memberId);
    const accepted = await hn.send(PEER_PATHS.announce, same);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    expect((await processOf(accepted.body.processId as string)).member_id).toBe(memberId);
  });

  it('R10: a request with a bad signature is refused with 401, and nothing changes', async () => {
    const a = announcement();
    const messagesBefore = (await sys.db.selectFrom('peer_messages').select('idempotency_key').execute()).length;
    const bad = await hn.send(PEER_PATHS.announce, a, { badSignature: true });
    expect(bad.status).toBe(401);
    const stale = await hn.send(PEER_PATHS.announce, a, { timestamp: Date.now() - 3_600_000 });
    expect(stale.status).toBe(401);
    expect(await sys.db.selectFrom('transfers').select('process_id').where('peer_transfer_id', '=', a.transferId).execute()).toHaveLength(0);
    expect(await sys.db.selectFrom('members').select('id').where('id_number', '=', a.member.idNumber).execute()).toHaveLength(0);
    expect((await sys.db.selectFrom('peer_messages').select('idempotency_key').execute()).length).toBe(messagesBefore);
    // An unknown province and a missing signature are refused the same way.
    const unsigned = await fetch(`${ourUrl}${PEER_PATHS.announce}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(a),
    });
    expect(unsigned.status).toBe(401);
  });
});
