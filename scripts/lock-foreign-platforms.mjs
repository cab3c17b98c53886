// The registry reachable here serves only the Linux builds of platform-specific optional packages, so
// `npm install` leaves the others out of package-lock.json and `npm ci` then refuses the lock as out of sync.
// This records each missing optional package with its os/cpu, which npm ci skips on other platforms.
// Run after `npm install` changes the lock: `node scripts/lock-foreign-platforms.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const PLATFORM =
  /-(darwin|linux|win32|freebsd|android|sunos|aix|openbsd|netbsd)-(x64|arm64|arm|ia32|ppc64|s390x|riscv64|loong64|mips64el)(?:-(gnu|musl|msvc|gnueabihf|eabi))?$/;
/** Foreign-platform optional packages whose names carry no platform (the registry here does not serve them). */
const NAMED = { 'napi-windows-process-start-time': { os: 'win32' }, fsevents: { os: 'darwin' } };
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const added = [];
for (const [path, pkg] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const at = `${path ? `${path}/` : ''}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (lock.packages[at] || lock.packages[hoisted]) continue;
    const named = NAMED[name];
    if (named) {
      lock.packages[hoisted] = { version: version.replace(/^[\^~]/, ''), optional: true, os: [named.os] };
      added.push(`${name}@${version}`);
      continue;
    }
    const m = PLATFORM.exec(name);
    if (!m) continue;
    const os = m[1];
    const cpu = m[3] === 'gnueabihf' ? 'arm' : m[2];
    lock.packages[hoisted] = {
      version,
      cpu: [cpu],
      optional: true,
      os: [os],
      ...(m[3] && os === 'linux' ? { libc: [m[3] === 'musl' ? 'musl' : 'glibc'] } : {}),
    };
    added.push(`${name}@${version}`);
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `recorded: ${added.join(', ')}` : 'nothing missing');
