// The console (console/) in Debian's Chromium against the real system: the pages people work in, their refusals,
// their charts, English, accessibility and the phone size. Screenshots of each page go to test/artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  activeMember,
  call,
  deletedMember,
  eventually,
  graduateBranch,
  graduateMembers,
  idNumber,
  importOrgs,
  profile,
  seedTree,
  startSystem,
  type System,
  type Tree,
} from '../harness';
import { axeProblems, consoleBuilt, context, DESKTOP, field, inkOf, launch, listening, PHONE, shot, signIn } from './harness';

let sys: System;
let tree: Tree;
let base: string;
let browser: Browser;

/** Check-ins overdue after 2 s, so the supervision pages have something stuck to show. */
const SHORT = { deadlineMs: 2_000, reminderOffsetsMs: [1_000], escalationIntervalMs: 3_600_000 };

beforeAll(async () => {
  await consoleBuilt();
  sys = await startSystem({ checkIn: SHORT });
  tree = await seedTree(sys.app);
  base = await listening(sys);
  browser = await launch();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await sys?.stop();
});

async function page(size = DESKTOP): Promise<Page> {
  return (await context(browser, size)).newPage();
}

async function pendingCheckIn(branchId: string, token: string): Promise<string> {
  const r = await call(sys.app, 'POST', '/api/check-ins', token, { branchId, profile: profile() });
  expect(r.status).toBe(201);
  return r.body.processId as string;
}

const row = (p: Page, processId: string) => p.locator(`[data-testid="todo-row"][data-process-id="${processId}"]`);

