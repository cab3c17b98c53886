// Issue 21: two clients driving one `npm start` at once were refused 422 "no such branch" for branches that exist,
// got 500 "unnamed prepared statement does not exist" and 503 protocol violations (08P01): the embedded database
// was shared by every connection at once. This drives `npm start` itself (test/npm-start.ts) with 32 clients for a
// minute, checks every answer against what must be true, then checks the state against the answers and the
// service's own log for 5xx and errors.
//
// TUANWU_CONCURRENCY_MS shortens the minute locally; TUANWU_CONCURRENCY_CLIENTS changes the 32.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { call, httpApp, idNumber, profile, testCampaignPlan, type CallResult } from './system';
import { startNpmStart, type NpmStart } from './npm-start';
import { DEMO_ORGS } from '../scripts/demo';

const DURATION_MS = Number(process.env.TUANWU_CONCURRENCY_MS ?? 60_000);
const CLIENTS = Number(process.env.TUANWU_CONCURRENCY_CLIENTS ?? 32);
/** The demo branches with a secretary (scripts/demo.ts), whose campaign tasks exist from the campaign's opening. */
const DEMO_BRANCHES = ['gd-sz-ft-sch1-b1', 'gd-sz-ft-sch1-b2'] as const;
/** Demo rows every client imports again as they are: always `unchanged`. */
const REIMPORTED = DEMO_ORGS.filter((o) => o.id === 'gd-sz-ft-sch1' || o.id === 'gd-sz-ft-sch1-b1');
const GRADES = ['excellent', 'qualified', 'basic', 'unqualified'] as const;

let sys: NpmStart;
let app: FastifyInstance;

/** Answers per route and status, and every answer that broke its oracle (status, route, why; no bodies with PII). */
class Tally {
  readonly counts = new Map<string, Map<string, number>>();
  readonly ms = new Map<string, number[]>();
  readonly wrong: string[] = [];
  count(route: string, status: number | string): void {
    const m = this.counts.get(route) ?? new Map<string, number>();
    m.set(String(status), (m.get(String(status)) ?? 0) + 1);
    this.counts.set(route, m);
  }
  took(route: string, ms: number): void {
    const xs = this.ms.get(route) ?? [];
    xs.push(ms);
    this.ms.set(route, xs);
  }
  /** Records the answer; true when `ok` holds, else the answer is listed as wrong with `why` and its message. */
  check(route: string, r: CallResult, ok: boolean, why: string): boolean {
    this.count(route, r.status);
    if (!ok) this.wrong.push(`${route} → ${r.status} (${why}): ${String((r.body as { message?: unknown } | undefined)?.message ?? '').slice(0, 200)}`);
    return ok;
  }
  total(pred: (status: string) => boolean): number {
    let n = 0;
    for (const m of this.counts.values()) for (const [s, c] of m) if (pred(s)) n += c;
    return n;
  }
  table(): string {
    const at = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;
    return [...this.counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([route, m]) => {
        const ms = [...(this.ms.get(route) ?? [])].sort((a, b) => a - b);
        const statuses = [...m]
          .sort()
          .map(([s, c]) => `${s}×${c}`)
          .join(' ');
        return `${route.padEnd(48)} ${statuses.padEnd(24)} p50 ${at(ms, 0.5)} ms, p95 ${at(ms, 0.95)} ms`;
      })
      .join('\n');
  }
}
const tally = new Tally();

