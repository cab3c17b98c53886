// The browser for the console's tests: Debian's Chromium (`apt-get install chromium`), driven by playwright-core
// through `executablePath`; no browser is downloaded. `$CHROMIUM` names another binary.
// `npx tsx scripts/chromium.ts --find` prints its path (.ci/run installs the package when it is missing).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [
    ...(env.CHROMIUM ? [env.CHROMIUM] : []),
    ...(env.PATH ?? '').split(delimiter).flatMap((dir) => (dir ? NAMES.map((n) => join(dir, n)) : [])),
    '/usr/bin/chromium',
  ];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not this one
    }
  }
  throw new Error('no Chromium found: install it with `apt-get install chromium`, or set CHROMIUM to its binary');
}

if (process.argv.includes('--find')) {
  try {
    console.log(findChromium());
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
