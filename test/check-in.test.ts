// R1-R4 on the real Temporal server and PostgreSQL, through the HTTP API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, eventually, profile, seedTree, startSystem, type System, type Tree } from './harness';

let sys: System;
let tree: Tree;

beforeAll(async () => {
  sys = await startSystem();
  tree = await seedTree(sys.app);
});
afterAll(async () => {
  await sys?.stop();
});

async function submit(token: string, branchId: string, prof = profile(), extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return call(sys.app, 'POST', '/api/check-ins', token, { branchId, profile: prof, ...extra }, headers);
}

async function processRow(id: string) {
  return sys.db.selectFrom('processes').selectAll().where('id', '=', id).executeTakeFirst();
}

async function eventTypes(processId: string) {
  const rows = await sys.db.selectFrom('events').select('type').where('process_id', '=', processId).orderBy('id').execute();
  return rows.map((r) => r.type);
}

describe('check-in review', () => {
  it('R1/R4: a check-in approved by its branch makes the member active and locks the four fields', async () => {
    const prof = profile();
    const created = await submit(tree.tokens.sec1, tree.ids.branch1, prof);
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('pending');
    const { processId, memberId } = created.body;
    await eventually(async () => (await processRow(processId))?.status === 'pending', 20_000, 'process row');

    const decided = await call(sys.app, 'POST', `/api/processes/${processId}/decisions`, tree.tokens.sec1, { action: 'approve' });
    expect(decided.status).toBe(200);
    expect(decided.body.status).toBe('approved');

    const member = await call(sys.app, 'GET', `/api/members/${memberId}`, tree.tokens.sec1);
    expect(member.body).toMatchObject({ status: 'active', branchId: tree.ids.branch1, locked: true, idNumber: prof.idNumber });
    expect(member.body.lockedFields).toEqual(['name', 'idNumber', 'joinDate', 'developmentNumber']);

    const proc = await call(sys.app, 'GET', `/api/processes/${processId}`, tree.tokens.sec1);
    expect(proc.body.status).toBe('approved');
    expect(proc.body.closedAt).not.toBeNull();
    expect(proc.body.timeline.map((e: { type: string }) => e.type)).toEqual(['check-in.submitted', 'check-in.approved']);

    const wf = await sys.env.client.workflow.getHandle(`check-in-${memberId}`).result();
    expect(wf).toEqual({ processId, status: 'approved' });
  });
});
