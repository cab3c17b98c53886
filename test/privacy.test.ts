// One privacy policy (issue 20, domain/privacy.ts): every GET route whose response tags personal data (`x-pii` in
// /openapi.json) is called as each kind of reader, and every tagged value is whole for the member and their branch,
// masked for every level above, and refused to anyone else. Then the two defects the issue found, by rule.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { activeMember, actorToken, call, idNumber, importOrgs, memberActorToken, profile, useSystemWithTree } from './harness';
import { isPiiKind, maskPii, personalView, PII_EXTENSION, type PiiKind } from '../domain/privacy';
import type { Principal } from '../domain/authz';

const ctx = useSystemWithTree();

type Schema = {
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  [PII_EXTENSION]?: string | { namedBy: string };
};
type Spec = { paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> }>> };

/** Where a response holds a tagged field: the property names down to it ('[]' for an array's items) and its tag. */
interface Spot {
  at: string[];
  tag: NonNullable<Schema[typeof PII_EXTENSION]>;
}

function spots(s: Schema | undefined, at: string[] = [], out: Spot[] = []): Spot[] {
  if (!s || typeof s !== 'object') return out;
  if (s[PII_EXTENSION] !== undefined) out.push({ at, tag: s[PII_EXTENSION]! });
  for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) spots(alt, at, out);
  for (const [name, p] of Object.entries(s.properties ?? {})) spots(p, [...at, name], out);
  if (s.items) spots(s.items, [...at, '[]'], out);
  return out;
}

/** The values at a spot of a body, each with the object that holds it (a `namedBy` tag reads its sibling there). */
function valuesAt(body: unknown, at: string[]): { value: unknown; holder: Record<string, unknown> }[] {
  let level: { value: unknown; holder: Record<string, unknown> }[] = [{ value: body, holder: {} }];
  for (const step of at) {
    const next: typeof level = [];
    for (const { value } of level) {
      if (step === '[]') {
        if (Array.isArray(value)) for (const v of value) next.push({ value: v, holder: {} });
      } else if (value && typeof value === 'object' && step in value) {
        next.push({ value: (value as Record<string, unknown>)[step], holder: value as Record<string, unknown> });
      }
    }
    level = next;
  }
  return level;
}

/** The seeded person's data, whole: every value a tagged field may show. */
const ID = idNumber('20010315');
const KNOWN: Record<PiiKind, string[]> = {
  idNumber: [ID],
  phone: ['13800138000', '13912345678'],
  address: ['深圳市福田区华强北路1号', '深圳市南山区科技园'],
  birthDate: ['2001-03-15'],
};

/** Whether a shown value is one of the person's values whole, or one of them masked; anything else is a failure. */
function seen(kind: PiiKind, v: unknown): 'whole' | 'masked' | `unexpected ${string}` {
  if (typeof v !== 'string') return `unexpected ${JSON.stringify(v)}`;
  if (KNOWN[kind].includes(v)) return 'whole';
  const masked = KNOWN[kind].some((w) => maskPii(kind, w) === v && v !== w && v.includes('*'));
  return masked ? 'masked' : `unexpected ${v}`;
}

type Sees = 'whole' | 'masked' | 'nothing';

let memberId: string;
let memberToken: string;

beforeAll(async () => {
  const { app } = ctx.sys;
  const { ids, tokens } = ctx.tree;
  memberId = await activeMember(app, ids.branch1, tokens.sec1, { idNumber: ID, phone: KNOWN.phone[0], address: KNOWN.address[0] });
  memberToken = await memberActorToken(app, memberId);
  // R6: a change of phone and address, so the history holds both values (old and new) of each.
  const patched = await call(app, 'PATCH', `/api/members/${memberId}`, memberToken, { phone: KNOWN.phone[1], address: KNOWN.address[1] });
  if (patched.status !== 200) throw new Error(`patch failed: ${JSON.stringify(patched.body)}`);
  // R8: the member is also the branch's secretary (a cadre with the same ID number).
  const cadre = await call(app, 'POST', `/api/organizations/${ids.branch1}/cadres`, tokens.sec1, {
    name: '张三',
    idNumber: ID,
    role: 'secretary',
    post: '书记',
    termStart: '2025-01-01',
  });
  if (cadre.status !== 201) throw new Error(`cadre failed: ${JSON.stringify(cadre.body)}`);
});

