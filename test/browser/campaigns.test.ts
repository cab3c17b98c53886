// The console's pages for the yearly campaign (R22) and rewards and punishments (R23), in Debian's Chromium against
// the real system: each rule worked through the pages people use, checked against the API's own answers, with
// axe-core on each new page and screenshots in test/artifacts/. A campaign covers a whole province, one per year:
// each test seeds a tree (a province) of its own, with its own members; earlier states are driven through the API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { activeMember, call, eventually, idNumber, seedTree, type Tree } from '../harness';
import { axeProblems, field, inkOf, PHONE, shot, signIn, startConsole, stopConsole, type ConsoleWorld } from './harness';

let w: ConsoleWorld;

beforeAll(async () => {
  w = await startConsole();
}, 300_000);

afterAll(() => stopConsole(w));

/** YYYY-MM-DD in Shanghai, `days` from today. */
function day(days: number): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() + days * 86_400_000));
}
const YEAR = Number(day(0).slice(0, 4));

type Task = {
  processId: string;
  step: string;
  deadline: string;
  returnedReason: string | null;
  members: {
    memberId: string;
    grade: string | null;
    registration: { decision: string; reason: string | null; followUpOn: string | null } | null;
    turns28: boolean;
  }[];
  cadres: { cadreId: string; registered: boolean }[];
};

