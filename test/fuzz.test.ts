// API fuzzing from /openapi.json: requests generated from each route's own schemas (and mutated beyond
// them, stray fields included), sent with every kind of token. No 5xx, a stray field is always a 400 naming it,
// and nothing invalid ever reaches the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { ADMIN_TOKEN, activeMember, call, newMemberToken, openTestCampaign, orgPath, profile, seedTree, startSystem, type System, type Tree } from './harness';

/** The root of a tree `seedTree` made (test/system.ts): another test file's, unless it is this file's own. */
const SEEDED_ROOT = /^t[0-9a-f]{8}-gd\//;
import { creditCodeProblem, idNumberProblem } from '../domain/identifiers';
import { profileRuleProblems } from '../domain/members';
import { textProblem, type TextKind } from '../domain/text';

let sys: System;
let tree: Tree;
let memberToken: string;

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
};

/** C0, DEL, C1 and lone surrogates: PostgreSQL refuses NUL and surrogates, the API refuses them all (400). */
const controlChar = fc
  .oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 0x1f }) },
    { weight: 1, arbitrary: fc.constant(0x7f) },
    { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0x9f }) },
    { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }) },
  )
  .map((c) => String.fromCharCode(c));

/** `base`'s strings with one to three control characters slipped in somewhere. */
function withControl(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(base, fc.nat(), fc.array(controlChar, { minLength: 1, maxLength: 3 })).map(([s, at, cs]) => {
    const i = at % (s.length + 1);
    return s.slice(0, i) + cs.join('') + s.slice(i);
  });
}

/** A URL part, lone surrogates included (encodeURIComponent throws on them): their WTF-8 bytes, percent-encoded. */
function encodePart(s: string): string {
  return s.replace(/[^]/gu, (ch) => {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff)
      return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    return encodeURIComponent(ch);
  });
}

/** A field name none of `known` is: the typos of issue 20, or a generated one. */
function unknownName(known: string[]): fc.Arbitrary<string> {
  return fc
    .oneof(fc.constantFrom('excellentCAP', 'revoked', 'voidedBy', 'width'), fc.stringMatching(/^[a-z][A-Za-z0-9]{0,11}$/))
    .filter((k) => !known.includes(k));
}

/** Mostly within the schema; one string in four carries control characters. */
function stringArb(s: Schema, name: string): fc.Arbitrary<string> {
  const base = schemaStringArb(s, name);
  return fc.oneof({ weight: 3, arbitrary: base }, { weight: 1, arbitrary: withControl(base) });
}

function schemaStringArb(s: Schema, name: string): fc.Arbitrary<string> {
  if (name === 'idNumber') return fc.oneof(fc.constant(profile().idNumber), fc.string({ maxLength: 20 }));
  if (s.format === 'uuid') return fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }));
  if (s.format === 'date')
    return fc.oneof(
      fc.date({ min: new Date('1900-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      fc.string({ maxLength: 12 }),
    );
  if (s.format === 'date-time')
    return fc.oneof(
      fc.date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2100-01-01') }).map((d) => d.toISOString()),
      fc.string({ maxLength: 30 }),
    );
  if (s.pattern) {
    try {
      return fc.oneof(
        fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length <= (s.maxLength ?? 200)),
        fc.string({ maxLength: 30 }),
      );
    } catch {
      /* a pattern fast-check cannot read */
    }
  }
  return fc.string({ minLength: 0, maxLength: Math.min(s.maxLength ?? 40, 60) });
}

/** An arbitrary for a JSON schema, mostly within it, sometimes beyond it. */
function arb(s: Schema | undefined, name = '', depth = 0): fc.Arbitrary<unknown> {
  if (!s || depth > 6) return fc.jsonValue({ maxDepth: 2 });
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return fc.oneof(...alts.map((a) => arb(a, name, depth + 1)));
  if (s.allOf) return arb(Object.assign({}, ...s.allOf), name, depth + 1);
  if (s.enum) return fc.constantFrom(...s.enum);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  let base: fc.Arbitrary<unknown>;
  switch (type) {
    case 'string':
      base = stringArb(s, name);
      break;
    case 'integer':
      base = fc.integer({ min: s.minimum ?? -5, max: Math.min(s.maximum ?? 500, 1e6) });
      break;
    case 'number':
      base = fc.double({ noNaN: true });
      break;
    case 'boolean':
      base = fc.boolean();
      break;
    case 'array':
      base = fc.array(arb(s.items, name, depth + 1), { maxLength: 3 });
      break;
    case 'object': {
      const props = s.properties ?? {};
      const model = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, arb(v, k, depth + 1)]));
      base = fc.record(model, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
      break;
    }
    default:
      base = fc.jsonValue({ maxDepth: 2 });
  }
  // One value in ten ignores the schema altogether.
  return fc.oneof({ weight: 9, arbitrary: base }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
}

interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string; schema?: Schema }[];
  body?: Schema;
  /** The content types of a body sent as a file (an upload: CSV, .xlsx, a PDF or an image), when not JSON. */
  fileTypes: string[];
}

/** How files of these types begin: some generated files start right, so they reach past the type check. */
const SIGNATURES: Record<string, number[]> = {
  'application/pdf': [...Buffer.from('%PDF-1.7\n')],
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'image/jpeg': [0xff, 0xd8, 0xff, 0xe0],
  'text/csv': [...Buffer.from('idNumber,memberId,month,amountCents,toOrgId\n')],
};

/** A file body for one of the route's types: random bytes, bytes that begin as the type's do, or text with control characters. */
function fileArb(types: string[]): fc.Arbitrary<{ type: string; bytes: Buffer }> {
  return fc
    .record({
      type: fc.oneof(
        { weight: 9, arbitrary: fc.constantFrom(...types) },
        { weight: 1, arbitrary: fc.constantFrom('image/gif', 'text/plain', 'application/octet-stream') },
      ),
      bytes: fc.oneof(
        fc.uint8Array({ maxLength: 2000 }),
        fc.tuple(fc.constantFrom(...Object.values(SIGNATURES)), fc.uint8Array({ maxLength: 500 })).map(([sig, rest]) => Uint8Array.from([...sig, ...rest])),
        withControl(fc.string({ maxLength: 300 })).map((t) => new TextEncoder().encode(t)),
      ),
    })
    .map(({ type, bytes }) => ({ type, bytes: Buffer.from(bytes) }));
}

beforeAll(async () => {
  sys = await startSystem();
  tree = await seedTree(sys.app);
  memberToken = await newMemberToken(sys.app);
});
afterAll(async () => {
  await sys?.stop();
});

