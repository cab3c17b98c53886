// R3 with short durations on the real server: reminders, overdue, escalation, supervisors' view, extension.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorToken, call, eventually, importOrgs, profile, seedTree, startSystem, type System, type Tree } from './harness';

let sys: System;
let tree: Tree;

// Deadline 4 s; reminders 3 s and 1.5 s before it; escalations every 1 s once overdue.
const TIMING = { deadlineMs: 4000, reminderOffsetsMs: [3000, 1500], escalationIntervalMs: 1000 };

beforeAll(async () => {
  sys = await startSystem({ checkIn: TIMING });
  tree = await seedTree(sys.app);
});
afterAll(async () => {
  await sys?.stop();
});

async function eventsOf(processId: string) {
  return sys.db.selectFrom('events').select(['type', 'idempotency_key', 'payload']).where('process_id', '=', processId).orderBy('id').execute();
}

async function notificationsOf(processId: string) {
  return sys.db.selectFrom('notifications').select(['kind', 'recipient_org_id']).where('process_id', '=', processId).orderBy('id').execute();
}

describe('R3 deadline', () => {
  it('R3: reminders go to the branch, then the overdue check-in escalates to the parent, again at each interval', async () => {
    const created = await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec1, { branchId: tree.ids.branch1, profile: profile() });
    expect(created.status).toBe(201);
    const id = created.body.processId as string;

    const overdue = await eventually(
      async () => {
        const types = (await eventsOf(id)).map((e) => e.type);
        return types.filter((t) => t === 'deadline.escalated').length >= 2 ? types : undefined;
      },
      20_000,
      'two escalations',
    );
    expect(overdue.slice(0, 4)).toEqual(['check-in.submitted', 'deadline.reminder', 'deadline.reminder', 'deadline.overdue']);

    const notes = await notificationsOf(id);
    expect(notes.filter((n) => n.kind === 'reminder').map((n) => n.recipient_org_id)).toEqual([tree.ids.branch1, tree.ids.branch1]);
    // Escalations reach the branch's parent committee (督办).
    const toParent = notes.filter((n) => n.kind === 'escalation' && n.recipient_org_id === tree.ids.school1);
    expect(toParent.length).toBeGreaterThanOrEqual(3);
    const inbox = await call(sys.app, 'GET', '/api/notifications', tree.tokens.school1);
    const mine = inbox.body.items.filter((n: { processId: string; kind: string }) => n.processId === id && n.kind === 'escalation');
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((n: { firstRead: boolean }) => n.firstRead)).toBe(true);
    const reread = await call(sys.app, 'GET', '/api/notifications', tree.tokens.school1);
    expect(reread.body.items.filter((n: { processId: string }) => n.processId === id).every((n: { firstRead: boolean }) => !n.firstRead)).toBe(true);

    const row = await sys.db.selectFrom('processes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.overdue).toBe(true);
    const state = await sys.env.client.workflow.getHandle(`check-in-${created.body.memberId}`).query('state');
    expect(state).toMatchObject({ status: 'pending', overdue: true, remindersSent: 2 });

    // Deciding stops the escalations, and the process is no longer overdue.
    const approved = await call(sys.app, 'POST', `/api/processes/${id}/decisions`, tree.tokens.sec1, { action: 'approve' });
    expect(approved.status).toBe(200);
    const after = (await eventsOf(id)).length;
    await new Promise((r) => setTimeout(r, 2500));
    expect((await eventsOf(id)).length).toBe(after);
    const closed = await sys.db.selectFrom('processes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(closed).toMatchObject({ overdue: false, status: 'approved' });
  });

  it('R3: an overdue check-in in a branch under a general branch escalates to the nearest committee above, not to the general branch', async () => {
    // school1 (committee) ── general (团总支) ── branch: the branch's parent is not a committee.
    const general = `${tree.ids.school1}-gb`;
    const branch = `${tree.ids.school1}-gb-b1`;
    await importOrgs(sys.app, [
      { id: general, parentId: tree.ids.school1, name: '高一年级团总支', kind: 'general_branch' },
      { id: branch, parentId: general, name: '高一(3)班团支部', kind: 'branch', contactPhone: '0755-12345670' },
    ]);
    const sec = await actorToken(sys.app, 'branch_secretary', branch, 'general-branch branch secretary');
    const generalAdmin = await actorToken(sys.app, 'committee_admin', general, 'general branch admin');
    const created = await call(sys.app, 'POST', '/api/check-ins', sec, { branchId: branch, profile: profile() });
    expect(created.status).toBe(201);
    const id = created.body.processId as string;

    const events = await eventually(
      async () => {
        const rows = await eventsOf(id);
        return rows.some((e) => e.type === 'deadline.escalated') ? rows : undefined;
      },
      20_000,
      'an escalation',
    );
    const escalations = events.filter((e) => e.type === 'deadline.overdue' || e.type === 'deadline.escalated');
    expect(escalations.length).toBeGreaterThanOrEqual(2);
    expect(escalations.map((e) => (e.payload as { escalatedTo?: unknown }).escalatedTo)).toEqual(escalations.map(() => tree.ids.school1));

    const notes = (await notificationsOf(id)).filter((n) => n.kind === 'escalation');
    expect(notes.filter((n) => n.recipient_org_id === tree.ids.school1).length).toBeGreaterThanOrEqual(2);
    expect(notes.map((n) => n.recipient_org_id)).not.toContain(general);
    const inbox = await call(sys.app, 'GET', '/api/notifications', tree.tokens.school1);
    expect(inbox.body.items.some((n: { processId: string; kind: string }) => n.processId === id && n.kind === 'escalation')).toBe(true);

    // The supervisors' views are subtree prefixes: the general branch and the committees above see it overdue.
    for (const token of [generalAdmin, tree.tokens.school1, tree.tokens.city1]) {
      const listed = await call(sys.app, 'GET', '/api/processes?overdue=true', token);
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((i: { id: string }) => i.id)).toContain(id);
    }

    const approved = await call(sys.app, 'POST', `/api/processes/${id}/decisions`, sec, { action: 'approve' });
    expect(approved.status).toBe(200);
  });

  it('R3: an overdue check-in is visible to the city admin above and not to an unrelated county', async () => {
    const created = await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec1, { branchId: tree.ids.branch1, profile: profile() });
    const id = created.body.processId as string;
    await eventually(async () => (await sys.db.selectFrom('processes').select('overdue').where('id', '=', id).executeTakeFirst())?.overdue, 20_000, 'overdue');

    const city = await call(sys.app, 'GET', '/api/processes?overdue=true', tree.tokens.city1);
    expect(city.status).toBe(200);
    expect(city.body.items.map((i: { id: string }) => i.id)).toContain(id);
    const province = await call(sys.app, 'GET', `/api/processes?overdue=true&orgId=${tree.ids.county1}`, tree.tokens.province);
    expect(province.body.items.map((i: { id: string }) => i.id)).toContain(id);

    const county = await call(sys.app, 'GET', '/api/processes?overdue=true', tree.tokens.county2);
    expect(county.status).toBe(200);
    expect(county.body.items.map((i: { id: string }) => i.id)).not.toContain(id);
    const peek = await call(sys.app, 'GET', `/api/processes?orgId=${tree.ids.county1}`, tree.tokens.county2);
    expect(peek.status).toBe(403);
    const direct = await call(sys.app, 'GET', `/api/processes/${id}`, tree.tokens.county2);
    expect(direct.status).toBe(403);
    // The same question asked of Temporal visibility, through the PII-free search attributes.
    const query = `TuanwuOrgPath = '${tree.ids.city1}' AND TuanwuOverdue = true AND TuanwuStatus = 'pending'`;
    const listed = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const wf of sys.env.client.workflow.list({ query })) ids.push(wf.workflowId);
        return ids.includes(`check-in-${created.body.memberId}`) ? ids : undefined;
      },
      20_000,
      'visibility',
    );
    expect(listed.length).toBeGreaterThan(0);
    let unrelated = 0;
    for await (const _ of sys.env.client.workflow.list({ query: `TuanwuOrgPath = '${tree.ids.county2}' AND TuanwuOverdue = true` })) unrelated += 1;
    expect(unrelated).toBe(0);
    const cityDetail = await call(sys.app, 'GET', `/api/processes/${id}`, tree.tokens.city1);
    expect(cityDetail.status).toBe(200);
    expect(cityDetail.body.overdue).toBe(true);
  });

  it('R3: an admin of a committee above extends the deadline with a reason; the branch itself cannot', async () => {
    const created = await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec2, { branchId: tree.ids.branch2, profile: profile() });
    const id = created.body.processId as string;
    await eventually(async () => (await sys.db.selectFrom('processes').select('overdue').where('id', '=', id).executeTakeFirst())?.overdue, 20_000, 'overdue');

    const url = `/api/processes/${id}/decisions`;
    const until = new Date(Date.now() + 60 * 60_000).toISOString();
    const bySecretary = await call(sys.app, 'POST', url, tree.tokens.sec2, { action: 'extend', until, reason: 'exams' });
    expect(bySecretary.status).toBe(403);
    const unrelated = await call(sys.app, 'POST', url, tree.tokens.county2, { action: 'extend', until, reason: 'exams' });
    expect(unrelated.status).toBe(403);
    const noReason = await call(sys.app, 'POST', url, tree.tokens.city1, { action: 'extend', until });
    expect(noReason.status).toBe(400);
    const past = await call(sys.app, 'POST', url, tree.tokens.city1, { action: 'extend', until: new Date(Date.now() - 1000).toISOString(), reason: 'x' });
    expect(past.status).toBe(422);
    expect(past.body.rule).toBe('R3');

    const ok = await call(sys.app, 'POST', url, tree.tokens.city1, { action: 'extend', until, reason: 'exam week at the school' });
    expect(ok.status).toBe(200);
    expect(new Date(ok.body.deadline).getTime()).toBe(new Date(until).getTime());
    const row = await sys.db.selectFrom('processes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.overdue).toBe(false);
    expect(row.deadline?.getTime()).toBe(new Date(until).getTime());
    const events = await eventsOf(id);
    const ext = events.find((e) => e.type === 'deadline.extended');
    expect(ext?.payload).toMatchObject({ reason: 'exam week at the school', until });
    // No more escalations once the new deadline is far away.
    const n = (await eventsOf(id)).length;
    await new Promise((r) => setTimeout(r, 2000));
    expect((await eventsOf(id)).length).toBe(n);
    const stillListed = await call(sys.app, 'GET', '/api/processes?overdue=true', tree.tokens.city1);
    expect(stillListed.body.items.map((i: { id: string }) => i.id)).not.toContain(id);
  });

  it('R3: the supervisor list pages through the subtree with a cursor, newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec3, { branchId: tree.ids.branch3, profile: profile() });
      ids.push(r.body.processId);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await call(
        sys.app,
        'GET',
        `/api/processes?orgId=${tree.ids.branch3}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        tree.tokens.county2,
      );
      seen.push(...page.body.items.map((i) => i.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });
});
