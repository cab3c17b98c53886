// R24 application forms on the real server and PostgreSQL: the branch uploads the scanned 入团志愿书 of a member who
// joined from 2020 on, after the check-in is approved (PDF, PNG or JPEG, at most 10 MiB, SHA-256 kept); members
// still without one are listed for the branch and every level above, with the days since approval.
import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { activeMember, call, newMemberToken, profile, useSystemWithTree } from './harness';

const ctx = useSystemWithTree();

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const pdf = (text = randomBytes(8).toString('hex')) => Buffer.from(`%PDF-1.7\n% ${text}\n%%EOF\n`);
const png = () => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(64)]);
const jpeg = () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(64)]);

/** An active member of `branchId` who joined in 2021 (so needs a form), checked in and approved by `sec`. */
const recentMember = (branchId: string, sec: string, joinDate = '2021-05-04') => activeMember(ctx.sys.app, branchId, sec, { joinDate });

async function upload(memberId: string, token: string | undefined, content: Buffer, type = 'application/pdf', headers: Record<string, string> = {}) {
  return call(ctx.sys.app, 'PUT', `/api/members/${memberId}/application-form`, token, content, { 'content-type': type, ...headers });
}

async function download(memberId: string, token: string) {
  return ctx.sys.app.inject({ method: 'GET', url: `/api/members/${memberId}/application-form`, headers: { authorization: `Bearer ${token}` } });
}

const formOf = (memberId: string) => ctx.sys.db.selectFrom('application_forms').selectAll().where('member_id', '=', memberId).executeTakeFirst();
const uploadEvents = (memberId: string) =>
  ctx.sys.db.selectFrom('events').selectAll().where('member_id', '=', memberId).where('type', '=', 'application-form.uploaded').orderBy('id').execute();

type Missing = { memberId: string; name: string; branchId: string; approvedAt: string; daysSinceApproval: number };

