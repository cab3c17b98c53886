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
  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`temporal dev server exited (${code}): ${stderr}`))));
  exited.catch(() => {});
  await Promise.race([waitForPort(opts.port, '127.0.0.1', 120_000), exited]);
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

// The search attributes' check lives with the client side of Temporal: the worker runs it at start too.
export { ensureSearchAttributes, INDEXED_VALUE_TYPE, WrongSearchAttributes } from '../temporal/search-attributes';
