// Starts a Temporal dev server with Tuanwu's search attributes, or checks them on an existing server.
import { spawn, type ChildProcess } from 'node:child_process';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../domain/search-attributes';
import { findTemporalCli } from './tools';
import { waitForPort } from './net';
import { ensureSearchAttributes } from '../temporal/search-attributes';

export interface DevServer {
  address: string;
  uiPort?: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startDevServer(opts: {
  port: number;
  uiPort?: number;
  dbFile?: string;
  codecEndpoint?: string;
  log?: (s: string) => void;
}): Promise<DevServer> {
  const cli = findTemporalCli({ log: opts.log });
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'error'];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  if (opts.codecEndpoint) args.push('--ui-codec-endpoint', opts.codecEndpoint);
  for (const sa of SEARCH_ATTRIBUTE_DEFINITIONS) args.push('--search-attribute', `${sa.name}=${sa.type}`);
  // The dev server picks free ports for its internal services as it starts; on a busy machine (the tests' parallel
  // runs) another process can take one in between, and it exits at once. It is started again, up to 3 times, on the
  // same port (the caller's); its own words (stdout and stderr) are kept for the error.
  let child: ChildProcess;
  let exited: Promise<never>;
  for (let attempt = 1; ; attempt++) {
    child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
    let output = '';
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`temporal dev server exited (${code}): ${output}`))));
    exited.catch(() => {});
    try {
      await Promise.race([waitForPort(opts.port, '127.0.0.1', 120_000), exited]);
      break;
    } catch (e) {
      if (child.exitCode === null || attempt === 3) throw e;
      opts.log?.(`${(e as Error).message.trim()}; starting it again`);
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
  const address = `127.0.0.1:${opts.port}`;
  await Promise.race([ensureSearchAttributes(address), exited]);
  return {
    address,
    uiPort: opts.uiPort,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
