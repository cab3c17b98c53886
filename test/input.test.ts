// Control characters in inputs (PostgreSQL refuses NUL: these were 500s): every route answers 400 naming the
// field, CSV rows fail alone, and a workflow given such a string directly fails at once instead of retrying.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import {
  activeMember,
  actorToken,
  call,
  dataConverter,
  idNumber,
  importOrgs,
  profile,
  seedTree,
  startSystem,
  testAward,
  type System,
  type Tree,
} from './harness';
import { answerOnce, requestHash } from '../api/idempotency';
import { checkIn } from '../workflows/check-in';
import { checkInWorkflowId } from '../domain/check-in';
import { monthOf } from '../domain/dues';
import { signedHeaders } from '../domain/peer-protocol';
import { textProblem } from '../domain/text';

const PEER_KEY = Buffer.alloc(32, 9);

let sys: System;
let tree: Tree;

beforeAll(async () => {
  sys = await startSystem({ peers: new Map([['hn', { url: 'http://127.0.0.1:9', key: PEER_KEY }]]) });
  tree = await seedTree(sys.app);
});
afterAll(async () => {
  await sys?.stop();
});

const U0000 = 'control character U+0000 is not allowed';

function expectRefused(
  r: { status: number; body: { error?: string; message?: string; fields?: { field: string; message: string }[] } },
  field: string,
  message: string,
) {
  expect(r.status, JSON.stringify(r.body)).toBe(400);
  expect(r.body.error).toBe('invalid');
  expect(r.body.fields).toContainEqual({ field, message });
}

const csvPost = (url: string, token: string, csv: string, key: string) =>
  sys.app
    .inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', 'idempotency-key': key }, payload: csv })
    .then((r) => ({ status: r.statusCode, body: r.json() }));