describe('console', () => {
  it('R2: a secretary approves a check-in from To do, and it leaves the list', async () => {
    const id = await pendingCheckIn(tree.ids.branch1, tree.tokens.sec1);
    const p = await page();
    await signIn(p, base, tree.tokens.sec1);
    await expect(p.getByTestId('whoami').textContent()).resolves.toContain('branch1 secretary');
    await row(p, id).waitFor();
    await shot(p, 'todo-desktop');
    await row(p, id).getByTestId('action-approve').click();
    await p.getByTestId('decision-submit').click();
    await row(p, id).waitFor({ state: 'detached' });
    const after = await call(sys.app, 'GET', `/api/processes/${id}`, tree.tokens.sec1);
    expect(after.body.status).toBe('approved');
  });

  it('R2: a return needs a reason: the dialog refuses to send without one, then sends it', async () => {
    const id = await pendingCheckIn(tree.ids.branch1, tree.tokens.sec1);
    const p = await page();
    await signIn(p, base, tree.tokens.sec1);
    await row(p, id).getByTestId('action-return').click();
    await p.getByTestId('decision-submit').click();
    // Still open, nothing sent.
    await expect(p.getByTestId('decision-dialog').isVisible()).resolves.toBe(true);
    expect((await call(sys.app, 'GET', `/api/processes/${id}`, tree.tokens.sec1)).body.status).toBe('pending');
    await field(p, 'decision-reason').fill('出生日期有误');
    await p.getByTestId('decision-submit').click();
    await row(p, id).waitFor({ state: 'detached' });
    expect((await call(sys.app, 'GET', `/api/processes/${id}`, tree.tokens.sec1)).body.status).toBe('returned');
  });

  it('R3: a city admin sees an overdue check-in of a school two levels down; an unrelated county admin does not', async () => {
    const id = await pendingCheckIn(tree.ids.branch2, tree.tokens.sec2);
    // Overdue after its 2 s deadline.
    for (let i = 0; i < 100 && !(await call(sys.app, 'GET', `/api/processes/${id}`, tree.tokens.sec2)).body.overdue; i++)
      await new Promise((r) => setTimeout(r, 200));
    const city = await page();
    await signIn(city, base, tree.tokens.city1);
    await city.getByTestId('nav-supervision').click();
    await city.locator(`[data-testid="supervision-row"][data-process-id="${id}"]`).waitFor();
    await shot(city, 'supervision-desktop');
    const county = await page();
    await signIn(county, base, tree.tokens.county2);
    await county.getByTestId('nav-supervision').click();
    await county.getByTestId('supervision-org').waitFor();
    await county.waitForLoadState('networkidle');
    expect(await county.locator(`[data-testid="supervision-row"][data-process-id="${id}"]`).count()).toBe(0);
  });

  it('R3: the committee above extends an overdue check-in with a reason, and the deadline moves on the page', async () => {
    const id = await pendingCheckIn(tree.ids.branch2, tree.tokens.sec2);
    const p = await page();
    await signIn(p, base, tree.tokens.school1);
    await p.getByTestId('nav-supervision').click();
    const r = p.locator(`[data-testid="supervision-row"][data-process-id="${id}"]`);
    await r.waitFor();
    const before = await r.getByTestId('row-deadline').textContent();
    await r.getByTestId('action-extend').click();
    const until = new Date(Date.now() + 5 * 86_400_000);
    const day = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai' }).format(until);
    await p.getByTestId('decision-until').locator('input').first().fill(`${day} 18:00`);
    await p.getByTestId('decision-until').locator('input').first().press('Enter');
    await field(p, 'decision-reason').fill('期末考试');
    await p.getByTestId('decision-submit').click();
    await expect.poll(() => r.getByTestId('row-deadline').textContent(), { timeout: 15_000 }).not.toBe(before);
    expect(await r.getByTestId('row-deadline').textContent()).toContain(day);
  });

  it('a refusal from the API (403, 409, 422) shows as a clear message, not a blank page', async () => {
    const id = await pendingCheckIn(tree.ids.branch1, tree.tokens.sec1);
    const p = await page();
    await signIn(p, base, tree.tokens.sec1);
    await row(p, id).waitFor();
    // Decided meanwhile elsewhere: the console's approval gets 409.
    expect((await call(sys.app, 'POST', `/api/processes/${id}/decisions`, tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
    await row(p, id).getByTestId('action-approve').click();
    await p.getByTestId('decision-submit').click();
    const message = p.locator('.el-message');
    await message.first().waitFor();
    expect(await message.first().textContent()).toMatch(/already|已/);
    expect(await p.getByTestId('whoami').isVisible()).toBe(true);
    // A process of another branch: 403, shown as a message on the detail page.
    const other = await pendingCheckIn(tree.ids.branch3, tree.tokens.sec3);
    await p.goto(`${base}/console/processes/${other}`);
    await p.locator('.el-message, [role="alert"]').first().waitFor();
    expect(await p.getByTestId('whoami').isVisible()).toBe(true);
  });

  it('switching to English translates the pages, and back', async () => {
    const p = await page();
    await signIn(p, base, tree.tokens.sec1);
    const zh = await p.getByTestId('nav-todo').textContent();
    expect(zh).toContain('待办');
    await p.getByTestId('lang-switch').click();
    await expect.poll(() => p.getByTestId('nav-todo').textContent()).toMatch(/To do/i);
    await shot(p, 'todo-english-desktop');
  });

  it('accessibility: no serious or critical axe-core violation on each page, at desktop and phone size', async () => {
    await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const problems: string[] = [];
    for (const [size, name] of [
      [DESKTOP, 'desktop'],
      [PHONE, 'phone'],
    ] as const) {
      const p = await page(size);
      await p.goto(`${base}/console/login`);
      await p.getByTestId('signin-token').waitFor();
      problems.push(...(await axeProblems(p)).map((v) => `login/${name}: ${v}`));
      await shot(p, `login-${name}`);
      await signIn(p, base, tree.tokens.city1);
      for (const nav of ['todo', 'supervision', 'transfers', 'statistics', 'problems']) {
        if (name === 'phone') await p.goto(`${base}/console/${nav}`);
        else await p.getByTestId(`nav-${nav}`).click();
        await p.waitForLoadState('networkidle');
        problems.push(...(await axeProblems(p)).map((v) => `${nav}/${name}: ${v}`));
        await shot(p, `${nav}-${name}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('keyboard alone: sign in and approve from To do with Tab and Enter', async () => {
    const id = await pendingCheckIn(tree.ids.branch1, tree.tokens.sec1);
    const p = await page();
    await p.goto(`${base}/console/login`);
    await field(p, 'signin-token').focus();
    await p.keyboard.type(tree.tokens.sec1);
    await p.keyboard.press('Enter');
    await row(p, id).waitFor();
    await row(p, id).getByTestId('action-approve').focus();
    await p.keyboard.press('Enter');
    await p.getByTestId('decision-submit').focus();
    await p.keyboard.press('Enter');
    await row(p, id).waitFor({ state: 'detached' });
    expect((await call(sys.app, 'GET', `/api/processes/${id}`, tree.tokens.sec1)).body.status).toBe('approved');
  });

  it('R11: a transfer started from the console, with the route preview shown live as the form is filled', async () => {
    const s = randomBytes(2).toString('hex');
    const town = `${tree.ids.county2}-town${s}`;
    await importOrgs(sys.app, [
      { id: town, parentId: tree.ids.county2, name: '某街道团工委', kind: 'committee' },
      { id: `${town}-float`, parentId: town, name: '流动团员团支部', kind: 'branch', specialKind: 'floating', contactPhone: '020-55550000' },
    ]);
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const p = await page();
    await signIn(p, base, tree.tokens.sec1);
    await p.getByTestId('nav-transfers').click();
    await field(p, 'transfer-member').fill(memberId);
    await field(p, 'transfer-unit-name').fill('某科技公司');
    await field(p, 'transfer-location').fill(town);
    // The preview names where R11 sends the member, and why, before anything is sent.
    await expect.poll(() => p.getByTestId('route-preview').textContent(), { timeout: 15_000 }).toContain(`${town}-float`);
    expect(await p.getByTestId('route-reason').textContent()).toMatch(/R11/);
    await shot(p, 'transfers-desktop');
    await p.getByTestId('transfer-submit').click();
    const row = await eventually(
      () => sys.db.selectFrom('transfers').select(['to_org_id', 'route_case']).where('member_id', '=', memberId).executeTakeFirst(),
      15_000,
      'the transfer in the read model',
    );
    expect(row).toEqual({ to_org_id: `${town}-float`, route_case: 'floating-branch' });
  });

  it("R12: a graduates' CSV imported from the console, with the progress bar and the per-row report", async () => {
    const grad = await graduateBranch(sys.app, tree.ids.school1);
    // R12: graduates are members of the cohort before its base date.
    const ids = (await graduateMembers(sys, grad, 2, { since: '2026-03-15T12:00:00Z' })).map((g) => g.idNumber);
    const csv = ['idNumber,toOrgId', ...ids.map((id) => `${id},${tree.ids.branch3}`), `${idNumber('20000505')},${tree.ids.branch3}`, ''].join('\n');
    const p = await page();
    await signIn(p, base, tree.tokens.school1);
    await p.getByTestId('nav-transfers').click();
    await p
      .getByTestId('graduates-file')
      .locator('input[type=file]')
      .or(p.locator('input[type=file][data-testid="graduates-file"]'))
      .first()
      .setInputFiles({ name: 'roster.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await p.getByTestId('import-progress').waitFor();
    await p.getByTestId('import-report').waitFor({ timeout: 30_000 });
    const statuses = await p
      .getByTestId('import-row')
      .evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { status?: string } }).dataset.status));
    // One row each, in whatever order the report shows them (failures may come first).
    expect(statuses.sort()).toEqual(['failed', 'started', 'started']);
    await shot(p, 'graduates-import-desktop');
  });

  it("R3/R12/R17/R18: each statistics chart renders with data (its canvas is not blank), and its CSV has the API's values", async () => {
    // Data for each chart: an overdue check-in (R3), a dues payment (R18), an approved deletion (R17); the graduates'
    // transfers started by the import test above (R12).
    const overdueId = await pendingCheckIn(tree.ids.branch1, tree.tokens.sec1);
    await eventually(async () => (await call(sys.app, 'GET', `/api/processes/${overdueId}`, tree.tokens.sec1)).body.overdue === true, 15_000, 'overdue');
    const payer = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const month = new Date().toISOString().slice(0, 7);
    expect((await call(sys.app, 'POST', '/api/dues/payments', tree.tokens.sec1, { memberId: payer, month, amountCents: 50 })).status).toBe(201);
    await deletedMember(sys, tree, { id: tree.ids.branch1, secretary: tree.tokens.sec1 }, { reason: 'moved abroad for good' });

    const p = await page();
    await signIn(p, base, tree.tokens.province);
    await p.getByTestId('nav-statistics').click();
    for (const chart of ['graduates', 'dues', 'deletions', 'overdue']) {
      await expect.poll(() => inkOf(p, `chart-${chart}`), { timeout: 15_000 }).toBeGreaterThan(0.002);
    }
    await shot(p, 'statistics-desktop');
    // The values behind two charts, as downloaded, against the API's own answers.
    const csvOf = async (name: string) => {
      const button = p.getByTestId(`chart-download-${name}`);
      await expect.poll(() => button.isEnabled(), { timeout: 15_000 }).toBe(true);
      const [download] = await Promise.all([p.waitForEvent('download'), button.click()]);
      return readFileSync((await download.path())!, 'utf8');
    };
    const overdue = (await call(sys.app, 'GET', `/api/stats/overdue?orgId=${tree.ids.province}&days=30`, tree.tokens.province)).body as {
      days: { day: string; overdue: number }[];
    };
    const today = overdue.days.at(-1)!;
    expect(today.overdue).toBeGreaterThan(0);
    expect((await csvOf('overdue')).split(/\r?\n/)).toContainEqual(expect.stringMatching(new RegExp(`^${today.day},${today.overdue}$`)));
    const deletions = (await call(sys.app, 'GET', `/api/stats/deletions?orgId=${tree.ids.province}`, tree.tokens.province)).body as {
      months: { month: string; approved: number }[];
    };
    const thisMonth = deletions.months.find((m) => m.month === month)!;
    expect(thisMonth.approved).toBeGreaterThan(0);
    expect(await csvOf('deletions')).toContain(`${month},${thisMonth.approved}`);
    const dues = (await call(sys.app, 'GET', `/api/stats/dues?orgId=${tree.ids.province}&month=${month}`, tree.tokens.province)).body as {
      organization: { members: number; paid: number; rate: number | null };
    };
    expect(dues.organization.paid).toBeGreaterThan(0);
    const o = dues.organization;
    expect(await csvOf('dues')).toContain(`${month},${o.members},${o.paid},${o.rate ?? ''}`);
    const grads = (
      await call(sys.app, 'GET', `/api/stats/graduate-transfers?orgId=${tree.ids.province}&cohort=${new Date().getFullYear()}`, tree.tokens.province)
    ).body as {
      schools: { orgId: string; graduates: number; transferred: number }[];
    };
    const school = grads.schools.find((x) => x.orgId === tree.ids.school1)!;
    expect(school.graduates).toBeGreaterThan(0);
    expect(await csvOf('graduates')).toMatch(new RegExp(`^${tree.ids.school1},[^,]*,${school.graduates},${school.transferred},`, 'm'));
  });
});
