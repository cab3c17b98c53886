// `npm start` as a person runs it, for the tests that need the whole system with its embedded defaults: its own
// data folder, free ports for the API, the Web UI, the worker's metrics and the Temporal dev server
// (TUANWU_TEMPORAL_PORT, so several runs share a machine), no DATABASE_URL and no TEMPORAL_ADDRESS (so it embeds
// PostgreSQL and runs the dev server), stopped with Ctrl-C (SIGINT to its process group, as a terminal sends it).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../scripts/net';

export interface DemoActor {
  label: string;
  role: string;
  orgId: string | null;
  token: string;
}

export interface NpmStart {
  /** http://127.0.0.1:<port> */
  base: string;
  /** host:port of its Temporal dev server. */
  temporalAddress: string;
  dataDir: string;
  adminToken: string;
  /** scripts/demo.ts's actors, as `npm start` wrote them to <dataDir>/demo-tokens.json. */
  actors: DemoActor[];
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved as they came. */
  output(): string;
  alive(): boolean;
  /**
   * Ctrl-C: SIGINT to its process group, SIGKILL after `timeoutMs`; answers the exit code (or the signal). The data
   * folder goes with it unless the caller gave it.
   */
  stop(timeoutMs?: number): Promise<number | string>;
}

/** The environment as a person's shell has it: no external servers, no tokens or keys given (they are in the data folder). */
export function personEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TUANWU_ADMIN_TOKEN', 'TUANWU_PAYLOAD_KEYS', 'TUANWU_PAYLOAD_KEY_ID', 'NODE_ENV']) delete env[k];
  for (const k of Object.keys(env)) if (k.startsWith('VITEST')) delete env[k];
  return { ...env, ...extra };
}

/**
 * Starts `npx tsx scripts/start.ts` in `cwd` (this checkout by default) on `dataDir` (a new temporary folder by
 * default) with `env` added, and answers once /readyz is 200.
 */
export async function startNpmStart(o: { cwd?: string; dataDir?: string; readyTimeoutMs?: number; env?: Record<string, string> } = {}): Promise<NpmStart> {
  const cwd = o.cwd ?? fileURLToPath(new URL('..', import.meta.url));
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'tuanwu-npm-start-'));
  const ports = new Set<number>();
  while (ports.size < 4) ports.add(await freePort());
  const [apiPort, uiPort, metricsPort, temporalPort] = [...ports] as [number, number, number, number];
  const env = personEnv({
    TUANWU_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    TUANWU_TEMPORAL_UI_PORT: String(uiPort),
    TUANWU_WORKER_METRICS_PORT: String(metricsPort),
    // Not the default 7233: another run (or a person's `npm start`) on this machine may hold it.
    TUANWU_TEMPORAL_PORT: String(temporalPort),
    ...o.env,
  });
  // Its own process group, so that stop() reaches npx, tsx, node and the dev server as Ctrl-C does.
  const child = spawn('npx', ['tsx', 'scripts/start.ts'], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      /* the group has ended */
    }
  };
  let stopped: Promise<number | string> | undefined;
  const stop = (timeoutMs = 60_000) =>
    (stopped ??= (async () => {
      if (alive()) signalGroup('SIGINT');
      const timer = setTimeout(() => signalGroup('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      // What it left in its group (the dev server, PostgreSQL) ends with it.
      await new Promise((r) => setTimeout(r, 500));
      signalGroup('SIGKILL');
      if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    })());
  const base = `http://127.0.0.1:${apiPort}`;
  // Polled by hand rather than with eventually(): an exit ends the wait at once, with what it printed.
  const until = Date.now() + (o.readyTimeoutMs ?? 180_000);
  for (;;) {
    const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (r?.status === 200) break;
    if (!alive() || Date.now() > until) {
      const why = alive() ? `not ready after ${o.readyTimeoutMs ?? 180_000} ms` : `exited (${String(await exited)})`;
      await stop();
      throw new Error(`npm start ${why}:\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    base,
    temporalAddress: `127.0.0.1:${env.TUANWU_TEMPORAL_PORT}`,
    dataDir,
    adminToken: readFileSync(join(dataDir, 'admin-token'), 'utf8').trim(),
    actors: JSON.parse(readFileSync(join(dataDir, 'demo-tokens.json'), 'utf8')) as DemoActor[],
    child,
    output: () => out,
    alive,
    stop,
  };
}
