// Starts a Temporal dev server with Tuanwu's search attributes, or checks them on an existing server.
import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../domain/search-attributes';
import { findTemporalCli } from './temporal-cli';
import { waitForPort } from './net';

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

const IVT = proto.temporal.api.enums.v1.IndexedValueType;
/** The server's type of each attribute, from the proto enum (numbers written by hand were wrong once). */
export const INDEXED_VALUE_TYPE = {
  Keyword: IVT.INDEXED_VALUE_TYPE_KEYWORD,
  KeywordList: IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  Datetime: IVT.INDEXED_VALUE_TYPE_DATETIME,
  Bool: IVT.INDEXED_VALUE_TYPE_BOOL,
} as const satisfies Record<(typeof SEARCH_ATTRIBUTE_DEFINITIONS)[number]['type'], number>;

/** A search attribute registered with another type: every start would fail, so start-up refuses. */
export class WrongSearchAttributes extends Error {
  constructor(detail: string) {
    super(`search attributes of the wrong type on the Temporal server (remove them, then restart): ${detail}`);
  }
}

/** Registers any missing custom search attribute; on a server that exists already this is the start-up check. */
export async function ensureSearchAttributes(address: string, namespace = 'default'): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
        const wrong = SEARCH_ATTRIBUTE_DEFINITIONS.filter(
          (d) => customAttributes?.[d.name] !== undefined && customAttributes[d.name] !== INDEXED_VALUE_TYPE[d.type],
        );
        if (wrong.length > 0)
          throw new WrongSearchAttributes(wrong.map((d) => `${d.name} is ${IVT[customAttributes![d.name]!]}, expected ${d.type}`).join('; '));
        const missing = SEARCH_ATTRIBUTE_DEFINITIONS.filter((d) => !customAttributes || !(d.name in customAttributes));
        if (missing.length === 0) return;
        await connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map((d) => [d.name, INDEXED_VALUE_TYPE[d.type]])),
        });
      } catch (e) {
        if (e instanceof WrongSearchAttributes || attempt > 60) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await connection.close();
  }
}
