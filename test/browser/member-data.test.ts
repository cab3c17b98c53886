// The console's pages for member data, cadres, health, development numbers and application forms (issue 13), in
// Debian's Chromium against the real system: each rule worked through the pages people use, checked against the
// API's own answers, with axe-core on each new page and screenshots in test/artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { randomBytes } from 'node:crypto';
import { activeMember, call, eventually, idNumber, importOrgs, newMemberToken, profile } from '../harness';
import { axeProblems, DESKTOP, field, PHONE, shot, signIn, startConsole, stopConsole, type ConsoleWorld } from './harness';

let w: ConsoleWorld;

beforeAll(async () => {
  w = await startConsole();
}, 300_000);

afterAll(() => stopConsole(w));

/** A member with a token of their own: they check in themselves, their branch's secretary approves (R1, R2). */
async function selfMember(branchId: string, secretary: string, overrides: Record<string, unknown> = {}): Promise<{ memberId: string; token: string }> {
  const token = await newMemberToken(w.sys.app);
  const created = await call(w.sys.app, 'POST', '/api/check-ins', token, { branchId, profile: profile(overrides) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const approved = await call(w.sys.app, 'POST', `/api/processes/${created.body.processId}/decisions`, secretary, { action: 'approve' });
  expect(approved.status, JSON.stringify(approved.body)).toBe(200);
  return { memberId: created.body.memberId as string, token };
}

const member = async (id: string, token: string) => (await call(w.sys.app, 'GET', `/api/members/${id}`, token)).body;
const memberPage = (p: Page, id: string) => p.goto(`${w.base}/console/members/${id}`);
const orgPage = (p: Page, id: string, tab: string) => p.goto(`${w.base}/console/organizations/${id}?tab=${tab}`);

/** YYYY-MM-DD in Shanghai, `days` from today. */
function day(days: number): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() + days * 86_400_000));
}