describe('one privacy policy over every route (issue 20)', () => {
  it('PII: every GET route whose response tags personal data shows it whole to the member and their branch, masked to the school, the city and the province, and nothing to another branch or an unrelated county', async () => {
    const { app } = ctx.sys;
    const { ids, tokens } = ctx.tree;
    const spec = (await call<Spec>(app, 'GET', '/openapi.json')).body;
    const routes = Object.entries(spec.paths).flatMap(([path, ops]) => {
      const schema = ops.get?.responses?.['200']?.content?.['application/json']?.schema;
      const found = spots(schema);
      return found.length > 0 ? [{ path, spots: found }] : [];
    });
    // The routes the issue names are tagged; a new tagged route is walked too (and needs a seeded value below).
    expect(routes.map((r) => r.path)).toEqual(expect.arrayContaining(['/api/members/{id}', '/api/members/{id}/history', '/api/organizations/{id}/cadres']));

    /** A path parameter, by the collection it names: the seeded member, or the member's branch. */
    const seeded: Record<string, string> = { members: memberId, organizations: ids.branch1 };
    const readers: { who: string; token: string; sees: Sees }[] = [
      { who: 'the member', token: memberToken, sees: 'whole' },
      { who: 'the branch secretary', token: tokens.sec1, sees: 'whole' },
      { who: 'the school (the direct superior)', token: tokens.school1, sees: 'masked' },
      { who: 'the city', token: tokens.city1, sees: 'masked' },
      { who: 'the province', token: tokens.province, sees: 'masked' },
      { who: 'another branch', token: tokens.sec2, sees: 'nothing' },
      { who: 'an unrelated county', token: tokens.county2, sees: 'nothing' },
    ];

    const failures: string[] = [];
    for (const route of routes) {
      const segments = route.path.split('/');
      const url = segments
        .map((seg, i) => {
          const param = /^\{(.+)\}$/.exec(seg);
          if (!param) return seg;
          const value = seeded[segments[i - 1] ?? ''];
          if (!value) throw new Error(`${route.path}: no seeded value for {${param[1]}}: add one to \`seeded\``);
          return encodeURIComponent(value);
        })
        .join('/');
      let answered = { whole: 0, masked: 0 };
      for (const r of readers) {
        const res = await call(app, 'GET', url, r.token);
        if (r.sees === 'nothing') {
          if (res.status !== 403) failures.push(`${route.path} as ${r.who}: ${res.status}, expected 403`);
          continue;
        }
        // The member may not read an organization's lists (domain/authz.ts); every other whole or masked reader may.
        if (res.status === 403 && r.who === 'the member') continue;
        if (res.status !== 200) {
          failures.push(`${route.path} as ${r.who}: ${res.status} ${JSON.stringify(res.body)}`);
          continue;
        }
        let shown = 0;
        for (const spot of route.spots) {
          for (const { value, holder } of valuesAt(res.body, spot.at)) {
            const kind = typeof spot.tag === 'string' ? spot.tag : holder[spot.tag.namedBy];
            if (!isPiiKind(kind)) continue;
            if (value === undefined || value === null) continue;
            shown += 1;
            const s = seen(kind, value);
            if (s !== r.sees) failures.push(`${route.path} ${spot.at.join('.')} (${kind}) as ${r.who}: ${s}, expected ${r.sees}`);
          }
        }
        if (shown === 0) failures.push(`${route.path} as ${r.who}: no tagged value in the answer (the seeded data does not reach it)`);
        answered = { ...answered, [r.sees]: answered[r.sees as 'whole' | 'masked'] + 1 };
      }
      // Each route was read whole by someone and masked by someone: the walk proves both sides of the policy.
      if (answered.whole === 0 || answered.masked === 0) failures.push(`${route.path}: read whole ${answered.whole}, masked ${answered.masked} times`);
    }
    expect(failures).toEqual([]);
  });
});