/** The province opens this year's campaign through the API; answers its ID once every branch has its task. */
async function opened(tree: Tree, excellentCap?: number): Promise<string> {
  const plan = (ends: number) => ({ startsOn: day(0), endsOn: day(ends), deadlines: [], targets: [] });
  const r = await call(w.sys.app, 'POST', '/api/campaigns', tree.tokens.province, {
    year: YEAR,
    evaluation: plan(20),
    registration: plan(40),
    ...(excellentCap === undefined ? {} : { excellentCap }),
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const id = r.body.campaignId as string;
  await eventually(async () => (await call(w.sys.app, 'GET', `/api/campaigns/${id}`, tree.tokens.province)).body.tasks === 3, 30_000, 'the fan-out');
  return id;
}

const task = async (id: string, orgId: string, token: string) => (await call<Task>(w.sys.app, 'GET', `/api/campaigns/${id}/branches/${orgId}`, token)).body;
const stepOf = async (id: string, orgId: string, token: string) => (await task(id, orgId, token)).step;
const decide = async (processId: string, token: string, body: Record<string, unknown>) => {
  const r = await call(w.sys.app, 'POST', `/api/processes/${processId}/decisions`, token, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
};
const branchPage = (p: Page, id: string, orgId: string) => p.goto(`${w.base}/console/campaigns/${id}/branches/${orgId}`);
/** The text input of a control inside `scope` (the test ID on the input itself or on its wrapper). */
const inputIn = (scope: Locator, testId: string) => scope.locator(`input[data-testid="${testId}"], [data-testid="${testId}"] input`).first();
const row = (p: Page, testId: string, memberId: string) => p.locator(`[data-testid="${testId}"][data-member-id="${memberId}"]`);

/** The evaluation graded and confirmed through the API: the branch is at its registration step. */
async function evaluated(tree: Tree, id: string, grades: Record<string, string>): Promise<Task> {
  const path = `/api/campaigns/${id}/branches/${tree.ids.branch1}`;
  const g = await call(w.sys.app, 'PUT', `${path}/grades`, tree.tokens.sec1, {
    grades: Object.entries(grades).map(([memberId, grade]) => ({ memberId, grade })),
  });
  expect(g.status, JSON.stringify(g.body)).toBe(200);
  const t = await task(id, tree.ids.branch1, tree.tokens.sec1);
  await decide(t.processId, tree.tokens.sec1, { action: 'submit' });
  await eventually(async () => (await stepOf(id, tree.ids.branch1, tree.tokens.school1)) === 'evaluation-review', 15_000, 'the review step');
  await decide(t.processId, tree.tokens.school1, { action: 'approve' });
  await eventually(async () => (await stepOf(id, tree.ids.branch1, tree.tokens.sec1)) === 'registration', 15_000, 'the registration step');
  return task(id, tree.ids.branch1, tree.tokens.sec1);
}

/** Clicks the chart's bar for the only child organization shown: the middle of the plot (bars fill its height). */
async function clickOnlyBar(p: Page, before: string): Promise<void> {
  const canvas = p.getByTestId('campaign-chart').locator('canvas').first();
  const box = (await canvas.boundingBox())!;
  // grid: left 40 + the axis labels, right 24, top 36, bottom 60 (CampaignProgressChart); try around the middle.
  for (const dx of [12, 0, 24, -12, 36]) {
    await canvas.click({ position: { x: box.width / 2 + dx, y: 36 + (box.height - 96) / 2 } });
    const now = await p.getByTestId('campaign-org').textContent();
    if (now !== before) return;
  }
}

describe('console: yearly campaigns (R22) and rewards and punishments (R23)', () => {
  it('R22: the province opens a campaign and a city admin drills down the progress chart to a county', async () => {
    const { tree } = w;
    const prov = await w.page();
    await signIn(prov, w.base, tree.tokens.province);
    await prov.getByTestId('nav-campaigns').click();
    await prov.getByTestId('campaign-open-form').waitFor();
    await field(prov, 'campaign-cap').fill('30');
    // Started five days ago, with a 30 % target due yesterday: every child organization is behind it.
    await field(prov, 'campaign-evaluation-startsOn').fill(day(-5));
    // The evaluation ends before it starts: the API's refusal is shown under that field, nothing is opened.
    await field(prov, 'campaign-evaluation-endsOn').fill(day(-8));
    await field(prov, 'campaign-registration-startsOn').fill(day(0));
    await field(prov, 'campaign-registration-endsOn').fill(day(40));
    await prov.getByTestId('campaign-open-submit').click();
    const endsOn = prov.locator('.el-form-item', { has: field(prov, 'campaign-evaluation-endsOn') });
    await expect.poll(() => endsOn.locator('.el-form-item__error').textContent(), { timeout: 15_000 }).toContain('R22');
    expect((await call(w.sys.app, 'GET', '/api/campaigns', tree.tokens.province)).body.items).toEqual([]);
    await shot(prov, 'campaign-open-refused-desktop');

    await field(prov, 'campaign-evaluation-endsOn').fill(day(20));
    await field(prov, 'campaign-evaluation-branch').fill(day(15));
    await prov.getByTestId('campaign-evaluation-targets').getByTestId('target-add').click();
    await field(prov, 'target-by').fill(day(-1));
    await field(prov, 'target-share').fill('30');
    await prov.getByTestId('campaign-open-submit').click();
    const listed = prov.locator(`[data-testid="campaign-row"][data-year="${YEAR}"]`);
    await listed.waitFor({ timeout: 15_000 });
    const items = (await call(w.sys.app, 'GET', '/api/campaigns', tree.tokens.province)).body.items as {
      id: string;
      excellentCap: number;
      phases: { evaluation: { endsOn: string; deadlines: unknown[]; targets: unknown[] } };
    }[];
    expect(items).toHaveLength(1);
    expect(items[0]!.excellentCap).toBeCloseTo(0.3);
    expect(items[0]!.phases.evaluation).toMatchObject({
      endsOn: day(20),
      deadlines: [{ level: 'branch', on: day(15) }],
      targets: [{ by: day(-1), share: 0.3 }],
    });
    expect(await listed.textContent()).toContain('30%');
    expect(await axeProblems(prov)).toEqual([]);
    await shot(prov, 'campaigns-desktop');
    const id = items[0]!.id;
    await eventually(async () => (await call(w.sys.app, 'GET', `/api/campaigns/${id}`, tree.tokens.province)).body.tasks === 3, 30_000, 'the fan-out');

    // The city admin: its county as a bar; clicking it opens the county's progress, the breadcrumb leads back.
    const city = await w.page();
    await signIn(city, w.base, tree.tokens.city1);
    await city.getByTestId('nav-campaigns').click();
    await city.locator(`[data-testid="campaign-row"][data-campaign-id="${id}"]`).getByTestId('campaign-view').click();
    await expect.poll(() => city.getByTestId('campaign-org').textContent(), { timeout: 15_000 }).toBe('深圳团市委');
    const api = (await call(w.sys.app, 'GET', `/api/campaigns/${id}/progress`, tree.tokens.city1)).body as {
      branches: { total: number };
      evaluation: { behind: boolean; target: { share: number } | null };
      children: { orgId: string; branches: { total: number }; evaluation: { behind: boolean } }[];
    };
    expect(api.branches.total).toBe(2);
    expect(api.children.map((c) => c.orgId)).toEqual([tree.ids.county1]);
    expect(api.evaluation).toMatchObject({ behind: true, target: { share: 0.3 } });
    expect(api.children[0]!.evaluation.behind).toBe(true);
    await city.locator(`[data-testid="campaign-child"][data-org-id="${tree.ids.county1}"]`).waitFor();
    await expect.poll(() => inkOf(city, 'campaign-chart'), { timeout: 15_000 }).toBeGreaterThan(0.002);
    expect(await city.getByTestId('campaign-branches').textContent()).toMatch(/^\s*2\b/);
    // Behind the target in force: the organization's summary and its child are marked.
    expect(await city.getByTestId('campaign-behind').textContent()).toContain('落后');
    expect(await city.locator(`[data-testid="campaign-child"][data-org-id="${tree.ids.county1}"]`).getAttribute('data-behind')).toBe('yes');
    expect(await city.getByTestId('campaign-summary').textContent()).toContain('目标 30%');
    expect(await axeProblems(city)).toEqual([]);
    await shot(city, 'campaign-progress-desktop');
    // The shares against the target (drawn as a line), and back to the branches' counts.
    await city.getByTestId('campaign-chart-mode').getByText('完成比例').click();
    await expect.poll(() => city.locator('#chart-title-campaign-progress').textContent()).toContain('完成比例');
    await expect.poll(() => inkOf(city, 'campaign-chart'), { timeout: 15_000 }).toBeGreaterThan(0.002);
    await shot(city, 'campaign-progress-shares-desktop');
    await city.getByTestId('campaign-chart-mode').getByText('团支部数').click();
    await expect.poll(() => city.locator('#chart-title-campaign-progress').textContent()).toContain('团支部完成情况');

    await clickOnlyBar(city, '深圳团市委');
    await expect.poll(() => city.getByTestId('campaign-org').textContent(), { timeout: 15_000 }).toBe('福田区团委');
    await city.locator(`[data-testid="campaign-child"][data-org-id="${tree.ids.school1}"]`).waitFor();
    const county = (await call(w.sys.app, 'GET', `/api/campaigns/${id}/progress?orgId=${tree.ids.county1}`, tree.tokens.city1)).body as {
      children: { orgId: string; branches: { total: number; inProgress: number } }[];
    };
    expect(county.children).toHaveLength(1);
    expect(county.children[0]).toMatchObject({ orgId: tree.ids.school1, branches: { total: 2, inProgress: 2 } });
    expect(await city.getByTestId('campaign-children').locator('[data-testid="campaign-child"]').count()).toBe(county.children.length);
    await shot(city, 'campaign-progress-county-desktop');
    await city.getByTestId('campaign-crumb').first().click();
    await expect.poll(() => city.getByTestId('campaign-org').textContent(), { timeout: 15_000 }).toBe('深圳团市委');

    // On a phone: the same page, the chart drawn, the table as cards.
    const phone = await w.page(PHONE);
    await signIn(phone, w.base, tree.tokens.city1);
    await phone.goto(`${w.base}/console/campaigns/${id}`);
    await phone.locator(`[data-testid="campaign-child"][data-org-id="${tree.ids.county1}"]`).waitFor();
    await expect.poll(() => inkOf(phone, 'campaign-chart'), { timeout: 15_000 }).toBeGreaterThan(0.002);
    expect(await axeProblems(phone)).toEqual([]);
    await shot(phone, 'campaign-progress-phone');
  });

  it('R22: a secretary grades the members, the cap on 优秀 refuses too many, and the evaluation is submitted', async () => {
    const tree = await seedTree(w.sys.app);
    const a = await activeMember(w.sys.app, tree.ids.branch1, tree.tokens.sec1, { name: '王一' });
    const b = await activeMember(w.sys.app, tree.ids.branch1, tree.tokens.sec1, { name: '王二' });
    const id = await opened(tree, 0.5);
    const p = await w.page();
    await signIn(p, w.base, tree.tokens.sec1);
    await p.getByTestId('nav-campaigns').click();
    await p.locator(`[data-testid="campaign-row"][data-campaign-id="${id}"]`).getByTestId('campaign-view').click();
    await p.getByTestId('campaign-my-task').click();
    await row(p, 'grade-row', a).waitFor();
    // A cap of 50 % over two members: one 优秀 at most.
    expect(await p.getByTestId('grades-cap').textContent()).toContain('50%');
    await row(p, 'grade-row', a).getByText('优秀').click();
    await row(p, 'grade-row', b).getByText('优秀').click();
    await p.getByTestId('grades-over-cap').waitFor();
    await p.getByTestId('grades-save').click();
    await eventually(async () => (await task(id, tree.ids.branch1, tree.tokens.sec1)).members.every((m) => m.grade === 'excellent'), 15_000, 'the grades');

    // Handing them in over the cap: the API refuses (R22), the task stays at the evaluation.
    await p.getByTestId('branch-action-submit').click();
    await p.getByTestId('decision-submit').click();
    await expect.poll(() => p.locator('.el-message--error').first().textContent(), { timeout: 15_000 }).toContain('R22');
    expect(await stepOf(id, tree.ids.branch1, tree.tokens.sec1)).toBe('evaluation');
    await p.getByTestId('decision-dialog').getByRole('button', { name: '取消' }).click();

    await row(p, 'grade-row', b).getByText('合格', { exact: true }).click();
    await expect.poll(() => p.getByTestId('grades-over-cap').count()).toBe(0);
    await p.getByTestId('grades-save').click();
    await eventually(
      async () => (await task(id, tree.ids.branch1, tree.tokens.sec1)).members.find((m) => m.memberId === b)?.grade === 'qualified',
      15_000,
      'the new grade',
    );
    expect(await axeProblems(p)).toEqual([]);
    await shot(p, 'campaign-grades-desktop');
    await p.getByTestId('branch-action-submit').click();
    await p.getByTestId('decision-submit').click();
    await eventually(async () => (await stepOf(id, tree.ids.branch1, tree.tokens.sec1)) === 'evaluation-review', 15_000, 'the review step');
    await expect.poll(() => p.getByTestId('branch-step').getAttribute('data-step'), { timeout: 15_000 }).toBe('evaluation-review');
    expect(await p.getByTestId('branch-step').textContent()).toContain('上级团委确认评议结果');
    // Handed in: the grades are read-only now.
    expect(await p.getByTestId('grades-save').count()).toBe(0);
  });

  it('R22: the committee above returns the evaluation with a reason from To do and the branch sees it', async () => {
    const tree = await seedTree(w.sys.app);
    const m = await activeMember(w.sys.app, tree.ids.branch3, tree.tokens.sec3);
    const id = await opened(tree);
    const path = `/api/campaigns/${id}/branches/${tree.ids.branch3}`;
    expect((await call(w.sys.app, 'PUT', `${path}/grades`, tree.tokens.sec3, { grades: [{ memberId: m, grade: 'qualified' }] })).status).toBe(200);
    const t = await task(id, tree.ids.branch3, tree.tokens.sec3);
    await decide(t.processId, tree.tokens.sec3, { action: 'submit' });

    // branch3's nearest committee above is the county (天河区团委): its To do has the task, with its step.
    const county = await w.page();
    await signIn(county, w.base, tree.tokens.county2);
    const todo = county.locator(`[data-testid="todo-row"][data-process-id="${t.processId}"]`);
    await todo.waitFor({ timeout: 15_000 });
    expect(await todo.textContent()).toContain('年度评议注册');
    expect(await todo.textContent()).toContain('上级团委确认评议结果');
    // The row names the branch the task is about (it has no member), linking to its task page.
    expect(await todo.getByTestId('row-campaign-branch').textContent()).toContain('某社区团支部');
    expect(await todo.getByTestId('row-campaign-branch').getAttribute('href')).toContain(`/campaigns/${id}/branches/${tree.ids.branch3}`);
    await shot(county, 'campaign-todo-desktop');
    await todo.getByTestId('action-return').click();
    await field(county, 'decision-reason').fill('评议等次依据不充分，请重新组织评议');
    await county.getByTestId('decision-submit').click();
    await todo.waitFor({ state: 'detached', timeout: 15_000 });
    const back = await eventually(
      async () => {
        const x = await task(id, tree.ids.branch3, tree.tokens.sec3);
        return x.step === 'evaluation' && x.returnedReason ? x : undefined;
      },
      15_000,
      'the return',
    );
    expect(back.returnedReason).toBe('评议等次依据不充分，请重新组织评议');

    const sec = await w.page();
    await signIn(sec, w.base, tree.tokens.sec3);
    await branchPage(sec, id, tree.ids.branch3);
    await expect.poll(() => sec.getByTestId('branch-returned').textContent(), { timeout: 15_000 }).toContain('评议等次依据不充分');
    await sec.getByTestId('grades-save').waitFor();
    expect(await axeProblems(sec)).toEqual([]);
    await shot(sec, 'campaign-returned-desktop');
    // The task's own page (process detail) names its kind and shows the return with its reason.
    await sec.goto(`${w.base}/console/processes/${t.processId}`);
    await expect.poll(() => sec.locator('#process-title').textContent(), { timeout: 15_000 }).toContain('年度评议注册');
    await expect.poll(() => sec.locator('main').textContent()).toContain('评议等次依据不充分');
  });

  it('R22: a secretary registers members with a deferral and a refusal', async () => {
    const tree = await seedTree(w.sys.app);
    const mk = (name: string, birth?: string) =>
      activeMember(w.sys.app, tree.ids.branch1, tree.tokens.sec1, { name, ...(birth ? { idNumber: idNumber(birth) } : {}) });
    const [ok, later, refused, weak, old] = [await mk('李准'), await mk('李缓'), await mk('李不'), await mk('李弱'), await mk('李龄', `${YEAR - 28}1231`)];
    const cadre = await call(w.sys.app, 'POST', `/api/organizations/${tree.ids.branch1}/cadres`, tree.tokens.school1, {
      name: '李书记',
      idNumber: idNumber('19950101'),
      role: 'secretary',
      post: '书记',
      termStart: day(-30),
    });
    expect(cadre.status, JSON.stringify(cadre.body)).toBe(201);
    const id = await opened(tree);
    const t = await evaluated(tree, id, { [ok]: 'qualified', [later]: 'qualified', [refused]: 'basic', [weak]: 'unqualified', [old]: 'qualified' });

    const p = await w.page();
    await signIn(p, w.base, tree.tokens.sec1);
    await branchPage(p, id, tree.ids.branch1);
    await row(p, 'registration-row', ok).waitFor();
    // Turning 28 this year: not registered, aging out (R19).
    expect(await row(p, 'registration-row', old).getAttribute('data-aging-out')).toBe('yes');
    expect(await row(p, 'registration-row', old).getByTestId('aging-out').count()).toBe(1);
    expect(t.members.find((x) => x.memberId === old)?.turns28).toBe(true);

    // 不合格 registered without a reason: refused in the page, nothing sent.
    await row(p, 'registration-row', weak).getByTestId('decision-registered').click();
    await p.getByTestId('registrations-save').click();
    await expect.poll(() => p.locator('.el-message--warning').first().textContent()).toContain('李弱');
    expect((await task(id, tree.ids.branch1, tree.tokens.sec1)).members.every((x) => x.registration === null)).toBe(true);

    await inputIn(row(p, 'registration-row', weak), 'registration-reason').fill('整改后表现合格，经支部大会同意注册');
    await row(p, 'registration-row', ok).getByTestId('decision-registered').click();
    await row(p, 'registration-row', later).getByTestId('decision-deferred').click();
    await inputIn(row(p, 'registration-row', later), 'registration-reason').fill('长期未参加组织生活，暂缓注册');
    await inputIn(row(p, 'registration-row', later), 'registration-follow-up').fill(day(10));
    await row(p, 'registration-row', refused).getByTestId('decision-refused').click();
    await inputIn(row(p, 'registration-row', refused), 'registration-reason').fill('经教育仍不履行团员义务');
    await p.getByTestId('registrations-save').click();
    const saved = await eventually(
      async () => {
        const x = await task(id, tree.ids.branch1, tree.tokens.sec1);
        return x.members.filter((y) => y.registration).length === 4 ? x : undefined;
      },
      15_000,
      'the registrations',
    );
    const reg = (mid: string) => saved.members.find((x) => x.memberId === mid)!.registration;
    expect(reg(ok)).toMatchObject({ decision: 'registered' });
    expect(reg(weak)).toMatchObject({ decision: 'registered', reason: '整改后表现合格，经支部大会同意注册' });
    expect(reg(later)).toMatchObject({ decision: 'deferred', followUpOn: day(10) });
    expect(reg(refused)).toMatchObject({ decision: 'refused', reason: '经教育仍不履行团员义务' });
    expect(reg(old)).toBeNull();

    // 团干部注册: the branch's current secretary.
    await p.getByTestId('campaign-cadres').getByText('李书记').click();
    await p.getByTestId('cadres-save').click();
    await eventually(async () => (await task(id, tree.ids.branch1, tree.tokens.sec1)).cadres.every((c) => c.registered), 15_000, 'the cadre registration');
    expect(await axeProblems(p)).toEqual([]);
    await shot(p, 'campaign-registration-desktop');

    await p.getByTestId('branch-action-submit').click();
    await p.getByTestId('decision-submit').click();
    // A deferral: the task waits for its follow-up; the refusal starts the member's deletion (R14).
    await eventually(async () => (await stepOf(id, tree.ids.branch1, tree.tokens.sec1)) === 'follow-up', 30_000, 'the follow-up step');
    const deletion = await eventually(
      () => w.sys.db.selectFrom('processes').select(['kind', 'member_id']).where('kind', '=', 'deletion').where('member_id', '=', refused).executeTakeFirst(),
      30_000,
      "the refused member's deletion",
    );
    expect(deletion.member_id).toBe(refused);
    await branchPage(p, id, tree.ids.branch1);
    await expect.poll(() => p.getByTestId('branch-step').getAttribute('data-step'), { timeout: 15_000 }).toBe('follow-up');
    // At the follow-up only the deferred member can change.
    await row(p, 'registration-row', later).getByTestId('decision-registered').waitFor();
    expect(await row(p, 'registration-row', ok).getByTestId('decision-registered').count()).toBe(0);
    await row(p, 'registration-row', later).getByTestId('decision-registered').click();
    await p.getByTestId('registrations-save').click();
    await eventually(
      async () => (await task(id, tree.ids.branch1, tree.tokens.sec1)).members.find((x) => x.memberId === later)?.registration?.decision === 'registered',
      15_000,
      'the follow-up decision',
    );
    await p.getByTestId('branch-action-submit').click();
    await p.getByTestId('decision-submit').click();
    await eventually(async () => (await stepOf(id, tree.ids.branch1, tree.tokens.sec1)) === 'done', 30_000, 'the task done');
    await branchPage(p, id, tree.ids.branch1);
    await expect.poll(() => p.getByTestId('branch-step').getAttribute('data-step'), { timeout: 15_000 }).toBe('done');
  });

  it('R22: the province registers its cadres, extends the evaluation for one city and closes the campaign; the unfinished branches stay recorded', async () => {
    const tree = await seedTree(w.sys.app);
    const cadre = await call(w.sys.app, 'POST', `/api/organizations/${tree.ids.province}/cadres`, tree.tokens.province, {
      name: '赵委员',
      idNumber: idNumber('19900505'),
      role: 'committee_member',
      post: '副书记',
      termStart: day(-100),
    });
    expect(cadre.status, JSON.stringify(cadre.body)).toBe(201);
    const id = await opened(tree);
    const before = { b1: await task(id, tree.ids.branch1, tree.tokens.sec1), b3: await task(id, tree.ids.branch3, tree.tokens.sec3) };
    const deadline = async (orgId: string, token: string) => (await task(id, orgId, token)).deadline;
    const prov = await w.page();
    await signIn(prov, w.base, tree.tokens.province);
    await prov.goto(`${w.base}/console/campaigns/${id}`);
    await prov.getByTestId('extend-form').waitFor();
    // 团干部注册 of the province's own cadres.
    await prov.getByTestId('campaign-cadres').getByText('赵委员').click();
    await prov.getByTestId('cadres-save').click();
    await expect.poll(() => prov.getByTestId('campaign-cadres-counts').textContent(), { timeout: 15_000 }).toContain('1/1');
    await expect
      .poll(async () => (await call(w.sys.app, 'GET', `/api/campaigns/${id}/progress`, tree.tokens.province)).body.cadres, { timeout: 15_000 })
      .toEqual({ current: 1, registered: 1 });
    await prov.getByTestId('extend-city').click();
    await prov.getByRole('option', { name: '广州团市委' }).click();
    await field(prov, 'extend-until').fill(day(30));
    // A reason is needed: refused in the page, nothing sent.
    await prov.getByTestId('extend-submit').click();
    await prov.locator('.el-message--warning').first().waitFor();
    await field(prov, 'extend-reason').fill('受台风影响，广州市延期');
    await prov.getByTestId('extend-submit').click();
    await prov.locator('.el-message--success').first().waitFor({ timeout: 15_000 });
    // The city's branch gets the later deadline; the other city's keeps its own.
    await eventually(async () => Date.parse(await deadline(tree.ids.branch3, tree.tokens.sec3)) > Date.parse(before.b3.deadline), 15_000, 'the extension');
    expect(await deadline(tree.ids.branch1, tree.tokens.sec1)).toBe(before.b1.deadline);
    expect(await axeProblems(prov)).toEqual([]);
    await shot(prov, 'campaign-province-desktop');

    await prov.getByTestId('campaign-close').click();
    await prov.locator('.el-message-box__input textarea').fill('年度工作结束');
    await prov.locator('.el-message-box__btns .el-button--primary').click();
    await expect.poll(() => prov.getByTestId('campaign-closed').textContent(), { timeout: 15_000 }).toContain('未完成团支部 3 个');
    const campaign = (await call(w.sys.app, 'GET', `/api/campaigns/${id}`, tree.tokens.province)).body as { status: string };
    expect(campaign.status).toBe('closed');
    const progress = (await call(w.sys.app, 'GET', `/api/campaigns/${id}/progress`, tree.tokens.province)).body as {
      branches: { unfinished: number; total: number };
    };
    expect(progress.branches).toMatchObject({ total: 3, unfinished: 3 });
    expect(await prov.getByTestId('extend-form').count()).toBe(0);
    await shot(prov, 'campaign-closed-desktop');
  });

  it('R23: a secretary records a reward and a committee revokes a punishment on the member page', async () => {
    const tree = await seedTree(w.sys.app);
    const memberId = await activeMember(w.sys.app, tree.ids.branch1, tree.tokens.sec1);
    const awards = async () => (await call(w.sys.app, 'GET', `/api/members/${memberId}/awards`, tree.tokens.school1)).body.items as Record<string, unknown>[];
    const sec = await w.page();
    await signIn(sec, w.base, tree.tokens.sec1);
    await sec.goto(`${w.base}/console/members/${memberId}`);
    await sec.getByTestId('award-form').waitFor();
    const fill = async (kind: string, doc: string) => {
      await field(sec, 'award-kind').fill(kind);
      await field(sec, 'award-decidingOrg').fill('某中学团委');
      await field(sec, 'award-documentNumber').fill(doc);
      await sec.getByTestId('award-submit').click();
    };
    await fill('优秀共青团员', '中学团发〔2026〕1号');
    await sec.locator('[data-testid="award-row"][data-type="reward"]').waitFor({ timeout: 15_000 });

    // A disciplinary sanction is recorded by its case (R18): refused, the problem under the kind, nothing stored.
    await sec.getByTestId('award-type').getByText('处分').click();
    await fill('警告', '中学团发〔2026〕2号');
    const kind = sec.locator('.el-form-item', { has: field(sec, 'award-kind') });
    await expect.poll(() => kind.locator('.el-form-item__error').textContent(), { timeout: 15_000 }).toContain('R18');
    expect(await awards()).toHaveLength(1);
    await fill('通报批评', '中学团发〔2026〕3号');
    await sec.locator('[data-testid="award-row"][data-type="punishment"]').waitFor({ timeout: 15_000 });
    const stored = await awards();
    expect(stored.map((a) => [a.type, a.kind, a.documentNumber]).sort()).toEqual([
      ['punishment', '通报批评', '中学团发〔2026〕3号'],
      ['reward', '优秀共青团员', '中学团发〔2026〕1号'],
    ]);
    expect(await axeProblems(sec)).toEqual([]);
    await shot(sec, 'member-awards-desktop');

    // The school's committee (above the recording branch) revokes the punishment with a reason; the record stays.
    const school = await w.page();
    await signIn(school, w.base, tree.tokens.school1);
    await school.goto(`${w.base}/console/members/${memberId}`);
    const punishment = school.locator('[data-testid="award-row"][data-type="punishment"]');
    await punishment.waitFor();
    expect(await school.locator('[data-testid="award-row"][data-type="reward"]').getByTestId('award-revoke').count()).toBe(0);
    await punishment.getByTestId('award-revoke').click();
    await school.locator('.el-message-box__input textarea').fill('经复查，处分依据不足');
    await school.locator('.el-message-box__btns .el-button--primary').click();
    await expect.poll(() => punishment.getAttribute('data-revoked'), { timeout: 15_000 }).toBe('yes');
    expect(await punishment.getByTestId('award-state').textContent()).toContain('经复查，处分依据不足');
    const revoked = (await awards()).find((a) => a.type === 'punishment')!;
    expect(revoked.revokedAt).not.toBeNull();
    expect(revoked.revokeReason).toBe('经复查，处分依据不足');
    expect(await punishment.getByTestId('award-revoke').count()).toBe(0);
    // Both entries are in the member's history.
    const history = (await call(w.sys.app, 'GET', `/api/members/${memberId}/history`, tree.tokens.school1)).body.items as { type: string }[];
    expect(history.filter((h) => h.type === 'award.recorded')).toHaveLength(2);
    expect(history.some((h) => h.type === 'award.revoked')).toBe(true);
    await shot(school, 'member-awards-revoked-desktop');
  });
});