describe('API fuzzing', () => {
  it('R1-R21, R24: generated requests to every route get no 5xx, and nothing invalid is persisted', async () => {
    const spec = (await sys.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { parameters?: Operation['params']; requestBody?: { content?: Record<string, { schema: Schema }> } }>>;
    };
    const ops: Operation[] = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        params: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema,
        fileTypes: Object.keys(op.requestBody?.content ?? {}).filter((t) => t !== 'application/json'),
      })),
    );
    expect(ops.length).toBeGreaterThanOrEqual(10);
    // Real ids too, so some requests reach deeper than a 404.
    const real = await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec1, { branchId: tree.ids.branch1, profile: profile() });
    // An active member who joined after 2020, whose application form may be uploaded (R24).
    const recent = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1, { joinDate: '2021-05-04' });
    // A punishment of that member (R23), so the revocation route reaches past its 404.
    const award = await call(sys.app, 'POST', `/api/members/${recent}/awards`, tree.tokens.sec1, {
      type: 'punishment',
      kind: '通报批评',
      level: 'branch',
      decidedOn: '2025-05-04',
      decidingOrg: '高一(1)班团支部',
      documentNumber: '1号',
    });
    expect(award.status).toBe(201);
    // A campaign of the tree's province and branch1's task (R22), so its routes reach past their 404.
    const campaign = await openTestCampaign(sys, tree);
    const ids = [
      real.body.processId,
      real.body.memberId,
      recent,
      award.body.id,
      campaign.campaignId,
      campaign.tasks.branch1,
      tree.ids.branch1,
      tree.ids.school1,
    ];
    const tokens = [ADMIN_TOKEN, tree.tokens.province, tree.tokens.sec1, tree.tokens.city1, memberToken, 'not-a-token', undefined];

    const request = fc.constantFrom(...ops).chain((op) =>
      fc.record({
        // Issue 20: one request in five carries a field its schema does not declare, in the body or the query.
        extraBody: op.body?.properties ? fc.option(unknownName(Object.keys(op.body.properties)), { freq: 4 }) : fc.constant(null),
        extraQuery: op.params.some((p) => p.in === 'query') ? fc.option(unknownName(op.params.map((p) => p.name)), { freq: 4 }) : fc.constant(null),
        op: fc.constant(op),
        token: fc.constantFrom(...tokens),
        path: fc.record(
          Object.fromEntries(
            op.params.filter((p) => p.in === 'path').map((p) => [p.name, fc.oneof(fc.constantFrom(...ids), stringArb(p.schema ?? {}, p.name))]),
          ),
        ),
        query: fc.record(Object.fromEntries(op.params.filter((p) => p.in === 'query').map((p) => [p.name, arb(p.schema, p.name)])), { requiredKeys: [] }),
        idem: fc.option(fc.string({ minLength: 1, maxLength: 10 })),
        body: op.body ? arb(op.body) : fc.constant(undefined),
        file: !op.body && op.fileTypes.length > 0 ? fileArb(op.fileTypes) : fc.constant(undefined),
      }),
    );

    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
        const extraBody = r.extraBody !== null && isObject(r.body) ? r.extraBody : null;
        const body = extraBody !== null ? { ...(r.body as Record<string, unknown>), [extraBody]: 'stray' } : r.body;
        const query = { ...(r.query as Record<string, unknown>), ...(r.extraQuery !== null ? { [r.extraQuery]: 'stray' } : {}) };
        const url =
          r.op.path.replace(/\{(\w+)\}/g, (_, n: string) => encodePart(String((r.path as Record<string, unknown>)[n] ?? 'x'))) +
          '?' +
          Object.entries(query)
            .map(([k, v]) => `${encodePart(k)}=${encodePart(typeof v === 'string' ? v : JSON.stringify(v))}`)
            .join('&');
        const res = await sys.app.inject({
          method: r.op.method as 'GET',
          url,
          headers: {
            ...(r.token ? { authorization: `Bearer ${r.token}` } : {}),
            ...(r.idem ? { 'idempotency-key': r.idem } : {}),
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(r.file ? { 'content-type': r.file.type } : {}),
          },
          ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
          ...(r.file ? { payload: r.file.bytes } : {}),
        });
        const key = `${r.op.method} ${r.op.path} ${res.statusCode}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        if (res.statusCode >= 500) throw new Error(`${r.op.method} ${url} -> ${res.statusCode} ${res.body.slice(0, 300)}`);
        // A stray field is refused (400) by every request that reaches validation: routed (a generated path parameter
        // may leave the route: empty, "..", too long, not UTF-8), signed in (the peers' routes check a signature
        // first, these requests have none), a file of a type the route takes. It is named, unless a part validated
        // before it (params, then body, then query) was refused already.
        const answer = (() => {
          try {
            return res.json() as { fields?: { field: string }[]; message?: string; code?: string };
          } catch {
            return {};
          }
        })();
        const routed = !(res.statusCode === 404 && /^Route .* not found$/.test(answer.message ?? '')) && answer.code !== 'FST_ERR_BAD_URL';
        const signedIn = r.op.path.startsWith('/codec/') || (r.op.path.startsWith('/api/') && r.token !== undefined && r.token !== 'not-a-token');
        const fileTaken = !r.file || r.op.fileTypes.includes(r.file.type);
        const stray = extraBody !== null ? `body.${extraBody}` : r.extraQuery !== null ? `querystring.${r.extraQuery}` : undefined;
        if (stray && routed && signedIn && fileTaken) {
          expect(res.statusCode, `${r.op.method} ${url}: ${res.body.slice(0, 300)}`).toBe(400);
          const fields = (answer.fields ?? []).map((f) => f.field);
          const earlier = fields.some((f) => f.startsWith('params.') || (stray.startsWith('querystring.') && f.startsWith('body')));
          if (!earlier) expect(fields, `${r.op.method} ${url}`).toContain(stray);
        }
      }),
      { numRuns: Number(process.env.TUANWU_FUZZ_RUNS ?? 1000), seed: Number(process.env.TUANWU_FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    if (process.env.TUANWU_FUZZ_REPORT)
      console.log(
        [...seen]
          .sort()
          .map(([k, n]) => `${k}: ${n}`)
          .join('\n'),
      );
    // Some requests passed validation and were accepted, so the fuzzer reached past the schemas.
    expect([...seen.keys()].some((k) => / 20[01]$/.test(k))).toBe(true);

    // Nothing invalid persisted: every stored identifier and profile satisfies the rules. The other test files' trees
    // (seedTree roots) are left out: a file may write legacy data around the API on purpose (R21's invalid data).
    const ours = await orgPath(sys, tree.ids.province);
    const ownData = (path: string | null) => path === null || path.startsWith(ours) || !SEEDED_ROOT.test(path);
    const members = (
      await sys.db
        .selectFrom('members')
        .leftJoin('organizations', 'organizations.id', 'members.branch_id')
        .select(['members.id_number', 'members.join_date', 'members.development_number', 'organizations.path'])
        .execute()
    ).filter((m) => ownData(m.path));
    for (const m of members) {
      expect(idNumberProblem(m.id_number)).toBeUndefined();
      expect(profileRuleProblems({ idNumber: m.id_number, joinDate: m.join_date, developmentNumber: m.development_number ?? undefined }, new Date())).toEqual(
        [],
      );
    }
    const orgs = (await sys.db.selectFrom('organizations').select(['credit_code', 'path', 'parent_id', 'kind']).execute()).filter((o) => ownData(o.path));
    for (const o of orgs) if (o.credit_code) expect(creditCodeProblem(o.credit_code)).toBeUndefined();
    // Nothing with a control character persisted: names one line, free text (event payloads) at most \t \n \r.
    const strings = (v: unknown): string[] =>
      typeof v === 'string' ? [v] : v !== null && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [k, ...strings(x)]) : [];
    const stored: { where: string; text: string; kind: TextKind }[] = [];
    const keep = (where: string, value: unknown, kind: TextKind) => stored.push(...strings(value).map((text) => ({ where, text, kind })));
    for (const m of await sys.db.selectFrom('members').select(['name', 'details']).execute()) keep('members', [m.name, m.details], 'single-line');
    for (const o of await sys.db.selectFrom('organizations').select('name').execute()) keep('organizations.name', o.name, 'single-line');
    for (const a of await sys.db.selectFrom('actors').select('label').execute()) keep('actors.label', a.label, 'single-line');
    for (const e of await sys.db.selectFrom('events').select('payload').execute()) keep('events.payload', e.payload, 'free-text');
    for (const a of await sys.db.selectFrom('awards').select(['kind', 'level', 'deciding_org', 'document_number', 'revoke_reason']).execute()) {
      keep('awards', [a.kind, a.level, a.deciding_org, a.document_number], 'single-line');
      keep('awards.revoke_reason', a.revoke_reason, 'free-text');
    }
    for (const r of await sys.db.selectFrom('campaign_registrations').select('reason').execute()) keep('campaign_registrations.reason', r.reason, 'free-text');
    for (const x of await sys.db.selectFrom('campaign_extensions').select('reason').execute()) keep('campaign_extensions.reason', x.reason, 'free-text');
    for (const x of stored) expect(textProblem(x.text, x.kind), `${x.where}: ${JSON.stringify(x.text)}`).toBeUndefined();
    // R24: every stored application form is what was sent (its SHA-256) and begins as its type's files do.
    const forms = await sys.db
      .selectFrom('application_forms')
      .innerJoin('members', 'members.id', 'application_forms.member_id')
      .select(['content', 'content_type', 'sha256'])
      .where('members.branch_id', 'in', [tree.ids.branch1, tree.ids.branch2, tree.ids.branch3])
      .execute();
    for (const f of forms) {
      expect(createHash('sha256').update(f.content).digest('hex')).toBe(f.sha256);
      expect([...f.content.subarray(0, 3)]).toEqual(SIGNATURES[f.content_type]!.slice(0, 3));
    }
    const branchIds = new Set((await sys.db.selectFrom('organizations').select('id').where('kind', '=', 'branch').execute()).map((o) => o.id));
    // Of this file's tree and the fuzzer's own: the other files' trees may hold legacy data written on purpose (R21).
    const memberBranches = (
      await sys.db
        .selectFrom('members')
        .leftJoin('organizations', 'organizations.id', 'members.branch_id')
        .select(['members.branch_id', 'members.status', 'organizations.kind', 'organizations.path'])
        .execute()
    ).filter((m) => ownData(m.path));
    for (const m of memberBranches) expect(m.branch_id === null || branchIds.has(m.branch_id), JSON.stringify(m)).toBe(true);
  });
});