describe('console: member data, cadres, health, numbers, application forms', () => {
  it('R5: a member asks to change political status, the secretary approves it from To do, and the member page shows the new value', async () => {
    const { tree } = w;
    const { memberId, token } = await selfMember(tree.ids.branch1, tree.tokens.sec1, { politicalStatus: '共青团员' });
    const m = await w.page();
    await signIn(m, w.base, token);
    await memberPage(m, memberId);
    const political = m.getByTestId('reviewed-politicalStatus');
    await expect.poll(() => political.getByTestId('in-force').textContent()).toContain('共青团员');
    await field(m, 'change-politicalStatus').fill('中共预备党员');
    await m.getByTestId('change-submit').click();
    // Pending beside the value in force, which stays until the branch decides.
    await expect.poll(() => political.getByTestId('pending').textContent(), { timeout: 15_000 }).toContain('中共预备党员');
    expect(await political.getByTestId('in-force').textContent()).toContain('共青团员');
    expect(await political.getByTestId('in-force').textContent()).not.toContain('中共');
    await shot(m, 'member-change-pending-desktop');
    const pending = (await member(memberId, token)).pending as { processId: string; kind: string }[];
    expect(pending).toHaveLength(1);
    const processId = pending[0]!.processId;

    const sec = await w.page();
    await signIn(sec, w.base, tree.tokens.sec1);
    const row = sec.locator(`[data-testid="todo-row"][data-process-id="${processId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('成员信息变更审核');
    await row.getByTestId('action-approve').click();
    await sec.getByTestId('decision-submit').click();
    await row.waitFor({ state: 'detached' });

    await eventually(async () => ((await member(memberId, token)).details as Record<string, unknown>).politicalStatus === '中共预备党员', 15_000, 'applied');
    await memberPage(m, memberId);
    await expect.poll(() => political.getByTestId('in-force').textContent()).toContain('中共预备党员');
    expect((await political.getByTestId('pending').textContent())?.trim()).toBe('—');
    // A Party member keeps the league membership (保留团籍), and the timeline shows the change from → to.
    expect(await m.getByTestId('member-party').textContent()).toContain('中共预备党员');
    expect(await m.locator('.member-facts').textContent()).toContain('保留团籍');
    await expect.poll(() => m.getByTestId('member-history').textContent(), { timeout: 15_000 }).toContain('共青团员 → 中共预备党员');
    await shot(m, 'member-change-approved-desktop');
  });

  it('PII (issue 20): a city admin reads a member page with the phone and address masked and no way to save them; the member edits the same fields', async () => {
    const { tree } = w;
    const { memberId, token } = await selfMember(tree.ids.branch1, tree.tokens.sec1, { phone: '13800138000', address: '深圳市福田区华强北路1号' });
    const city = await w.page();
    await signIn(city, w.base, tree.tokens.city1);
    await memberPage(city, memberId);
    await city.getByTestId('member-read-only').waitFor();
    expect(await field(city, 'member-phone').inputValue()).toBe('138****8000');
    expect(await field(city, 'member-address').inputValue()).toBe('深圳市***');
    expect(await field(city, 'member-phone').isDisabled()).toBe(true);
    expect(await city.getByTestId('member-save').count()).toBe(0);
    await shot(city, 'member-read-only-city-desktop');

    const m = await w.page();
    await signIn(m, w.base, token);
    await memberPage(m, memberId);
    await expect.poll(() => field(m, 'member-phone').inputValue()).toBe('13800138000');
    expect(await m.getByTestId('member-read-only').count()).toBe(0);
    await field(m, 'member-phone').fill('13912345678');
    await m.getByTestId('member-save').click();
    await eventually(async () => ((await member(memberId, token)).details as Record<string, unknown>).phone === '13912345678', 15_000, 'saved');
  });

  it("R8: a committee enters its branch's secretary, and the no-secretary flag goes; ending the term brings it back", async () => {
    const { tree } = w;
    const noSecretary = async () =>
      (
        (await call(w.sys.app, 'GET', `/api/organizations/${tree.ids.branch2}/health?list=no-secretary`, tree.tokens.school1)).body as {
          counts: { branchesWithoutSecretary: number };
        }
      ).counts.branchesWithoutSecretary;
    expect(await noSecretary()).toBe(1);
    const p = await w.page();
    await signIn(p, w.base, tree.tokens.school1);
    await p.getByTestId('nav-health').click();
    await p.getByTestId('health-count-no-secretary').click();
    await p.locator(`[data-testid="health-row"][data-org-id="${tree.ids.branch2}"]`).waitFor();

    await orgPage(p, tree.ids.branch2, 'cadres');
    await field(p, 'cadre-name').fill('李四');
    await field(p, 'cadre-idNumber').fill(idNumber('19980304'));
    await field(p, 'cadre-post').fill('书记');
    await p.getByTestId('cadre-submit').click();
    const current = p.locator('[data-testid="cadre-row"][data-ended="no"]');
    await current.waitFor();
    expect(await current.textContent()).toContain('李四');
    await shot(p, 'org-cadres-desktop');
    await eventually(async () => (await noSecretary()) === 0, 15_000, 'the flag to go');

    await p.getByTestId('nav-health').click();
    await p.getByTestId('health-count-no-secretary').click();
    await p.getByTestId('health-list').waitFor();
    await p.waitForLoadState('networkidle');
    expect(await p.locator(`[data-testid="health-row"][data-org-id="${tree.ids.branch2}"]`).count()).toBe(0);

    // The term ends: the branch has no secretary again.
    await orgPage(p, tree.ids.branch2, 'cadres');
    await current.getByTestId('cadre-end').click();
    await p.locator('.el-message-box__btns .el-button--primary').click();
    await p.locator('[data-testid="cadre-row"][data-ended="yes"]').waitFor();
    await eventually(async () => (await noSecretary()) === 1, 15_000, 'the flag to come back');
  });

  it('R21: a city admin opens health and pages a list', async () => {
    const { tree } = w;
    const s = randomBytes(2).toString('hex');
    // More empty branches than one page holds (the console asks for 20 at a time).
    await importOrgs(
      w.sys.app,
      Array.from({ length: 23 }, (_, i) => ({
        id: `${tree.ids.county1}-e${s}${i}`,
        parentId: tree.ids.county1,
        name: `空团支部${i}`,
        kind: 'branch',
        contactPhone: '0755-87654321',
      })),
    );
    const p = await w.page();
    await signIn(p, w.base, tree.tokens.city1);
    await p.getByTestId('nav-health').click();
    const count = p.getByTestId('health-count-empty-branch');
    await count.waitFor();
    const api = (await call(w.sys.app, 'GET', `/api/organizations/${tree.ids.city1}/health`, tree.tokens.city1)).body as {
      counts: { emptyBranches: number };
    };
    expect(api.counts.emptyBranches).toBeGreaterThanOrEqual(23);
    expect(Number(await count.getByTestId('health-n').textContent())).toBe(api.counts.emptyBranches);
    await count.click();
    const rows = p.getByTestId('health-row');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(20);
    await shot(p, 'health-desktop');
    while (await p.getByTestId('health-more').isVisible()) {
      const before = await rows.count();
      await p.getByTestId('health-more').click();
      await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThan(before);
      await p.waitForLoadState('networkidle');
    }
    expect(await rows.count()).toBe(api.counts.emptyBranches);
    const ids = await rows.evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { orgId: string } }).dataset.orgId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('R19: a committee issues a range and sees used/voided/open', async () => {
    const { tree } = w;
    // A year no other test checks members in for: a range issued for it binds that year's check-ins everywhere.
    const prefix = `T13${randomBytes(3).toString('hex').toUpperCase()}`;
    const p = await w.page();
    await signIn(p, w.base, tree.tokens.city1);
    await orgPage(p, tree.ids.city1, 'numbers');
    await field(p, 'range-org').fill(tree.ids.school1);
    await field(p, 'range-year').fill('2013');
    await field(p, 'range-prefix').fill(prefix);
    await field(p, 'range-count').fill('5');
    await p.getByTestId('range-submit').click();
    const row = p.locator(`[data-testid="range-row"][data-prefix="${prefix}"]`);
    await row.waitFor();
    expect(await row.getByTestId('range-open').textContent()).toContain('5');

    // One number used by a check-in of the school's branch, one voided from the page.
    await activeMember(w.sys.app, tree.ids.branch1, tree.tokens.sec1, {
      idNumber: idNumber('19950607'),
      joinDate: '2013-06-01',
      developmentNumber: `${prefix}1`,
    });
    await p.reload();
    await row.getByTestId('range-detail').click();
    await field(p, 'void-number').fill(`${prefix}2`);
    await field(p, 'void-reason').fill('填写错误，作废');
    await p.getByTestId('void-submit').click();
    await expect.poll(() => p.getByTestId('range-accounting').textContent(), { timeout: 15_000 }).toMatch(/已使用\s*1\D+已作废\s*1\D+未使用\s*3/);
    expect(await p.getByTestId('range-voided-list').textContent()).toContain(`${prefix}2`);
    expect(await p.getByTestId('range-used-list').textContent()).toContain(`${prefix}1`);
    expect(await row.getByTestId('range-open').textContent()).toContain('3');
    await shot(p, 'org-numbers-desktop');
    const api = await call(w.sys.app, 'GET', `/api/numbers/ranges?orgId=${tree.ids.school1}&year=2013`, tree.tokens.city1);
    expect((api.body.items as { prefix: string; counts: unknown }[]).find((r) => r.prefix === prefix)?.counts).toEqual({ used: 1, voided: 1, open: 3 });
  });

  it('R24: a secretary uploads an application form and the member leaves the missing list', async () => {
    const { tree } = w;
    const memberId = await activeMember(w.sys.app, tree.ids.branch1, tree.tokens.sec1, { joinDate: '2021-09-01' });
    const p = await w.page();
    await signIn(p, w.base, tree.tokens.sec1);
    await p.getByTestId('nav-missing-forms').click();
    const row = p.locator(`[data-testid="missing-row"][data-member-id="${memberId}"]`);
    await row.waitFor();
    await shot(p, 'missing-forms-desktop');
    await row.getByRole('link').last().click();
    await p.getByTestId('application-form').waitFor();
    const file = p.getByTestId('form-file');
    // Not a PDF or an image: refused in the page, nothing sent.
    await file.setInputFiles({ name: 'form.txt', mimeType: 'text/plain', buffer: Buffer.from('not a form') });
    await p.getByTestId('form-problem').waitFor();
    // Larger than 10 MiB: refused in the page too.
    await file.setInputFiles({ name: 'big.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(10 * 1024 * 1024 + 1, 0x25) });
    await expect.poll(() => p.getByTestId('form-problem').textContent()).toMatch(/10 MiB/);
    expect(((await member(memberId, tree.tokens.sec1)).applicationForm as { uploadedAt: string | null }).uploadedAt).toBeNull();

    const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
    await file.setInputFiles({ name: '入团志愿书.pdf', mimeType: 'application/pdf', buffer: pdf });
    await p.getByTestId('form-download').waitFor({ timeout: 15_000 });
    const form = (await member(memberId, tree.tokens.sec1)).applicationForm as { uploadedAt: string | null; sha256: string };
    expect(form.uploadedAt).not.toBeNull();
    expect(await p.getByTestId('form-status').textContent()).toContain(form.sha256);
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByTestId('form-download').click()]);
    expect(download.suggestedFilename()).toMatch(/\.pdf$/);
    await shot(p, 'member-form-desktop');

    await p.getByTestId('nav-missing-forms').click();
    await p.getByTestId('missing-table').waitFor();
    await p.waitForLoadState('networkidle');
    expect(await row.count()).toBe(0);
  });

  it('R7: the province opens the window; the member requests a new join date, the branch approves it', async () => {
    const { tree } = w;
    const { memberId, token } = await selfMember(tree.ids.branch1, tree.tokens.sec1, { joinDate: '2016-05-04' });
    const prov = await w.page();
    await signIn(prov, w.base, tree.tokens.province);
    await prov.getByTestId('nav-join-date-window').click();
    await field(prov, 'window-opens').fill(day(-1));
    await field(prov, 'window-closes').fill(day(10));
    await prov.getByTestId('window-save').click();
    await expect.poll(() => prov.getByTestId('window-state').textContent(), { timeout: 15_000 }).toContain('开放中');
    await shot(prov, 'join-date-window-desktop');
    try {
      const m = await w.page();
      await signIn(m, w.base, token);
      await memberPage(m, memberId);
      await expect.poll(() => m.getByTestId('join-date-window').textContent()).toContain(day(10));
      await field(m, 'join-date-new').fill('2016-06-04');
      await field(m, 'join-date-reason').fill('团员证记载为六月');
      await m.getByTestId('join-date-submit').click();
      await expect.poll(() => m.getByTestId('join-date-pending').textContent(), { timeout: 15_000 }).toContain('2016-06-04');
      expect((await member(memberId, token)).joinDate).toBe('2016-05-04');
      const processId = ((await member(memberId, token)).pending as { processId: string; kind: string }[]).find((c) => c.kind === 'join-date')!.processId;

      // The branch decides it from the process page.
      const sec = await w.page();
      await signIn(sec, w.base, tree.tokens.sec1);
      await sec.goto(`${w.base}/console/processes/${processId}`);
      await expect.poll(() => sec.locator('#process-title').textContent()).toContain('入团时间更正');
      await sec.getByTestId('action-approve').click();
      await sec.getByTestId('decision-submit').click();
      await eventually(async () => (await member(memberId, token)).joinDate === '2016-06-04', 15_000, 'the new join date');
      await memberPage(m, memberId);
      await expect.poll(() => field(m, 'member-joinDate').inputValue()).toBe('2016-06-04');
      await expect.poll(() => m.getByTestId('member-history').textContent(), { timeout: 15_000 }).toContain('2016-05-04 → 2016-06-04');
    } finally {
      // The window is the province's, shared by every test file: close it again.
      await prov.getByTestId('window-close').click();
      await expect.poll(() => prov.getByTestId('window-state').textContent(), { timeout: 15_000 }).toContain('未设置');
    }
  });

  it('R7: outside the window a city-level committee files a formal request with a reason, and the province approves it from To do', async () => {
    const { tree } = w;
    const memberId = await activeMember(w.sys.app, tree.ids.branch1, tree.tokens.sec1, { joinDate: '2015-03-01' });
    const city = await w.page();
    await signIn(city, w.base, tree.tokens.city1);
    await memberPage(city, memberId);
    await field(city, 'join-date-new').fill('2015-04-01');
    // A formal request needs a reason: refused in the page without one, nothing sent.
    await city.getByTestId('join-date-submit').click();
    await city.locator('.el-message--warning').waitFor();
    expect((await member(memberId, tree.tokens.city1)).pending).toEqual([]);
    await field(city, 'join-date-reason').fill('档案记载为四月');
    await city.getByTestId('join-date-submit').click();
    await expect.poll(() => city.getByTestId('join-date-pending').textContent(), { timeout: 15_000 }).toContain('2015-04-01');
    const processId = ((await member(memberId, tree.tokens.city1)).pending as { processId: string }[])[0]!.processId;

    const prov = await w.page();
    await signIn(prov, w.base, tree.tokens.province);
    const row = prov.locator(`[data-testid="todo-row"][data-process-id="${processId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('省级团委审批入团时间更正');
    await row.getByTestId('action-approve').click();
    await prov.getByTestId('decision-submit').click();
    await row.waitFor({ state: 'detached' });
    await eventually(async () => (await member(memberId, tree.tokens.city1)).joinDate === '2015-04-01', 15_000, 'the corrected join date');
  });

  it('R19: a secretary records an age-out exception with a reason from the member page', async () => {
    const { tree } = w;
    const memberId = await activeMember(w.sys.app, tree.ids.branch1, tree.tokens.sec1);
    const p = await w.page();
    await signIn(p, w.base, tree.tokens.sec1);
    await memberPage(p, memberId);
    await field(p, 'age-out-reason').fill('担任团干部，按规定保留团籍');
    await p.getByTestId('age-out-submit').click();
    const saved = await eventually(
      () => w.sys.db.selectFrom('age_out_exceptions').select('reason').where('member_id', '=', memberId).executeTakeFirst(),
      15_000,
      'the exception',
    );
    expect(saved.reason).toBe('担任团干部，按规定保留团籍');
    await p.locator('.el-message--success').waitFor();
  });

  it('accessibility: no serious or critical axe-core violation on the new pages, at desktop size and (most) at phone size', async () => {
    const { tree } = w;
    const { memberId, token } = await selfMember(tree.ids.branch1, tree.tokens.sec1, { joinDate: '2021-10-01' });
    // Who looks, where, what shows the page is ready (and what to click first), and whether it is checked on a phone
    // too (the organization's tabs share their tables' phone layout with the pages checked there).
    const pages: { name: string; token: string; path: string; ready: string; click?: string; phone: boolean }[] = [
      { name: 'member-self', token, path: `members/${memberId}`, ready: 'change-request', phone: true },
      { name: 'member-secretary', token: tree.tokens.sec1, path: `members/${memberId}`, ready: 'application-form', phone: true },
      ...(['cadres', 'health', 'numbers', 'forms'] as const).map((tab) => ({
        name: `org-${tab}`,
        token: tree.tokens.city1,
        path: `organizations/${tree.ids.school1}?tab=${tab}`,
        ready: { cadres: 'cadre-form', health: 'health-count-no-secretary', numbers: 'range-form', forms: 'missing-table' }[tab],
        phone: tab === 'cadres' || tab === 'numbers',
      })),
      { name: 'health', token: tree.tokens.city1, path: 'health', click: 'health-count-empty-branch', ready: 'health-list', phone: true },
      { name: 'missing-forms', token: tree.tokens.city1, path: 'missing-forms', ready: 'missing-table', phone: false },
      { name: 'join-date-window', token: tree.tokens.province, path: 'join-date-window', ready: 'window-state', phone: true },
    ];
    const problems: string[] = [];
    for (const [size, sizeName] of [
      [DESKTOP, 'desktop'],
      [PHONE, 'phone'],
    ] as const) {
      const signedIn = new Map<string, Page>();
      for (const spec of pages.filter((x) => sizeName === 'desktop' || x.phone)) {
        let p = signedIn.get(spec.token);
        if (!p) {
          p = await w.page(size);
          await signIn(p, w.base, spec.token);
          signedIn.set(spec.token, p);
        }
        await p.goto(`${w.base}/console/${spec.path}`);
        if (spec.click) await p.getByTestId(spec.click).click();
        await p.getByTestId(spec.ready).first().waitFor();
        await p.waitForLoadState('networkidle');
        problems.push(...(await axeProblems(p)).map((v) => `${spec.name}/${sizeName}: ${v}`));
        await shot(p, `${spec.name}-${sizeName}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
