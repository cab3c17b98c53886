// R8 cadres on the real server and PostgreSQL: which roles each kind of organization enters, one current
// secretary, ending a term, the link to a member record by ID number (the member stays a member), masking, who
// may enter and read them; and R21: a branch without a secretary entered as a cadre is flagged until one is.
import { describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { activeMember, actorToken, call, idNumber, importOrgs, newMemberToken, useSystemWithTree } from './harness';
import { currentPost, endPostsOfMember } from '../db/queries/cadres';
import * as m0013 from '../db/migrations/0013_current_posts';
import { officeDay } from '../domain/office-day';
import { deletionWorkflowId } from '../domain/deletions';

const ctx = useSystemWithTree();

const cadre = (overrides: Record<string, unknown> = {}) => ({
  name: '李四',
  idNumber: idNumber('19900315'),
  role: 'secretary',
  post: '书记',
  termStart: '2025-01-01',
  ...overrides,
});
const enter = (token: string, orgId: string, body: object) => call(ctx.sys.app, 'POST', `/api/organizations/${orgId}/cadres`, token, body);
const list = (token: string, orgId: string) => call(ctx.sys.app, 'GET', `/api/organizations/${orgId}/cadres`, token);
const end = (token: string, orgId: string, cadreId: string, body: object = {}) =>
  call(ctx.sys.app, 'POST', `/api/organizations/${orgId}/cadres/${cadreId}/end`, token, body);
const cadreRows = (orgId: string) => ctx.sys.db.selectFrom('cadres').selectAll().where('org_id', '=', orgId).execute();
const cadreEvents = (orgId: string) =>
  ctx.sys.db.selectFrom('events').select(['type', 'member_id', 'payload']).where('org_id', '=', orgId).where('type', 'like', 'cadre.%').orderBy('id').execute();

/** A new branch (with its secretary's token) below `parent`, so that each test has its own. */
async function newBranch(parent: string, kind: 'branch' | 'general_branch' = 'branch'): Promise<{ id: string; sec: string }> {
  const id = `${parent}-${randomBytes(3).toString('hex')}`;
  await importOrgs(ctx.sys.app, [{ id, parentId: parent, name: `支部 ${id}`, kind, contactPhone: '0755-12340000' }]);
  return { id, sec: await actorToken(ctx.sys.app, kind === 'branch' ? 'branch_secretary' : 'committee_admin', id) };
}

describe('R8 cadres', () => {
  it('R8: a committee enters committee members and staff, a general branch its committee members and secretary, a branch only its secretary; any other role is 422 R8 body.role and nothing is written', async () => {
    const general = await newBranch(ctx.tree.ids.school1, 'general_branch');
    const branch = await newBranch(general.id);
    const cases: [string, string, number][] = [
      [ctx.tree.ids.school1, 'committee_member', 201],
      [ctx.tree.ids.school1, 'staff', 201],
      [ctx.tree.ids.school1, 'secretary', 422],
      [general.id, 'secretary', 201],
      [general.id, 'committee_member', 201],
      [general.id, 'staff', 422],
      [branch.id, 'secretary', 201],
      [branch.id, 'committee_member', 422],
      [branch.id, 'staff', 422],
    ];
    for (const [orgId, role, status] of cases) {
      const before = (await cadreRows(orgId)).length;
      const eventsBefore = (await cadreEvents(orgId)).length;
      const r = await enter(ctx.tree.tokens.province, orgId, cadre({ role, post: role === 'staff' ? '专职团干' : '委员' }));
      expect(r.status, `${role} at ${orgId}`).toBe(status);
      if (status === 201) {
        expect(r.body).toMatchObject({ orgId, role, termStart: '2025-01-01', termEnd: null, endedAt: null, memberId: null });
        expect((await cadreRows(orgId)).length).toBe(before + 1);
      } else {
        expect(r.body).toMatchObject({ rule: 'R8', fields: [{ field: 'body.role', rule: 'R8' }] });
        expect((await cadreRows(orgId)).length).toBe(before);
        expect((await cadreEvents(orgId)).length).toBe(eventsBefore);
      }
    }
  });

  it('R8: a bad ID number is 400 naming body.idNumber, a term ending before it starts names body.termEnd; nothing is written', async () => {
    const branch = await newBranch(ctx.tree.ids.school1);
    const badId = await enter(branch.sec, branch.id, cadre({ idNumber: '110101199003150000' }));
    expect(badId.status).toBe(400);
    expect(badId.body.fields.map((f: { field: string }) => f.field)).toContain('body.idNumber');
    const badTerm = await enter(branch.sec, branch.id, cadre({ termEnd: '2024-12-31' }));
    expect(badTerm.status).toBe(400);
    expect(badTerm.body.fields.map((f: { field: string }) => f.field)).toContain('body.termEnd');
    expect(await cadreRows(branch.id)).toHaveLength(0);
    expect(await cadreEvents(branch.id)).toHaveLength(0);
  });

  it('R8: a second current secretary is 409 R8; once the first term is ended (event cadre.ended, no name or ID number) another is entered; ending twice is 409, before the start 422 body.endedOn', async () => {
    const branch = await newBranch(ctx.tree.ids.school1);
    const first = await enter(branch.sec, branch.id, cadre());
    expect(first.status).toBe(201);
    const second = await enter(branch.sec, branch.id, cadre({ name: '王五' }));
    expect(second.status).toBe(409);
    expect(second.body.rule).toBe('R8');
    expect(await cadreRows(branch.id)).toHaveLength(1);

    const early = await end(branch.sec, branch.id, first.body.id, { endedOn: '2024-06-30' });
    expect(early.status).toBe(422);
    expect(early.body).toMatchObject({ rule: 'R8', fields: [{ field: 'body.endedOn' }] });
    expect((await cadreRows(branch.id))[0]!.ended_at).toBeNull();

    const ended = await end(branch.sec, branch.id, first.body.id, { endedOn: '2025-12-31' });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ id: first.body.id, termEnd: '2025-12-31' });
    expect(ended.body.endedAt).toEqual(expect.any(String));
    expect((await end(branch.sec, branch.id, first.body.id)).status).toBe(409);

    const next = await enter(branch.sec, branch.id, cadre({ name: '王五', termStart: '2026-01-01' }));
    expect(next.status).toBe(201);
    const items = (await list(branch.sec, branch.id)).body.items as { id: string; endedAt: string | null }[];
    expect(items.map((i) => i.id)).toEqual([next.body.id, first.body.id]); // current first, then ended

    const events = await cadreEvents(branch.id);
    expect(events.map((e) => e.type)).toEqual(['cadre.entered', 'cadre.ended', 'cadre.entered']);
    expect(events[1]!.payload).toMatchObject({ cadreId: first.body.id, role: 'secretary', endedOn: '2025-12-31' });
    const text = JSON.stringify(events.map((e) => e.payload));
    expect(text).not.toContain('李四');
    expect(text).not.toContain(first.body.idNumber);
  });

  it('R8: a cadre with a member’s ID number shows that member (memberId) and the member stays a member: their record is unchanged', async () => {
    const branch = await newBranch(ctx.tree.ids.school1);
    const id = idNumber('20010520');
    const memberId = await activeMember(ctx.sys.app, branch.id, branch.sec, { idNumber: id });
    const before = await ctx.sys.db.selectFrom('members').selectAll().where('id', '=', memberId).executeTakeFirstOrThrow();
    const entered = await enter(branch.sec, branch.id, cadre({ idNumber: id, name: before.name }));
    expect(entered.status).toBe(201);
    expect(entered.body.memberId).toBe(memberId);
    expect((await list(ctx.tree.tokens.school1, branch.id)).body.items[0].memberId).toBe(memberId);
    const after = await ctx.sys.db.selectFrom('members').selectAll().where('id', '=', memberId).executeTakeFirstOrThrow();
    expect(after).toEqual(before);
    const [event] = await cadreEvents(branch.id);
    expect(event).toMatchObject({ type: 'cadre.entered', member_id: memberId });
    // Another person is linked to no one.
    const school = await enter(ctx.tree.tokens.school1, ctx.tree.ids.school1, cadre({ role: 'committee_member', post: '委员' }));
    expect(school.body.memberId).toBeNull();
  });

  it('R8: the ID number is whole for the organization itself and masked for every level above, its direct superior and the province too (issue 20, domain/privacy.ts)', async () => {
    const branch = await newBranch(ctx.tree.ids.school1);
    const entered = await enter(branch.sec, branch.id, cadre());
    const whole = entered.body.idNumber as string;
    expect((await list(branch.sec, branch.id)).body.items[0].idNumber).toBe(whole);
    for (const token of [ctx.tree.tokens.school1, ctx.tree.tokens.city1, ctx.tree.tokens.province]) {
      const r = await list(token, branch.id);
      expect(r.status).toBe(200);
      expect(r.body.items[0].idNumber).not.toBe(whole);
      expect(r.body.items[0].idNumber).toMatch(/^\d{4}\*+..$/);
    }
  });

  it('R8: the organization itself, its direct superior and the province enter cadres; a sibling branch, an unrelated committee, a committee two levels up and a member get 403 and nothing is written', async () => {
    const mine = await newBranch(ctx.tree.ids.school1);
    expect((await enter(mine.sec, mine.id, cadre())).status).toBe(201);
    const byParent = await newBranch(ctx.tree.ids.school1);
    expect((await enter(ctx.tree.tokens.school1, byParent.id, cadre())).status).toBe(201);
    const byProvince = await newBranch(ctx.tree.ids.school1);
    expect((await enter(ctx.tree.tokens.province, byProvince.id, cadre())).status).toBe(201);

    const target = await newBranch(ctx.tree.ids.school1);
    const member = await newMemberToken(ctx.sys.app);
    for (const token of [ctx.tree.tokens.sec2, ctx.tree.tokens.county2, ctx.tree.tokens.city1, member]) {
      expect((await enter(token, target.id, cadre())).status).toBe(403);
    }
    expect(await cadreRows(target.id)).toHaveLength(0);
    // Reading: a sibling, an unrelated committee and a member are refused; ending is the writers' too.
    for (const token of [ctx.tree.tokens.sec2, ctx.tree.tokens.county2, member]) expect((await list(token, mine.id)).status).toBe(403);
    const [row] = await cadreRows(mine.id);
    expect((await end(ctx.tree.tokens.sec2, mine.id, row!.id)).status).toBe(403);
    expect((await end(ctx.tree.tokens.city1, mine.id, row!.id)).status).toBe(403);
    expect((await cadreRows(mine.id))[0]!.ended_at).toBeNull();
  });

  it('R21: a branch without a secretary entered as a cadre is flagged (hasSecretary false, listed by health); entering one clears the flag, ending the term raises it again', async () => {
    const branch = await newBranch(ctx.tree.ids.school1);
    const flagged = async () => {
      const org = await call(ctx.sys.app, 'GET', `/api/organizations/${branch.id}`, branch.sec);
      const health = await call(ctx.sys.app, 'GET', `/api/organizations/${branch.id}/health?list=no-secretary`, branch.sec);
      expect(org.status).toBe(200);
      expect(health.status).toBe(200);
      const listed = (health.body.list.items as { orgId: string }[]).some((i) => i.orgId === branch.id);
      expect(health.body.counts.branchesWithoutSecretary).toBe(listed ? 1 : 0);
      expect(org.body.hasSecretary).toBe(!listed);
      return listed;
    };
    // The branch's secretary has a login (an actor): that is not a secretary entered as a cadre.
    expect(await flagged()).toBe(true);
    const entered = await enter(branch.sec, branch.id, cadre());
    expect(await flagged()).toBe(false);
    expect((await end(branch.sec, branch.id, entered.body.id)).status).toBe(200);
    expect(await flagged()).toBe(true);
  });

  it('R8: an unknown organization is 404, an unknown cadre 404', async () => {
    expect((await enter(ctx.tree.tokens.province, 'no-such-org', cadre())).status).toBe(404);
    expect((await end(ctx.tree.tokens.province, ctx.tree.ids.branch1, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});

describe('R8/R25 current posts (issue 19): one definition, ended when the member leaves or is removed from posts, unique per person', () => {
  /** R21's view of the branch: listed by health as without a secretary. */
  const noSecretary = async (branch: { id: string; sec: string }): Promise<boolean> => {
    const health = await call(ctx.sys.app, 'GET', `/api/organizations/${branch.id}/health?list=no-secretary`, branch.sec);
    expect(health.status).toBe(200);
    const listed = (health.body.list.items as { orgId: string }[]).some((i) => i.orgId === branch.id);
    expect(health.body.counts.branchesWithoutSecretary).toBe(listed ? 1 : 0);
    return listed;
  };
  const postsOnRecord = async (memberId: string, token: string): Promise<unknown[]> => {
    const r = await call(ctx.sys.app, 'GET', `/api/members/${memberId}`, token);
    expect(r.status).toBe(200);
    return r.body.cadrePosts as unknown[];
  };
  const currentRows = (orgId: string) =>
    ctx.sys.db.selectFrom('cadres').select('id').where('org_id', '=', orgId).where(currentPost('cadres', officeDay())).execute();

  it('R21: a secretary whose term ended in 2021 is not current: health flags the branch, the member record shows no post, the list marks it not current; a new secretary is entered and the old post is closed with reason term-passed', async () => {
    const branch = await newBranch(ctx.tree.ids.school1);
    const id = idNumber('19990101');
    const memberId = await activeMember(ctx.sys.app, branch.id, branch.sec, { idNumber: id });
    const old = await enter(branch.sec, branch.id, cadre({ idNumber: id, termStart: '2019-01-01', termEnd: '2021-12-31' }));
    expect(old.status).toBe(201);
    expect(old.body.current).toBe(false);

    expect(await noSecretary(branch)).toBe(true);
    expect(await postsOnRecord(memberId, branch.sec)).toEqual([]);
    const listed = (await list(branch.sec, branch.id)).body.items as { id: string; current: boolean; endedAt: string | null }[];
    expect(listed).toEqual([expect.objectContaining({ id: old.body.id, current: false, endedAt: null })]);

    // The lapsed post does not block the new secretary (R8): it is ended, with its event, in the same transaction.
    const next = await enter(branch.sec, branch.id, cadre({ name: '王五', termStart: '2026-01-01' }));
    expect(next.status).toBe(201);
    expect(next.body.current).toBe(true);
    expect(await noSecretary(branch)).toBe(false);
    const rows = await cadreRows(branch.id);
    expect(rows.find((r) => r.id === old.body.id)!.ended_at).not.toBeNull();
    expect(rows.find((r) => r.id === old.body.id)!.term_end).toBe('2021-12-31');
    const ended = (await cadreEvents(branch.id)).filter((e) => e.type === 'cadre.ended');
    expect(ended).toEqual([
      expect.objectContaining({ member_id: memberId, payload: expect.objectContaining({ cadreId: old.body.id, reason: 'term-passed' }) }),
    ]);
    const items = (await list(branch.sec, branch.id)).body.items as { id: string; current: boolean }[];
    expect(items.map((i) => [i.id, i.current])).toEqual([
      [next.body.id, true],
      [old.body.id, false],
    ]);
  });

  it('R25: removal from posts (撤销团内职务) ends the member’s secretary post: one cadre.ended event per post, in the caller’s transaction; the record and health follow; a second call ends nothing', async () => {
    const branch = await newBranch(ctx.tree.ids.school1);
    const general = await newBranch(ctx.tree.ids.school1, 'general_branch');
    const id = idNumber('19980202');
    const memberId = await activeMember(ctx.sys.app, branch.id, branch.sec, { idNumber: id });
    const secretary = await enter(branch.sec, branch.id, cadre({ idNumber: id }));
    const committee = await enter(ctx.tree.tokens.school1, general.id, cadre({ idNumber: id, role: 'committee_member', post: '委员' }));
    expect([secretary.status, committee.status]).toEqual([201, 201]);
    expect(await postsOnRecord(memberId, branch.sec)).toHaveLength(2);
    expect(await noSecretary(branch)).toBe(false);

    // A transaction that fails after the call leaves the posts as they were: the ends are the caller's.
    await expect(
      ctx.sys.db.transaction().execute(async (tx) => {
        expect(await endPostsOfMember(tx, memberId, new Date(), 'removal-from-posts', null)).toBe(2);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await postsOnRecord(memberId, branch.sec)).toHaveLength(2);

    const n = await ctx.sys.db.transaction().execute((tx) => endPostsOfMember(tx, memberId, new Date(), 'removal-from-posts', null));
    expect(n).toBe(2);
    expect(await postsOnRecord(memberId, branch.sec)).toEqual([]);
    expect(await noSecretary(branch)).toBe(true);
    for (const org of [branch.id, general.id]) {
      const events = (await cadreEvents(org)).filter((e) => e.type === 'cadre.ended');
      expect(events).toEqual([expect.objectContaining({ member_id: memberId, payload: expect.objectContaining({ reason: 'removal-from-posts' }) })]);
    }
    expect(await ctx.sys.db.transaction().execute((tx) => endPostsOfMember(tx, memberId, new Date(), 'removal-from-posts'))).toBe(0);
  });

  it('R25: a post whose holder has left (deleted by the province) is no longer current: health flags the branch and the cadre list marks it', async () => {
    const branch = await newBranch(ctx.tree.ids.school1);
    const id = idNumber('19970303');
    const memberId = await activeMember(ctx.sys.app, branch.id, branch.sec, { idNumber: id });
    expect((await enter(branch.sec, branch.id, cadre({ idNumber: id }))).status).toBe(201);
    expect(await noSecretary(branch)).toBe(false);
    const applied = await call(ctx.sys.app, 'POST', '/api/deletions', branch.sec, { memberId, category: 'left', reason: 'moved away for good' });
    expect(applied.status).toBe(201);
    for (const token of [ctx.tree.tokens.city1, ctx.tree.tokens.province])
      expect((await call(ctx.sys.app, 'POST', `/api/processes/${applied.body.processId}/decisions`, token, { action: 'approve' })).status).toBe(200);
    await ctx.sys.env.client.workflow.getHandle(deletionWorkflowId(memberId)).result();
    // Whether the leave hook ended the post or not, a holder who left holds no current post.
    expect(await noSecretary(branch)).toBe(true);
    expect(await postsOnRecord(memberId, ctx.tree.tokens.province)).toEqual([]);
    const items = (await list(branch.sec, branch.id)).body.items as { memberId: string | null; current: boolean }[];
    expect(items).toEqual([expect.objectContaining({ memberId, current: false })]);
    expect(await currentRows(branch.id)).toEqual([]);
  });

  it('R8: two simultaneous entries of the same committee member: one 201, one 409 naming R8, one current post', async () => {
    const general = await newBranch(ctx.tree.ids.school1, 'general_branch');
    const body = cadre({ role: 'committee_member', post: '委员', idNumber: idNumber('19960404') });
    for (let round = 0; round < 3; round++) {
      const org = round === 0 ? general : await newBranch(ctx.tree.ids.school1, 'general_branch');
      const results = await Promise.all([enter(ctx.tree.tokens.school1, org.id, body), enter(ctx.tree.tokens.school1, org.id, body)]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(results.find((r) => r.status === 409)!.body.rule).toBe('R8');
      expect(await currentRows(org.id)).toHaveLength(1);
      expect((await cadreEvents(org.id)).map((e) => e.type)).toEqual(['cadre.entered']);
    }
  });

  it('R8: migration 0013 on an existing database with duplicated current posts ends the newer ones (with their events) and then refuses another', async () => {
    const general = await newBranch(ctx.tree.ids.school1, 'general_branch');
    const person = idNumber('19950505');
    const ids = [randomUUID(), randomUUID()];
    const { path } = await ctx.sys.db.selectFrom('organizations').select('path').where('id', '=', general.id).executeTakeFirstOrThrow();
    const dup = (id: string, at: string) => ({
      id,
      org_id: general.id,
      org_path: path,
      name: '赵六',
      id_number: person,
      role: 'committee_member' as const,
      post: '委员',
      term_start: '2025-01-01',
      entered_by: 'test',
      created_at: at,
    });
    await expect(
      ctx.sys.db.transaction().execute(async (tx) => {
        await tx.schema.dropIndex('cadres_one_current_post').execute();
        await tx
          .insertInto('cadres')
          .values([dup(ids[0]!, '2025-01-01T00:00:00Z'), dup(ids[1]!, '2025-02-01T00:00:00Z')])
          .execute();
        await m0013.up(tx as unknown as Kysely<unknown>);
        const rows = await tx.selectFrom('cadres').select(['id', 'ended_at']).where('org_id', '=', general.id).orderBy('created_at').execute();
        expect(rows.map((r) => [r.id, r.ended_at === null])).toEqual([
          [ids[0], true],
          [ids[1], false],
        ]);
        const ev = await tx.selectFrom('events').select(['type', 'payload']).where('idempotency_key', '=', `cadre:${ids[1]}:ended`).execute();
        expect(ev).toEqual([{ type: 'cadre.ended', payload: expect.objectContaining({ cadreId: ids[1], reason: 'duplicate' }) }]);
        await expect(tx.insertInto('cadres').values(dup(randomUUID(), '2025-03-01T00:00:00Z')).execute()).rejects.toMatchObject({
          code: '23505',
          constraint: 'cadres_one_current_post',
        });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await cadreRows(general.id)).toEqual([]);
  });
});