/** A call whose transport failure (reset, timeout) is an answer too: status 'network'. */
async function send(route: string, ...args: Parameters<typeof call>): Promise<CallResult | undefined> {
  const t = Date.now();
  try {
    return await call(...args);
  } catch (e) {
    tally.count(route, 'network');
    tally.wrong.push(`${route} → network error: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  } finally {
    tally.took(route, Date.now() - t);
  }
}

interface CheckIn {
  processId: string;
  memberId: string;
  branchId: string;
  token: string;
  outcome: 'pending' | 'approved' | 'returned';
}

interface OwnBranch {
  id: string;
  secretary: string;
  /** The cadre ID of its secretary (R8), once entered. */
  secretaryCadre?: string;
}

/** What one client did and was answered: the state must agree with it at the end. */
interface Client {
  n: number;
  school: string;
  schoolAdmin?: string;
  schoolNames: number;
  branches: OwnBranch[];
  created: string[];
  checkIns: CheckIn[];
  /** The school's committee members (R8), as answered. */
  cadres: string[];
  /** Member → the last grade this client gave (each member is graded by its own client only). */
  grades: Map<string, string>;
}

let demo: { province: string; secretaries: Record<string, string> };
let campaignId: string;

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/** A check-in in a demo branch or one of the client's own, sometimes sent twice with its Idempotency-Key. */
async function checkIn(c: Client): Promise<void> {
  const own = c.branches.length > 0 && Math.random() < 0.4 ? pick(c.branches) : undefined;
  const branchId = own?.id ?? pick(DEMO_BRANCHES);
  const token = own?.secretary ?? demo.secretaries[branchId]!;
  const key = `c${c.n}-${randomBytes(6).toString('hex')}`;
  const body = { branchId, profile: profile() };
  const r = await send('POST /api/check-ins', app, 'POST', '/api/check-ins', token, body, { 'idempotency-key': key });
  if (!r || !tally.check('POST /api/check-ins', r, r.status === 201 && r.body.status === 'pending', 'a check-in to an existing branch is 201 pending')) return;
  c.checkIns.push({ processId: r.body.processId, memberId: r.body.memberId, branchId, token, outcome: 'pending' });
  if (Math.random() < 0.2) {
    // A retry with the same key answers the first result again (api/idempotency.ts).
    const again = await send('POST /api/check-ins (retry)', app, 'POST', '/api/check-ins', token, body, { 'idempotency-key': key });
    if (again)
      tally.check(
        'POST /api/check-ins (retry)',
        again,
        again.status === 201 && again.body.processId === r.body.processId,
        'a retry with the same key is the first answer',
      );
  }
}

/** The branch decides its oldest pending check-in: approve three times in four, else return with a reason. */
async function decide(c: Client): Promise<boolean> {
  const p = c.checkIns.find((x) => x.outcome === 'pending');
  if (!p) return false;
  const approve = Math.random() < 0.75;
  const body = approve ? { action: 'approve' } : { action: 'return', reason: '材料不全，请补充入团时间证明' };
  const route = 'POST /api/processes/:id/decisions';
  const r = await send(route, app, 'POST', `/api/processes/${p.processId}/decisions`, p.token, body);
  if (!r || !tally.check(route, r, r.status === 200, 'the branch decides its pending check-in')) return true;
  p.outcome = approve ? 'approved' : 'returned';
  if (Math.random() < 0.15) {
    // The same decision again: the process is closed, a 409 and nothing else.
    const again = await send(`${route} (again)`, app, 'POST', `/api/processes/${p.processId}/decisions`, p.token, body);
    if (again) tally.check(`${route} (again)`, again, again.status === 409, 'a decided check-in is 409');
  }
  return true;
}

/**
 * An import with the bootstrap token: the client's own school (created the first time, renamed after) and a new
 * branch below it, with two demo rows as they are; then an account for each new organization.
 */
async function importOrgs(c: Client): Promise<void> {
  const first = c.created.length === 0;
  const branch = `${c.school}-b${c.branches.length + 1}`;
  c.schoolNames += 1;
  const rows = [
    ...REIMPORTED,
    { id: c.school, parentId: 'gd-sz-ft', name: `第${c.n}中学团委（${c.schoolNames}）`, kind: 'committee' },
    { id: branch, parentId: c.school, name: `高${c.branches.length + 1}班团支部`, kind: 'branch', contactPhone: '0755-83001234' },
  ];
  const r = await send('POST /api/organizations/import', app, 'POST', '/api/organizations/import', sys.adminToken, { organizations: rows });
  const want = { imported: rows.length, created: first ? 2 : 1, updated: first ? 0 : 1, unchanged: REIMPORTED.length, rejected: [] };
  const same = r !== undefined && r.status === 200 && JSON.stringify(r.body) === JSON.stringify(want);
  if (!r || !tally.check('POST /api/organizations/import', r, same, `answers ${JSON.stringify(want)}, got ${JSON.stringify(r.body)}`)) return;
  c.created.push(...(first ? [c.school, branch] : [branch]));
  const actor = async (role: string, orgId: string): Promise<string | undefined> => {
    const a = await send('POST /api/actors', app, 'POST', '/api/actors', sys.adminToken, { role, orgId, label: `${role} ${orgId}` });
    return a && tally.check('POST /api/actors', a, a.status === 201 && typeof a.body.token === 'string', 'an account for an organization that exists')
      ? (a.body.token as string)
      : undefined;
  };
  if (first) c.schoolAdmin = await actor('committee_admin', c.school);
  const secretary = await actor('branch_secretary', branch);
  if (secretary) c.branches.push({ id: branch, secretary });
}

/**
 * R8: the school enters a committee member; or a new branch its secretary (201 the first time, 409 after: one
 * current secretary).
 */
async function enterCadre(c: Client): Promise<boolean> {
  const route = 'POST /api/organizations/:id/cadres';
  const branch = c.branches.length > 0 && Math.random() < 0.4 ? pick(c.branches) : undefined;
  if (branch) {
    const body = { name: '王书记', idNumber: idNumber('19980101'), role: 'secretary', post: '书记', termStart: '2025-09-01' };
    const r = await send(route, app, 'POST', `/api/organizations/${branch.id}/cadres`, branch.secretary, body);
    if (!r) return true;
    if (branch.secretaryCadre !== undefined)
      tally.check(`${route} (second secretary)`, r, r.status === 409 && r.body.rule === 'R8', 'R8: one current secretary');
    else if (tally.check(route, r, r.status === 201, 'a branch enters its secretary')) branch.secretaryCadre = r.body.id;
    return true;
  }
  if (!c.schoolAdmin) return false;
  const body = { name: '李委员', idNumber: idNumber('19970601'), role: 'committee_member', post: '委员', termStart: '2025-09-01' };
  const r = await send(route, app, 'POST', `/api/organizations/${c.school}/cadres`, c.schoolAdmin, body);
  if (r && tally.check(route, r, r.status === 201, 'a committee enters a committee member')) c.cadres.push(r.body.id);
  return true;
}

/** R22: a demo branch grades (again) the members this client checked in there and had approved. */
async function grade(c: Client): Promise<boolean> {
  const branchId = pick(DEMO_BRANCHES);
  const mine = c.checkIns.filter((x) => x.branchId === branchId && x.outcome === 'approved');
  if (mine.length === 0) return false;
  const grades = mine.slice(-20).map((m) => ({ memberId: m.memberId, grade: pick(GRADES) }));
  const route = 'PUT /api/campaigns/:id/branches/:orgId/grades';
  const r = await send(route, app, 'PUT', `/api/campaigns/${campaignId}/branches/${branchId}/grades`, demo.secretaries[branchId], { grades });
  if (!r) return true;
  const graded = new Set([...c.grades.keys(), ...grades.map((g) => g.memberId)].filter((id) => mine.some((m) => m.memberId === id)));
  const ok = r.status === 200 && r.body.evaluated >= graded.size && r.body.total >= mine.length && r.body.evaluated <= r.body.total;
  if (tally.check(route, r, ok, `evaluated ≥ ${graded.size}, total ≥ ${mine.length}, evaluated ≤ total; got ${JSON.stringify(r.body)}`))
    for (const g of grades) c.grades.set(g.memberId, g.grade);
  return true;
}

/** One client: the mix in turn until the time is up; an operation with nothing to work on yet is a check-in. */
async function runClient(c: Client, until: number): Promise<void> {
  const mix = [importOrgs, checkIn, decide, checkIn, enterCadre, decide, checkIn, grade, decide] as const;
  for (let i = c.n; Date.now() < until; i++) {
    const op = mix[i % mix.length]!;
    const done = await op(c);
    if (done === false) await checkIn(c);
  }
}

/** Runs `f` over `items`, `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, f: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await f(items[next++]!);
    }),
  );
}