describe('input', () => {
  it('textProblem: C0, DEL, C1 and lone surrogates are refused; free text keeps \\t \\n \\r; emoji pass', () => {
    expect(textProblem('张三 O\u2019Brien 😀')).toBeUndefined();
    expect(textProblem('a\u0000b')).toBe(U0000);
    expect(textProblem('a\u007fb')).toBe('control character U+007F is not allowed');
    expect(textProblem('a\u0085b', 'free-text')).toBe('control character U+0085 is not allowed');
    expect(textProblem('a\u009f')).toBe('control character U+009F is not allowed');
    expect(textProblem('a\ud800b')).toBe('lone surrogate U+D800 is not allowed');
    expect(textProblem('\udc00')).toBe('lone surrogate U+DC00 is not allowed');
    expect(textProblem('one\n\ttwo\r\n', 'free-text')).toBeUndefined();
    expect(textProblem('one\ntwo')).toMatch(/^control character U\+000A is not allowed/);
  });

  it('input: a NUL or other control character anywhere gives 400 naming the field, nothing persisted', async () => {
    // The three 500s found by outside testing.
    expectRefused(await call(sys.app, 'GET', `/api/processes?orgId=${tree.ids.branch1}%00`, tree.tokens.province), 'querystring.orgId', U0000);
    expectRefused(await call(sys.app, 'GET', '/api/organizations/a%00b', tree.tokens.sec1), 'params.id', U0000);
    expectRefused(
      await call(sys.app, 'POST', '/api/deletions/bulk-return', tree.tokens.province, { reason: 'wrong city', cityId: '\u0000' }),
      'body.cityId',
      U0000,
    );
    // A query parameter no schema declares, the codec route's path, a declared header.
    expectRefused(
      await call(sys.app, 'GET', `/api/organizations/${tree.ids.branch1}?x=%01`, tree.tokens.sec1),
      'querystring.x',
      'control character U+0001 is not allowed',
    );
    expectRefused(await call(sys.app, 'POST', '/codec/t/abc%00/decode', undefined, { payloads: [] }), 'params.token', U0000);

    // A check-in with a NUL in the name: 400, no member.
    const prof = profile({ name: '张\u0000三' });
    expectRefused(await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec1, { branchId: tree.ids.branch1, profile: prof }), 'body.profile.name', U0000);
    // A name is one line; a lone surrogate is refused anywhere in a body (as JSON escapes).
    expectRefused(
      await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec1, { branchId: tree.ids.branch1, profile: { ...prof, name: '张\n三' } }),
      'body.profile.name',
      'control character U+000A is not allowed (a single line, without tabs)',
    );
    const surrogate = await sys.app.inject({
      method: 'POST',
      url: '/api/check-ins',
      headers: { authorization: `Bearer ${tree.tokens.sec1}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ branchId: tree.ids.branch1, profile: { ...prof, name: '张三', address: 'X' } }).replace('"X"', '"\\ud800"'),
    });
    expectRefused({ status: surrogate.statusCode, body: surrogate.json() }, 'body.profile.address', 'lone surrogate U+D800 is not allowed');
    expectRefused(
      await call(
        sys.app,
        'POST',
        '/api/check-ins',
        tree.tokens.sec1,
        { branchId: tree.ids.branch1, profile: { ...prof, name: '张三' } },
        { 'idempotency-key': 'k\u0085' },
      ),
      'headers.idempotency-key',
      'control character U+0085 is not allowed',
    );
    expect(await sys.db.selectFrom('members').select('id').where('id_number', '=', prof.idNumber).execute()).toEqual([]);

    // Free text keeps its line breaks and tabs; U+0085 (NEL, a C1 control) is refused there too.
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    expectRefused(
      await call(sys.app, 'POST', '/api/deletions', tree.tokens.sec1, { memberId, category: 'left', reason: 'moved\u0085away' }),
      'body.reason',
      'control character U+0085 is not allowed',
    );
    expect(await sys.db.selectFrom('processes').select('id').where('member_id', '=', memberId).where('kind', '=', 'deletion').execute()).toEqual([]);
    const applied = await call(sys.app, 'POST', '/api/deletions', tree.tokens.sec1, { memberId, category: 'left', reason: 'moved away\n\tfor good\r\nsigned' });
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    const event = await sys.db
      .selectFrom('events')
      .select('payload')
      .where('process_id', '=', applied.body.processId)
      .where('type', '=', 'deletion.applied')
      .executeTakeFirstOrThrow();
    expect((event.payload as { reason: string }).reason).toBe('moved away\n\tfor good\r\nsigned');

    // The peer routes: the signature is checked first (401), then the body (400).
    const announce = {
      transferId: randomUUID(),
      fromProvince: 'hn',
      toBranchId: tree.ids.branch1,
      member: { name: '李\u0000四', idNumber: idNumber(), joinDate: '2016-05-04' },
    };
    const path = '/peer/v1/transfers/announce';
    const unsigned = await sys.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(announce) });
    expect(unsigned.statusCode).toBe(401);
    const body = JSON.stringify(announce);
    const signed = await sys.app.inject({
      method: 'POST',
      url: path,
      headers: signedHeaders('hn', PEER_KEY, { method: 'POST', path, idempotencyKey: randomUUID(), body }),
      payload: body,
    });
    expectRefused({ status: signed.statusCode, body: signed.json() }, 'body.member.name', U0000);
  });

  it('input: a roster or dues CSV cell with a control character fails that row only, naming the line and the column', async () => {
    const grad = `${tree.ids.school1}-g${randomUUID().slice(0, 6)}`;
    await importOrgs(sys.app, [
      {
        id: grad,
        parentId: tree.ids.school1,
        name: '毕业生团支部',
        kind: 'branch',
        specialKind: 'graduate',
        graduationDate: '2026-06-30',
        contactPhone: '0755-11112222',
      },
    ]);
    const secretary = await actorToken(sys.app, 'branch_secretary', grad);
    const ids = [idNumber('20000301'), idNumber('20000302'), idNumber('20000303')];
    const members: string[] = [];
    for (const id of ids) members.push(await activeMember(sys.app, grad, secretary, { idNumber: id }));
    const roster = ['idNumber,toOrgId', `${ids[0]},${tree.ids.branch3}`, `${ids[1]},${tree.ids.branch3}\u0000`, `${ids[2]},x\u0085y`, ''].join('\n');
    const r = await csvPost('/api/transfers/graduates/import', tree.tokens.school1, roster, `roster-${randomUUID()}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ started: 1, failed: 2 });
    expect(r.body.rows).toMatchObject([
      { line: 2, status: 'started' },
      { line: 3, status: 'failed', error: { status: 400, fields: [{ field: 'toOrgId', message: U0000 }] } },
      { line: 4, status: 'failed', error: { status: 400, fields: [{ field: 'toOrgId', message: 'control character U+0085 is not allowed' }] } },
    ]);
    // Line numbers of the whole file when the CLI sends a part (firstLine).
    const part = await csvPost(
      '/api/transfers/graduates/import?firstLine=10',
      tree.tokens.school1,
      ['idNumber,toOrgId', `${ids[1]},a\tb`].join('\n'),
      `roster-${randomUUID()}`,
    );
    expect(part.body.rows).toMatchObject([{ line: 11, status: 'failed', error: { fields: [{ field: 'toOrgId' }] } }]);
    for (const m of members.slice(1)) {
      expect(await sys.db.selectFrom('processes').select('id').where('member_id', '=', m).where('kind', '=', 'transfer').execute()).toEqual([]);
    }

    const payer = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const month = monthOf(new Date());
    const dues = ['memberId,month,amountCents', `${payer},${month},300`, `${payer},${month},3\u00070`].join('\n');
    const d = await csvPost('/api/dues/payments/batch', tree.tokens.sec1, dues, `dues-${randomUUID()}`);
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    expect(d.body.rows).toMatchObject([
      { line: 2, status: 'recorded' },
      { line: 3, status: 'failed', error: { status: 400, fields: [{ field: 'amountCents', message: 'control character U+0007 is not allowed' }] } },
    ]);
  });

  it('input: a NUL reaching a check-in workflow directly fails its first write once (InvalidData), and the workflow closes within seconds', async () => {
    const memberId = randomUUID();
    const processId = randomUUID();
    const branch = await sys.db.selectFrom('organizations').selectAll().where('id', '=', tree.ids.branch1).executeTakeFirstOrThrow();
    const started = Date.now();
    const handle = await sys.env.client.workflow.start(checkIn, {
      workflowId: checkInWorkflowId(memberId),
      taskQueue: sys.config.taskQueue,
      workflowExecutionTimeout: '1 minute',
      args: [
        {
          processId,
          memberId,
          branchId: branch.id,
          branchPath: branch.path,
          parentOrgId: branch.parent_id,
          submittedBy: 'test',
          linkActorId: null,
          profile: { ...profile(), name: '王\u0000五' },
          timing: sys.config.timing.checkIn,
        },
      ],
    });
    const error = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    let failure: ApplicationFailure | undefined;
    for (let c = error; c instanceof Error; c = (c as Error & { cause?: unknown }).cause) if (c instanceof ApplicationFailure) failure = c;
    expect(failure?.type).toBe('InvalidData');
    expect(failure?.nonRetryable).toBe(true);
    expect(failure?.message).not.toContain('王');
    expect((await handle.describe()).status.name).toBe('FAILED');

    // Attempted once: no activity task started again, no local activity marker past attempt 1.
    const history = await handle.fetchHistory();
    expect(history.events!.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1)).toEqual([]);
    const markers = history.events!.flatMap((e) => (e.markerRecordedEventAttributes ? [e.markerRecordedEventAttributes] : []));
    expect(markers.length).toBeGreaterThan(0);
    const attempts: unknown[] = [];
    for (const m of markers) {
      const data = m.details?.data?.payloads?.[0];
      if (!data) continue;
      const [plain] = await dataConverter.payloadCodecs![0]!.decode([data as never]);
      attempts.push((JSON.parse(Buffer.from(plain!.data!).toString()) as { attempt?: number }).attempt);
    }
    expect(attempts.length).toBeGreaterThan(0);
    expect(
      attempts.every((a) => a === 1),
      JSON.stringify(attempts),
    ).toBe(true);
    expect(await sys.db.selectFrom('members').select('id').where('id', '=', memberId).execute()).toEqual([]);
    expect(await sys.db.selectFrom('processes').select('id').where('id', '=', processId).execute()).toEqual([]);
  });
  it('Idempotency-Key (issue 20): simultaneous sends of one award with one key record it once, and every send gets the first answer', async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const key = `award-${randomUUID()}`;
    const send = (body = testAward()) => call(sys.app, 'POST', `/api/members/${memberId}/awards`, tree.tokens.sec1, body, { 'idempotency-key': key });
    const answers = await Promise.all([send(), send(), send()]);
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(201);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await sys.db.selectFrom('awards').select('id').where('member_id', '=', memberId).execute()).toEqual([{ id: answers[0]!.body.id }]);
    // Later: the same answer again; the key with another body is refused, and records nothing.
    expect(await send()).toEqual(answers[0]);
    const other = await send(testAward({ kind: '优秀团干部' }));
    expect(other.status).toBe(422);
    expect(other.body.fields).toContainEqual({ field: 'headers.idempotency-key', message: 'reused with a different body' });
    expect(await sys.db.selectFrom('awards').select('id').where('member_id', '=', memberId).execute()).toHaveLength(1);
  });

  it('Idempotency-Key (issue 20): a key is claimed before the work; a second request waits for that answer (409 "in progress" past its bound), takes over a failed or stale claim', async () => {
    const actor = `test-${randomUUID()}`;
    const claimed = async (key: string) => {
      for (let i = 0; i < 200; i++) {
        if (await sys.db.selectFrom('idempotent_requests').select('key').where('actor_id', '=', actor).where('key', '=', key).executeTakeFirst()) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`${key} was never claimed`);
    };
    let runs = 0;
    const work = (n: number, gate?: Promise<void>) => async () => {
      runs++;
      await gate;
      return { statusCode: 201, response: { n } };
    };

    // The first request is still running: a second one with a short bound is told 409; one that waits gets its answer.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const first = answerOnce(sys.db, actor, 'k1', { a: 1 }, work(1, gate));
    await claimed('k1');
    await expect(answerOnce(sys.db, actor, 'k1', { a: 1 }, work(2), { waitMs: 200 })).rejects.toMatchObject({
      problem: { kind: 'conflict', fields: [{ field: 'headers.idempotency-key', message: 'in progress' }] },
    });
    const waiting = answerOnce(sys.db, actor, 'k1', { a: 1 }, work(3), { waitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 150));
    open();
    expect(await first).toEqual({ statusCode: 201, response: { n: 1 } });
    expect(await waiting).toEqual({ statusCode: 201, response: { n: 1 } });
    expect(runs).toBe(1);
    await expect(answerOnce(sys.db, actor, 'k1', { a: 2 }, work(4))).rejects.toMatchObject({ problem: { kind: 'rule', rule: 'Idempotency-Key' } });

    // The first request fails: its claim is released, and the one waiting does the work.
    let fail!: (e: Error) => void;
    const failure = new Promise<never>((_, reject) => (fail = reject));
    const failing = answerOnce(sys.db, actor, 'k2', { a: 1 }, () => failure);
    await claimed('k2');
    const next = answerOnce(sys.db, actor, 'k2', { a: 1 }, work(5), { waitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 150));
    fail(new Error('the first attempt failed'));
    await expect(failing).rejects.toThrow('the first attempt failed');
    expect(await next).toEqual({ statusCode: 201, response: { n: 5 } });

    // A claim whose request died long ago (no answer after CLAIM_STALE_MS) is taken over.
    await sys.db
      .insertInto('idempotent_requests')
      .values({
        actor_id: actor,
        key: 'k3',
        request_hash: requestHash({ a: 1 }),
        status_code: null,
        response: null,
        created_at: new Date(Date.now() - 3_600_000),
      })
      .execute();
    expect(await answerOnce(sys.db, actor, 'k3', { a: 1 }, work(6), { waitMs: 1000 })).toEqual({ statusCode: 201, response: { n: 6 } });
    const stored = await sys.db.selectFrom('idempotent_requests').select(['status_code', 'response']).where('actor_id', '=', actor).orderBy('key').execute();
    expect(stored).toEqual([
      { status_code: 201, response: { n: 1 } },
      { status_code: 201, response: { n: 5 } },
      { status_code: 201, response: { n: 6 } },
    ]);
  });
});