describe('the two defects of issue 20', () => {
  it('PII (R6): a city admin reads the member’s phone and address masked in GET /api/members/{id}, exactly as /history shows them; the branch reads both whole', async () => {
    const { app } = ctx.sys;
    const { tokens } = ctx.tree;
    const city = await call(app, 'GET', `/api/members/${memberId}`, tokens.city1);
    expect(city.status).toBe(200);
    expect(city.body.details).toMatchObject({ phone: '139****5678', address: '深圳市***' });
    expect(JSON.stringify(city.body)).not.toContain(KNOWN.phone[1]);
    expect(JSON.stringify(city.body)).not.toContain(KNOWN.address[1]);
    const history = await call(app, 'GET', `/api/members/${memberId}/history`, tokens.city1);
    const change = history.body.items.find((i: { type: string }) => i.type === 'member.updated');
    const to = Object.fromEntries((change.changes as { field: string; to: unknown }[]).map((c) => [c.field, c.to]));
    expect(to).toEqual({ phone: city.body.details.phone, address: city.body.details.address });

    const branch = await call(app, 'GET', `/api/members/${memberId}`, tokens.sec1);
    expect(branch.body.details).toMatchObject({ phone: KNOWN.phone[1], address: KNOWN.address[1] });
    expect(branch.body.idNumber).toBe(ID);
  });

  it('PII (R8): a school committee reads the ID numbers of its branch’s two secretaries (the one whose term ended and the current one) masked, like the county, the city and the province; the branch reads them whole', async () => {
    const { app } = ctx.sys;
    const { ids, tokens } = ctx.tree;
    const branchId = `${ids.school1}-${randomBytes(3).toString('hex')}`;
    await importOrgs(app, [{ id: branchId, parentId: ids.school1, name: `支部 ${branchId}`, kind: 'branch', contactPhone: '0755-12340000' }]);
    const sec = await actorToken(app, 'branch_secretary', branchId);
    const county1 = await actorToken(app, 'committee_admin', ids.county1);
    const people = [idNumber('19950505'), idNumber('19960606')];
    const first = await call(app, 'POST', `/api/organizations/${branchId}/cadres`, sec, {
      name: '李四',
      idNumber: people[0],
      role: 'secretary',
      post: '书记',
      termStart: '2024-01-01',
    });
    expect(first.status).toBe(201);
    expect((await call(app, 'POST', `/api/organizations/${branchId}/cadres/${first.body.id}/end`, sec, { endedOn: '2024-12-31' })).status).toBe(200);
    // The school, as the direct superior, may enter the next one (R8, R20); it gets it back masked all the same.
    const second = await call(app, 'POST', `/api/organizations/${branchId}/cadres`, tokens.school1, {
      name: '王五',
      idNumber: people[1],
      role: 'secretary',
      post: '书记',
      termStart: '2025-01-01',
    });
    expect(second.status).toBe(201);
    expect(second.body.idNumber).toBe(maskPii('idNumber', people[1]!));

    const shown = async (token: string) => {
      const r = await call(app, 'GET', `/api/organizations/${branchId}/cadres`, token);
      expect(r.status).toBe(200);
      return (r.body.items as { idNumber: string }[]).map((c) => c.idNumber).sort();
    };
    const masked = people.map((p) => `${p.slice(0, 4)}************${p.slice(-2)}`).sort();
    for (const token of [tokens.school1, county1, tokens.city1, tokens.province]) expect(await shown(token)).toEqual(masked);
    expect(await shown(sec)).toEqual([...people].sort());
  });
});