/** Every page of the missing list for `orgId`, `limit` at a time: the items in order, the totals and the page count. */
async function missingList(token: string, orgId: string, limit = 2) {
  const items: Missing[] = [];
  const totals: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r = await call(ctx.sys.app, 'GET', `/api/application-forms/missing?orgId=${orgId}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, token);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    items.push(...(r.body.items as Missing[]));
    totals.push(r.body.total as number);
    cursor = r.body.nextCursor as string | null;
    pages++;
  } while (cursor && pages < 100);
  return { items, totals, pages };
}

/** Moves the member's approval `days` days back. */
async function approvedDaysAgo(memberId: string, days: number) {
  await ctx.sys.db
    .updateTable('members')
    .set({ locked_at: new Date(Date.now() - days * 86_400_000) })
    .where('id', '=', memberId)
    .execute();
}

describe('R24 application forms', () => {
  it('R24: the branch uploads a PDF, a PNG or a JPEG form after approval; its SHA-256 is kept, the same file again changes nothing, a new file replaces it', async () => {
    for (const [type, content] of [
      ['application/pdf', pdf()],
      ['image/png', png()],
      ['image/jpeg', jpeg()],
    ] as const) {
      const memberId = await recentMember(ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
      const name = `入团志愿书 ${type.split('/')[1]}`;
      const r = await upload(memberId, ctx.tree.tokens.sec1, content, type, { 'x-filename': encodeURIComponent(name) });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body).toMatchObject({ memberId, sha256: sha256(content), size: content.length });
      expect(await formOf(memberId)).toMatchObject({ content_type: type, sha256: sha256(content), size: content.length, filename: name });
      const served = await download(memberId, ctx.tree.tokens.sec1);
      expect(served.statusCode).toBe(200);
      expect(served.headers['content-type']).toBe(type);
      expect(served.headers['x-sha256']).toBe(sha256(content));
      expect(served.headers['content-disposition']).toBe(`attachment; filename*=UTF-8''${encodeURIComponent(name)}`);
      expect(served.rawPayload.equals(content)).toBe(true);

      // The event carries the hash and the size, never the file name (it may name the member).
      const events = await uploadEvents(memberId);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ org_id: ctx.tree.ids.branch1, payload: { sha256: sha256(content), size: content.length, contentType: type } });
      expect(JSON.stringify(events[0]!.payload)).not.toContain('入团志愿书');

      // The same file again: 200, the stored one, no second event.
      const again = await upload(memberId, ctx.tree.tokens.sec1, content, type);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(r.body);
      expect(await uploadEvents(memberId)).toHaveLength(1);
    }

    // A new scan replaces the one kept (the newest), with its own event; the member's record keeps one form.
    const memberId = await recentMember(ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
    const first = pdf('first scan');
    const second = jpeg();
    expect((await upload(memberId, ctx.tree.tokens.sec1, first)).status).toBe(201);
    const replaced = await upload(memberId, ctx.tree.tokens.sec1, second, 'image/jpeg');
    expect(replaced.status).toBe(201);
    expect(replaced.body.sha256).toBe(sha256(second));
    expect(await formOf(memberId)).toMatchObject({ sha256: sha256(second), content_type: 'image/jpeg', filename: 'application-form.jpg' });
    expect((await download(memberId, ctx.tree.tokens.school1)).rawPayload.equals(second)).toBe(true);
    // Back to the first scan: a third upload, a third event.
    expect((await upload(memberId, ctx.tree.tokens.sec1, first)).status).toBe(201);
    expect((await uploadEvents(memberId)).map((e) => (e.payload as { sha256: string }).sha256)).toEqual([sha256(first), sha256(second), sha256(first)]);
  });

  it('R24: a file that is not a PDF, PNG or JPEG is refused (415), and so is a body that is not a file (400); nothing is stored', async () => {
    const memberId = await recentMember(ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
    const gif = await upload(memberId, ctx.tree.tokens.sec1, Buffer.from('GIF89a....'), 'image/gif');
    expect(gif.status).toBe(415);
    expect(gif.body.fields).toEqual([expect.objectContaining({ field: 'headers.content-type' })]);
    const word = await upload(
      memberId,
      ctx.tree.tokens.sec1,
      Buffer.from('PK\u0003\u0004'),
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
    expect(word.status).toBe(415);
    const json = await upload(memberId, ctx.tree.tokens.sec1, Buffer.from(JSON.stringify({ file: 'form.pdf' })), 'application/json');
    expect(json.status).toBe(400);
    expect(json.body.fields[0].field).toBe('body');
    const empty = await upload(memberId, ctx.tree.tokens.sec1, Buffer.alloc(0));
    expect(empty.status).toBe(400);
    expect(await formOf(memberId)).toBeUndefined();
    expect(await uploadEvents(memberId)).toHaveLength(0);
  });

  it('R24: a file above 10 MiB is refused with 413 and nothing is stored; exactly 10 MiB is taken', async () => {
    const memberId = await recentMember(ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
    const big = Buffer.concat([pdf(), Buffer.alloc(10 * MiB, 0x20)]).subarray(0, 10 * MiB + 1);
    const refused = await upload(memberId, ctx.tree.tokens.sec1, big);
    expect(refused.status).toBe(413);
    expect(await formOf(memberId)).toBeUndefined();
    expect(await uploadEvents(memberId)).toHaveLength(0);
    const limit = big.subarray(0, 10 * MiB);
    const taken = await upload(memberId, ctx.tree.tokens.sec1, limit);
    expect(taken.status).toBe(201);
    expect(taken.body).toMatchObject({ size: 10 * MiB, sha256: sha256(limit) });
  });

  it('R24: a file whose first bytes are not those of its declared type is refused (422 R24), nothing stored', async () => {
    const memberId = await recentMember(ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
    for (const [type, content] of [
      ['application/pdf', png()],
      ['image/png', jpeg()],
      ['image/jpeg', pdf()],
      ['application/pdf', Buffer.from('<html>not a scan</html>')],
    ] as const) {
      const r = await upload(memberId, ctx.tree.tokens.sec1, content, type);
      expect(r.status, type).toBe(422);
      expect(r.body).toMatchObject({ rule: 'R24', fields: [expect.objectContaining({ field: 'body', rule: 'R24' })] });
    }
    expect(await formOf(memberId)).toBeUndefined();
    expect(await uploadEvents(memberId)).toHaveLength(0);
  });

  it('R24: a file name that is not URL-encoded UTF-8, or decodes to a control character, is refused (400 naming the header)', async () => {
    const memberId = await recentMember(ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
    for (const bad of ['%E4%B8', 'form%00.pdf', 'a%0Ab.pdf']) {
      const r = await upload(memberId, ctx.tree.tokens.sec1, pdf(), 'application/pdf', { 'x-filename': bad });
      expect(r.status, bad).toBe(400);
      expect(r.body.fields[0].field).toBe('headers.x-filename');
    }
    expect(await formOf(memberId)).toBeUndefined();
  });

  it('R24: a member who joined before 2020 needs no form: the upload is refused (422 R24) and they are never listed', async () => {
    const old = await recentMember(ctx.tree.ids.branch1, ctx.tree.tokens.sec1, '2019-12-31');
    const r = await upload(old, ctx.tree.tokens.sec1, pdf());
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ rule: 'R24', fields: [expect.objectContaining({ field: 'params.id', rule: 'R24' })] });
    expect(await formOf(old)).toBeUndefined();
    // The first day of 2020 needs one.
    const first = await recentMember(ctx.tree.ids.branch1, ctx.tree.tokens.sec1, '2020-01-01');
    const listed = (await missingList(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, 200)).items.map((i) => i.memberId);
    expect(listed).toContain(first);
    expect(listed).not.toContain(old);
    expect((await upload(first, ctx.tree.tokens.sec1, pdf())).status).toBe(201);
  });

  it('R24: a member whose check-in is not approved yet cannot have a form (422 R24) and is not listed', async () => {
    const created = await call(ctx.sys.app, 'POST', '/api/check-ins', ctx.tree.tokens.sec1, {
      branchId: ctx.tree.ids.branch1,
      profile: profile({ joinDate: '2022-03-01' }),
    });
    expect(created.status).toBe(201);
    const memberId = created.body.memberId as string;
    const r = await upload(memberId, ctx.tree.tokens.sec1, pdf());
    expect(r.status).toBe(422);
    expect(r.body.rule).toBe('R24');
    expect(await formOf(memberId)).toBeUndefined();
    expect((await missingList(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, 200)).items.map((i) => i.memberId)).not.toContain(memberId);
    // Once approved, it is listed, and the upload is taken.
    expect((await call(ctx.sys.app, 'POST', `/api/processes/${created.body.processId}/decisions`, ctx.tree.tokens.sec1, { action: 'approve' })).status).toBe(
      200,
    );
    expect((await missingList(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, 200)).items.map((i) => i.memberId)).toContain(memberId);
    expect((await upload(memberId, ctx.tree.tokens.sec1, pdf())).status).toBe(201);
  });

  it('R24: members missing a form are listed for the branch, the school, the city and the province, with the days since approval, page by page; an upload closes the item', async () => {
    // branch2 is this test's alone: three members needing a form, one who joined before 2020, one with a form.
    const waiting = [await recentMember(ctx.tree.ids.branch2, ctx.tree.tokens.sec2), await recentMember(ctx.tree.ids.branch2, ctx.tree.tokens.sec2)];
    waiting.push(await recentMember(ctx.tree.ids.branch2, ctx.tree.tokens.sec2));
    await approvedDaysAgo(waiting[0]!, 40);
    await approvedDaysAgo(waiting[1]!, 12);
    const old = await recentMember(ctx.tree.ids.branch2, ctx.tree.tokens.sec2, '2018-09-01');
    await approvedDaysAgo(old, 400);
    const done = await recentMember(ctx.tree.ids.branch2, ctx.tree.tokens.sec2);
    expect((await upload(done, ctx.tree.tokens.sec2, png(), 'image/png')).status).toBe(201);

    const branch = await missingList(ctx.tree.tokens.sec2, ctx.tree.ids.branch2, 2);
    expect(branch.pages).toBe(2);
    expect(branch.totals).toEqual([3, 3]);
    // Longest waiting first; names masked to their first character.
    expect(branch.items.map((i) => i.memberId)).toEqual(waiting);
    expect(branch.items.map((i) => i.daysSinceApproval)).toEqual([40, 12, 0]);
    expect(branch.items.every((i) => i.name === '张*' && i.branchId === ctx.tree.ids.branch2)).toBe(true);
    const approvedAt = new Date(branch.items[0]!.approvedAt).getTime();
    expect(Math.abs(approvedAt - (Date.now() - 40 * 86_400_000))).toBeLessThan(120_000);

    // Every level above sees them too (with branch1's members, in the same order of waiting): no item twice, none lost between pages.
    for (const [token, orgId] of [
      [ctx.tree.tokens.school1, ctx.tree.ids.school1],
      [ctx.tree.tokens.city1, ctx.tree.ids.city1],
      [ctx.tree.tokens.province, ctx.tree.ids.province],
    ] as const) {
      const all = await missingList(token, orgId, 2);
      const ids = all.items.map((i) => i.memberId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(all.totals.every((t) => t === ids.length)).toBe(true);
      expect(ids.filter((id) => waiting.includes(id))).toEqual(waiting);
      expect(ids).not.toContain(old);
      expect(ids).not.toContain(done);
      const times = all.items.map((i) => new Date(i.approvedAt).getTime());
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(all.items.find((i) => i.memberId === waiting[0])?.daysSinceApproval).toBe(40);
    }
    // Without orgId: the caller's own organization.
    expect((await call(ctx.sys.app, 'GET', '/api/application-forms/missing', ctx.tree.tokens.sec2)).body.total).toBe(3);

    // The upload closes the item.
    expect((await upload(waiting[0]!, ctx.tree.tokens.sec2, jpeg(), 'image/jpeg')).status).toBe(201);
    const after = await missingList(ctx.tree.tokens.sec2, ctx.tree.ids.branch2, 2);
    expect(after.items.map((i) => i.memberId)).toEqual(waiting.slice(1));
    expect(after.totals).toEqual([2]);
    expect(
      (await call(ctx.sys.app, 'GET', `/api/application-forms/missing?orgId=${ctx.tree.ids.branch2}&cursor=not-a-cursor`, ctx.tree.tokens.sec2)).status,
    ).toBe(400);
  });

  it('R24: only the own branch uploads; the member, the branch and every level above read; another branch, another city or another member may not (403)', async () => {
    // The member checked in themselves, so their token is linked to the record.
    const self = await newMemberToken(ctx.sys.app);
    const created = await call(ctx.sys.app, 'POST', '/api/check-ins', self, { branchId: ctx.tree.ids.branch1, profile: profile({ joinDate: '2023-04-01' }) });
    expect(created.status).toBe(201);
    expect((await call(ctx.sys.app, 'POST', `/api/processes/${created.body.processId}/decisions`, ctx.tree.tokens.sec1, { action: 'approve' })).status).toBe(
      200,
    );
    const memberId = created.body.memberId as string;
    const other = await newMemberToken(ctx.sys.app);

    for (const token of [
      self,
      other,
      ctx.tree.tokens.sec2,
      ctx.tree.tokens.sec3,
      ctx.tree.tokens.school1,
      ctx.tree.tokens.city1,
      ctx.tree.tokens.county2,
      ctx.tree.tokens.province,
    ]) {
      expect((await upload(memberId, token, pdf())).status).toBe(403);
    }
    expect((await upload(memberId, undefined, pdf())).status).toBe(401);
    expect(await formOf(memberId)).toBeUndefined();
    expect(await uploadEvents(memberId)).toHaveLength(0);

    const content = pdf('signed');
    expect((await upload(memberId, ctx.tree.tokens.sec1, content)).status).toBe(201);
    for (const token of [self, ctx.tree.tokens.sec1, ctx.tree.tokens.school1, ctx.tree.tokens.city1, ctx.tree.tokens.province]) {
      const r = await download(memberId, token);
      expect(r.statusCode).toBe(200);
      expect(r.rawPayload.equals(content)).toBe(true);
    }
    for (const token of [other, ctx.tree.tokens.sec2, ctx.tree.tokens.sec3, ctx.tree.tokens.county2])
      expect((await download(memberId, token)).statusCode).toBe(403);

    // The missing list: the branch and the levels above it, not a sibling branch, another city's committee or a member.
    const list = (token: string, orgId: string) => call(ctx.sys.app, 'GET', `/api/application-forms/missing?orgId=${orgId}`, token);
    expect((await list(ctx.tree.tokens.sec2, ctx.tree.ids.branch1)).status).toBe(403);
    expect((await list(ctx.tree.tokens.sec1, ctx.tree.ids.school1)).status).toBe(403);
    expect((await list(ctx.tree.tokens.county2, ctx.tree.ids.branch1)).status).toBe(403);
    expect((await list(ctx.tree.tokens.county2, ctx.tree.ids.city1)).status).toBe(403);
    expect((await list(self, ctx.tree.ids.branch1)).status).toBe(403);
    expect((await call(ctx.sys.app, 'GET', '/api/application-forms/missing', self)).status).toBe(403);
    expect((await list(ctx.tree.tokens.county2, ctx.tree.ids.county2)).status).toBe(200);
    // A member without a form yet: the download is 404 for those who may read it.
    const bare = await recentMember(ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
    expect((await download(bare, ctx.tree.tokens.sec1)).statusCode).toBe(404);
  });
});