/** The organizations under `root` (itself included), walked through GET /api/organizations/{id}. */
async function subtree(root: string, token: string): Promise<Map<string, { members: number; hasSecretary: boolean }>> {
  const found = new Map<string, { members: number; hasSecretary: boolean }>();
  let level = [root];
  while (level.length > 0) {
    const next: string[] = [];
    await inParallel(level, 8, async (id) => {
      const r = await call(app, 'GET', `/api/organizations/${id}`, token);
      if (r.status !== 200) throw new Error(`GET /api/organizations/${id}: ${r.status}`);
      found.set(id, { members: r.body.members, hasSecretary: r.body.hasSecretary });
      next.push(...(r.body.children as { id: string }[]).map((ch) => ch.id));
    });
    level = next;
  }
  return found;
}

beforeAll(async () => {
  const t0 = Date.now();
  // One log line per request (at info), so the scan below sees the status of every answer.
  sys = await startNpmStart({ env: { TUANWU_LOG_LEVEL: 'info' } });
  const t1 = Date.now();
  app = httpApp(sys.base);
  const actor = (orgId: string, role: string) => sys.actors.find((a) => a.orgId === orgId && a.role === role)!.token;
  demo = {
    province: actor('gd', 'province_admin'),
    secretaries: Object.fromEntries(DEMO_BRANCHES.map((b) => [b, actor(b, 'branch_secretary')])),
  };
  // R22: the province opens this year's campaign; every branch has its task once it has fanned out.
  const opened = await call(app, 'POST', '/api/campaigns', demo.province, testCampaignPlan());
  if (opened.status !== 201) throw new Error(`campaign open: ${opened.status} ${JSON.stringify(opened.body)}`);
  campaignId = opened.body.campaignId;
  for (const b of DEMO_BRANCHES) {
    const until = Date.now() + 60_000;
    while ((await call(app, 'GET', `/api/campaigns/${campaignId}/branches/${b}`, demo.secretaries[b])).status !== 200) {
      if (Date.now() > until) throw new Error(`no campaign task for ${b} after 60 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  console.log(`issue 21: npm start ready in ${((t1 - t0) / 1000).toFixed(1)} s, the campaign fanned out ${((Date.now() - t1) / 1000).toFixed(1)} s later`);
}, 240_000);

afterAll(async () => {
  await sys?.stop();
});

describe('issue 21', () => {
  it('issue 21: 32 concurrent clients for a minute against npm start get the same answers as one at a time: no 5xx, no wrong 4xx', async () => {
    const run = randomBytes(3).toString('hex');
    const clients: Client[] = Array.from({ length: CLIENTS }, (_, n) => ({
      n,
      school: `c${run}-${n}`,
      schoolNames: 0,
      branches: [],
      created: [],
      checkIns: [],
      cadres: [],
      grades: new Map(),
    }));
    const started = Date.now();
    await Promise.all(clients.map((c) => runClient(c, started + DURATION_MS)));
    const seconds = (Date.now() - started) / 1000;

    // The state agrees with the answers: every 201 check-in is there with its decision, approved members are
    // active and counted in their branch, every created organization is in the tree, every cadre is listed.
    const stateProblems: string[] = [];
    const checkIns = clients.flatMap((c) => c.checkIns);
    await inParallel(checkIns, 8, async (ci) => {
      const p = await call(app, 'GET', `/api/processes/${ci.processId}`, ci.token);
      if (p.status !== 200 || p.body.status !== ci.outcome)
        stateProblems.push(`process ${ci.processId}: ${p.status} ${p.body?.status}, answered ${ci.outcome}`);
      if (ci.outcome !== 'approved') return;
      const m = await call(app, 'GET', `/api/members/${ci.memberId}`, ci.token);
      if (m.status !== 200 || m.body.status !== 'active') stateProblems.push(`member ${ci.memberId}: ${m.status} ${m.body?.status}, approved`);
    });
    const tree = await subtree('gd', demo.province);
    const created = clients.flatMap((c) => c.created);
    if (tree.size !== DEMO_ORGS.length + created.length)
      stateProblems.push(`organizations: ${tree.size} in the tree, ${DEMO_ORGS.length} demo + ${created.length} created by imports`);
    for (const id of created) if (!tree.has(id)) stateProblems.push(`organization ${id}: answered created, not in the tree`);
    const approvedIn = (b: string) => checkIns.filter((ci) => ci.branchId === b && ci.outcome === 'approved').length;
    for (const b of [...DEMO_BRANCHES, ...clients.flatMap((c) => c.branches.map((x) => x.id))])
      if (tree.get(b)?.members !== approvedIn(b)) stateProblems.push(`branch ${b}: ${tree.get(b)?.members} active members, ${approvedIn(b)} approved`);
    for (const c of clients) {
      for (const b of c.branches)
        if (tree.get(b.id)?.hasSecretary !== (b.secretaryCadre !== undefined))
          stateProblems.push(`branch ${b.id}: hasSecretary ${tree.get(b.id)?.hasSecretary}`);
      if (!c.schoolAdmin) continue;
      const listed = await call(app, 'GET', `/api/organizations/${c.school}/cadres`, c.schoolAdmin);
      const ids = new Set<string>((listed.body?.items ?? []).map((x: { id: string }) => x.id));
      if (listed.status !== 200 || ids.size !== c.cadres.length || c.cadres.some((id) => !ids.has(id)))
        stateProblems.push(`cadres of ${c.school}: ${listed.status}, ${ids.size} listed, ${c.cadres.length} entered`);
    }
    // R22: the grades as last given, and a task for every branch imported while the campaign is open.
    for (const b of DEMO_BRANCHES) {
      const t = await call(app, 'GET', `/api/campaigns/${campaignId}/branches/${b}`, demo.secretaries[b]);
      const byMember = new Map((t.body?.members ?? []).map((m: { memberId: string; grade: string | null }) => [m.memberId, m.grade]));
      for (const c of clients)
        for (const [memberId, g] of c.grades)
          if (c.checkIns.some((ci) => ci.memberId === memberId && ci.branchId === b) && byMember.get(memberId) !== g)
            stateProblems.push(`grade of ${memberId} in ${b}: ${String(byMember.get(memberId))}, last given ${g}`);
    }
    const newBranches = clients.flatMap((c) => c.branches);
    const until = Date.now() + 30_000;
    await inParallel(newBranches, 8, async (b) => {
      while ((await call(app, 'GET', `/api/campaigns/${campaignId}/branches/${b.id}`, b.secretary)).status !== 200)
        if (Date.now() > until) return void stateProblems.push(`branch ${b.id}: no campaign task`);
        else await new Promise((r) => setTimeout(r, 250));
    });

    const verified = (Date.now() - started) / 1000 - seconds;
    // The service's own log, up to its stop: no 5xx answered, no error logged.
    const stopping = Date.now();
    const exit = await sys.stop();
    const logged = sys.output().split('\n');
    // A 5xx as fastify's JSON logs it, or as npm start's one line per request ("POST /api/check-ins 500 12 ms").
    const logProblems = logged.filter((l) => /statusCode"?:\s*5\d\d|(GET|POST|PUT|PATCH|DELETE) \S+ 5\d\d \d+ ms|Error/.test(l));

    const answers = tally.total(() => true);
    console.log(
      `issue 21: ${CLIENTS} clients, ${seconds.toFixed(0)} s, ${answers} answers (${(answers / seconds).toFixed(1)}/s), ` +
        `${checkIns.length} check-ins, ${created.length} organizations created; state checked in ${verified.toFixed(1)} s; ` +
        `npm start stopped in ${((Date.now() - stopping) / 1000).toFixed(1)} s (exit ${exit})\n${tally.table()}` +
        (tally.wrong.length ? `\nwrong answers (${tally.wrong.length}), first 20:\n${tally.wrong.slice(0, 20).join('\n')}` : '') +
        (stateProblems.length ? `\nstate problems (${stateProblems.length}), first 20:\n${stateProblems.slice(0, 20).join('\n')}` : '') +
        (logProblems.length ? `\nlog lines (${logProblems.length}), first 20:\n${logProblems.slice(0, 20).join('\n')}` : ''),
    );
    expect(
      tally.total((s) => s.startsWith('5')),
      '5xx answers',
    ).toBe(0);
    expect(tally.wrong, 'answers that broke their oracle').toEqual([]);
    expect(stateProblems, 'state against the answers').toEqual([]);
    expect(logProblems, "5xx or errors in npm start's log").toEqual([]);
    // Enough happened for the minute to mean something, even on a loaded 2-core machine running other files beside.
    expect(checkIns.filter((ci) => ci.outcome === 'approved').length).toBeGreaterThanOrEqual(CLIENTS / 4);
    expect(created.length).toBeGreaterThanOrEqual(CLIENTS / 4);
  }, 300_000);
});