describe('free text and exports go through the same policy', () => {
  it('PII (R2): a return reason naming the ID number shows it whole to the branch and masked to the city in the member’s history', async () => {
    const { app } = ctx.sys;
    const { ids, tokens } = ctx.tree;
    const prof = profile();
    const created = await call(app, 'POST', '/api/check-ins', tokens.sec1, { branchId: ids.branch1, profile: prof });
    expect(created.status).toBe(201);
    const reason = `请核对身份证号 ${prof.idNumber}`;
    expect((await call(app, 'POST', `/api/processes/${created.body.processId}/decisions`, tokens.sec1, { action: 'return', reason })).status).toBe(200);
    const reasonAs = async (token: string) => {
      const r = await call(app, 'GET', `/api/members/${created.body.memberId}/history`, token);
      expect(r.status).toBe(200);
      return (r.body.items as { reason?: string }[]).find((i) => i.reason)?.reason;
    };
    expect(await reasonAs(tokens.sec1)).toBe(reason);
    expect(await reasonAs(tokens.city1)).toBe(`请核对身份证号 ${maskPii('idNumber', prof.idNumber)}`);
    // The process's own timeline goes through the same policy.
    const timelineReasonAs = async (token: string) => {
      const r = await call(app, 'GET', `/api/processes/${created.body.processId}`, token);
      expect(r.status).toBe(200);
      return (r.body.timeline as { payload: { reason?: string } }[]).find((e) => e.payload.reason)?.payload.reason;
    };
    expect(await timelineReasonAs(tokens.sec1)).toBe(reason);
    expect(await timelineReasonAs(tokens.city1)).toBe(`请核对身份证号 ${maskPii('idNumber', prof.idNumber)}`);
  });

  it('PII (R5/R6): an event payload naming a changed personal field shows its values as the policy shows them, at any depth', () => {
    const above = personalView({ role: 'committee_admin', orgId: 'sz', orgPath: 'gd/sz/', actorId: 'a', memberId: null } satisfies Principal, {
      orgPath: 'gd/sz/ns/b1/',
      memberId: 'm',
    });
    const holder = personalView({ role: 'branch_secretary', orgId: 'b1', orgPath: 'gd/sz/ns/b1/', actorId: 'b', memberId: null } satisfies Principal, {
      orgPath: 'gd/sz/ns/b1/',
      memberId: 'm',
    });
    const payload = {
      requested: [
        { field: 'phone', from: KNOWN.phone[0], to: KNOWN.phone[1] },
        { field: 'name', from: '张三', to: '张四' },
      ],
      idNumber: ID,
      note: `ID ${ID}`,
    };
    expect(above.payload(payload)).toEqual({
      requested: [
        { field: 'phone', from: maskPii('phone', KNOWN.phone[0]!), to: maskPii('phone', KNOWN.phone[1]!) },
        { field: 'name', from: '张三', to: '张四' },
      ],
      idNumber: maskPii('idNumber', ID),
      note: `ID ${maskPii('idNumber', ID)}`,
    });
    expect(holder.payload(payload)).toEqual(payload);
  });

  it('PII: an .xlsx export by a committee masks cells shaped like an ID number; the branch’s export keeps what it read whole', async () => {
    const { app } = ctx.sys;
    const { tokens } = ctx.tree;
    const body = { sheet: 'members', columns: [{ key: 'idNumber', title: '身份证号' }], rows: [{ idNumber: ID }] };
    const cell = async (token: string) => {
      const res = await app.inject({ method: 'POST', url: '/api/reports/xlsx', headers: { authorization: `Bearer ${token}` }, payload: body });
      expect(res.statusCode, res.body).toBe(200);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(res.rawPayload as unknown as Parameters<ExcelJS.Xlsx['load']>[0]);
      return wb.worksheets[0]!.getRow(2).getCell(1).value;
    };
    expect(await cell(tokens.sec1)).toBe(ID);
    for (const token of [tokens.school1, tokens.city1, tokens.province]) expect(await cell(token)).toBe(maskPii('idNumber', ID));
  });
});
