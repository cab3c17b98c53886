// Finds the Temporal CLI: $TEMPORAL_CLI, then PATH, then the user's cache, then builds it there with Go.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const TEMPORAL_CLI_VERSION = 'v1.5.1'; // later tags carry a `replace` directive that `go install` refuses

export function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tuanwu', 'bin');
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export function findTemporalCli(opts: { build?: boolean; log?: (s: string) => void } = {}): string {
  const log = opts.log ?? ((s: string) => console.error(s));
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!executable(fromEnv)) throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const found = onPath('temporal');
  if (found) return found;
  const cached = join(cacheDir(), 'temporal');
  if (executable(cached)) return cached;
  if (opts.build === false) throw new Error('Temporal CLI not found ($TEMPORAL_CLI, PATH, cache) and building is disabled');
  const go = process.env.GO ?? onPath('go') ?? (executable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new Error(
      'Temporal CLI not found: set TEMPORAL_CLI, put `temporal` on PATH, or install Go so it can be built ' +
        `(go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}).`,
    );
  }
  mkdirSync(cacheDir(), { recursive: true });
  log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${cacheDir()} (once; a few minutes)...`);
  const r = spawnSync(go, ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
    env: { ...process.env, GOBIN: cacheDir() },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0 || !executable(cached)) throw new Error(`building the Temporal CLI failed (go install exited ${r.status})`);
  return cached;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const cli = findTemporalCli();
  console.log(cli);
  console.log(execFileSync(cli, ['--version']).toString().trim());
}
