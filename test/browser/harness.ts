// The console in a real browser: the console built by Vite (once, if console/dist is missing), served by the real
// API on a real port, with the real worker, Temporal and PostgreSQL of the other tests; Debian's Chromium driven
// by playwright-core. Screenshots go to test/artifacts/ (not committed); axe-core checks each page.
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { findChromium } from '../../scripts/tools';
import { seedTree, startSystem, type System, type SystemOptions, type Tree } from '../harness';

const root = join(import.meta.dirname, '..', '..');
export const ARTIFACTS = join(root, 'test', 'artifacts');

/** Builds the console once (vite build), unless console/dist is there already. */
export async function consoleBuilt(): Promise<void> {
  if (existsSync(join(root, 'console', 'dist', 'index.html'))) return;
  const { build } = await import('vite');
  await build({ configFile: join(root, 'console', 'vite.config.ts'), logLevel: 'warn' });
}

/** The system's API on a real port (the browser needs one); answers its base URL. */
export async function listening(sys: System): Promise<string> {
  await sys.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(sys.app.server.address() as AddressInfo).port}`;
}

export function launch(): Promise<Browser> {
  // Root in a container has no user namespaces for Chromium's sandbox.
  return chromium.launch({ executablePath: findChromium(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export const DESKTOP = { viewport: { width: 1366, height: 768 } };
export const PHONE = { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** A browser context of its own (its own session storage), at desktop or phone size, in Asia/Shanghai. */
export function context(browser: Browser, size: typeof DESKTOP | typeof PHONE = DESKTOP): Promise<BrowserContext> {
  // Reduced motion: charts are drawn at once (no animation), so a screenshot shows them drawn.
  return browser.newContext({ ...size, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', reducedMotion: 'reduce' });
}

/** The text field of a form control: the element with the test ID itself, or the input or textarea inside it. */
export function field(page: Page, testId: string) {
  return page
    .locator(`input[data-testid="${testId}"], textarea[data-testid="${testId}"], [data-testid="${testId}"] input, [data-testid="${testId}"] textarea`)
    .first();
}

/** Signs in with a token on the Sign in page; lands on To do. */
export async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/console/login`);
  await field(page, 'signin-token').fill(token);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('whoami').waitFor();
}

/** Saves a screenshot of the page as test/artifacts/<name>.png. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's serious and critical violations on the page as it is now: "rule: target …". */
export async function axeProblems(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axePath });
  // A toast caught mid-fade has the contrast of half its opacity: let running transitions end first (at most 2 s),
  // and scan again when one began its fade during the scan (a loaded machine is slow enough for that).
  for (let attempt = 1; ; attempt++) {
    await page.evaluate(async () => {
      const doc = (globalThis as unknown as { document: { getAnimations(): { finished: Promise<unknown> }[] } }).document;
      await Promise.race([Promise.allSettled(doc.getAnimations().map((a) => a.finished)), new Promise((r) => setTimeout(r, 2000))]);
    });
    const violations = await page.evaluate(async () => {
      const axe = (
        globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }> } }
      ).axe;
      const r = await axe.run();
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
    });
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const inTransition = serious.some((v) => v.targets.some((t) => /-(leave|enter)-(active|from|to)/.test(t)));
    if (!inTransition || attempt === 3) return serious.map((v) => `${v.id} (${v.impact}): ${v.targets.slice(0, 3).join(' ')}`);
  }
}

/** Whether a chart's canvas has anything drawn on it: the share of pixels that are not the background. */
export async function inkOf(page: Page, testId: string): Promise<number> {
  const canvas = page.getByTestId(testId).locator('canvas').first();
  await canvas.waitFor();
  // The page's canvas, typed by what is used of it (the project's types have no DOM).
  type Canvas = {
    width: number;
    height: number;
    getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
  };
  return canvas.evaluate((c: Canvas) => {
    const ctx = c.getContext('2d');
    if (!ctx || c.width === 0 || c.height === 0) return 0;
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    const [r0, g0, b0, a0] = [data[0], data[1], data[2], data[3]];
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] !== r0 || data[i + 1] !== g0 || data[i + 2] !== b0 || data[i + 3] !== a0) ink += 1;
    return ink / (data.length / 4);
  });
}

/** A browser-test file's world: its own system and tree, the API on a real port, the console built, Chromium. */
export interface ConsoleWorld {
  sys: System;
  tree: Tree;
  base: string;
  browser: Browser;
  /** A new page in a context of its own (its own session), desktop size unless told. */
  page(size?: typeof DESKTOP | typeof PHONE): Promise<Page>;
}

export async function startConsole(opts: SystemOptions = {}): Promise<ConsoleWorld> {
  await consoleBuilt();
  const sys = await startSystem(opts);
  try {
    const tree = await seedTree(sys.app);
    const base = await listening(sys);
    const browser = await launch();
    return { sys, tree, base, browser, page: async (size = DESKTOP) => (await context(browser, size)).newPage() };
  } catch (e) {
    // Half started: nothing is left running for afterAll to miss.
    await sys.stop();
    throw e;
  }
}

export async function stopConsole(world: ConsoleWorld | undefined): Promise<void> {
  await world?.browser.close();
  await world?.sys.stop();
}
