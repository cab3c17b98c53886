// `npm run import-graduates -- roster.csv`: starts the graduates' transfers (R12) from a roster file (CSV in UTF-8 or
// GB18030/GBK, or an .xlsx workbook's first sheet, read by domain/tables.ts as the API reads an upload), sent to the
// API in chunks of UTF-8 CSV with a progress bar. Running the same file again resumes: the batch key is the file's hash.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { extname } from 'node:path';
import { rosterHeaderProblem } from '../domain/graduates';
import { redactIdNumbers } from '../domain/identifiers';
import { DomainError } from '../domain/errors';
import { XLSX_TYPE, csvLine, readTable, type Table } from '../domain/tables';

export interface ImportOptions {
  file: string;
  apiUrl: string;
  token: string;
  batchKey?: string;
  /** Rows per request, default 500. */
  chunkSize?: number;
  /** Requests in flight, default 2. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Each chunk once answered: its size, round-trip time (all tries) and tries (the bench reads latencies here). */
  onChunk?: (c: ChunkTiming) => void;
}

export interface Progress {
  done: number;
  total: number;
  started: number;
  alreadyStarted: number;
  failed: number;
  elapsedMs: number;
}

export interface RowReport {
  line: number;
  idNumber?: string;
  status: 'started' | 'already-started' | 'failed';
  processId?: string;
  error?: { status: number; message: string; rule?: string };
}

export interface ImportSummary extends Progress {
  batch: string;
  rows: RowReport[];
  rowsPerSecond: number;
}

export interface ChunkTiming {
  firstLine: number;
  rows: number;
  ms: number;
  tries: number;
}

/** A failure of the whole import (not of a row): a refused request, or a chunk that kept failing. */
export class ImportError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ImportError';
  }
}

const MAX_TRIES = 8;

export interface RosterChunk {
  /** The file line the chunk's header stands for (the API numbers the chunk's lines from it). */
  firstLine: number;
  /** The header and the chunk's rows as UTF-8 CSV, blank lines keeping each row on its file line where possible. */
  body: string;
  /** File lines (or sheet rows) of the chunk's rows, in order: the API answers one row for each, in this order. */
  lines: number[];
}

/** The default batch key: the same bytes give the same key, so a second run resumes the first. */
export function batchKeyOf(bytes: Buffer): string {
  return `roster-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;
}

/** Rows a roster file may hold (it is sent in chunks, the API takes at most 20,000 rows a request). */
const MAX_FILE_ROWS = 1_000_000;

/** The roster file's table: CSV (UTF-8 or GB18030/GBK, detected) or .xlsx (by its bytes, or its extension). */
export async function readRosterFile(bytes: Buffer, file: string): Promise<Table> {
  const contentType = extname(file).toLowerCase() === '.xlsx' ? XLSX_TYPE : 'text/csv';
  try {
    return await readTable(bytes, { contentType, maxRows: MAX_FILE_ROWS });
  } catch (e) {
    if (e instanceof DomainError) throw new ImportError(`${file}: ${e.message}`);
    throw e;
  }
}

/**
 * Splits a roster into chunks of `chunkSize` rows, each with the header, as UTF-8 CSV. Blank lines pad the gaps
 * between rows (blank lines of the file, a quoted cell spanning lines) so that the API numbers each row with its
 * line in the file; the CLI reports the lines it sent anyway (the API answers rows in order).
 */
export function chunkRoster(table: Table, chunkSize: number): { total: number; chunks: RosterChunk[] } {
  const problem = rosterHeaderProblem(table.header);
  if (problem) throw new ImportError(problem);
  const header = csvLine(table.header);
  const breaks = (s: string) => s.match(/\r\n|\n|\r/g)?.length ?? 0;
  const chunks: RosterChunk[] = [];
  for (let k = 0; k < table.rows.length; k += chunkSize) {
    const part = table.rows.slice(k, k + chunkSize);
    // The chunk's header stands for the line just above its first row (or for the file's header line).
    const firstLine = Math.max(1, part[0]!.line - 1 - breaks(header));
    let body = `${header}\n`;
    let at = firstLine + breaks(header) + 1;
    for (const r of part) {
      if (r.line > at) body += '\n'.repeat(r.line - at);
      at = Math.max(at, r.line);
      const text = csvLine(r.cells);
      body += `${text}\n`;
      at += breaks(text) + 1;
    }
    chunks.push({ firstLine, body, lines: part.map((r) => r.line) });
  }
  return { total: table.rows.length, chunks };
}

interface ApiRow {
  line: number;
  idNumber?: string;
  status: RowReport['status'];
  processId?: string;
  error?: { status: number; message: string; rule?: string; fields?: { field: string; message: string; rule?: string }[] };
}

function toReport(r: ApiRow): RowReport {
  const out: RowReport = { line: r.line, status: r.status };
  if (r.idNumber) out.idNumber = redactIdNumbers(r.idNumber);
  if (r.processId) out.processId = r.processId;
  if (r.error) {
    const fields = r.error.fields?.map((f) => `${f.field}: ${f.message}`).join('; ');
    const rule = r.error.rule ?? r.error.fields?.find((f) => f.rule)?.rule;
    out.error = { status: r.error.status, message: redactIdNumbers(fields ? `${r.error.message} (${fields})` : r.error.message), ...(rule ? { rule } : {}) };
  }
  return out;
}

/** The server's words for a refused request, whatever shape its body has. */
function refusal(status: number, text: string): string {
  try {
    const b = JSON.parse(text) as { error?: string; message?: string; fields?: { field: string; message: string }[] };
    const fields = b.fields?.length ? ` (${b.fields.map((f) => `${f.field}: ${f.message}`).join('; ')})` : '';
    return redactIdNumbers(`HTTP ${status}${b.error ? ` ${b.error}` : ''}: ${b.message ?? text}${fields}`);
  } catch {
    return redactIdNumbers(`HTTP ${status}: ${text.slice(0, 300)}`);
  }
}

/** Exponential with jitter: about 0.25 s, 0.5 s, 1 s … capped at 20 s; a server's Retry-After wins. */
function backoffMs(tries: number, retryAfter: string | null): number {
  const s = Number(retryAfter);
  if (retryAfter && Number.isFinite(s) && s >= 0) return Math.min(60_000, s * 1000);
  const base = Math.min(20_000, 250 * 2 ** (tries - 1));
  return base / 2 + Math.random() * (base / 2);
}

export async function importRoster(o: ImportOptions): Promise<ImportSummary> {
  const chunkSize = o.chunkSize ?? 500;
  const concurrency = o.concurrency ?? 2;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new ImportError(`chunkSize must be a positive integer (got ${chunkSize})`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new ImportError(`concurrency must be a positive integer (got ${concurrency})`);
  o.signal?.throwIfAborted();
  const bytes = await readFile(o.file);
  const batch = o.batchKey ?? batchKeyOf(bytes);
  const { total, chunks } = chunkRoster(await readRosterFile(bytes, o.file), chunkSize);
  const endpoint = `${o.apiUrl.replace(/\/+$/, '')}/api/transfers/graduates/import`;

  // A fatal error stops the other requests in flight; the caller's signal does too.
  const stop = new AbortController();
  const onAbort = () => stop.abort(o.signal!.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) onAbort();

  const t0 = performance.now();
  const rows: RowReport[] = [];
  const p: Progress = { done: 0, total, started: 0, alreadyStarted: 0, failed: 0, elapsedMs: 0 };
  const progress = () => ({ ...p, elapsedMs: Math.round(performance.now() - t0) });

  async function send(chunk: RosterChunk): Promise<ApiRow[]> {
    const s = performance.now();
    for (let tries = 1; ; tries++) {
      let status: number;
      let text: string;
      let retryAfter: string | null;
      try {
        const res = await fetch(`${endpoint}?firstLine=${chunk.firstLine}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${o.token}`, 'content-type': 'text/csv; charset=utf-8', 'idempotency-key': batch },
          body: chunk.body,
          signal: stop.signal,
        });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        text = await res.text();
      } catch (e) {
        if (stop.signal.aborted) throw stop.signal.reason;
        // Connection refused or reset, a body cut short: sending again is safe, the batch key dedupes.
        if (tries >= MAX_TRIES)
          throw new ImportError(
            `lines ${chunk.lines[0]}-${chunk.lines.at(-1)}: the API did not answer after ${tries} tries (${(e as Error).cause ?? (e as Error).message})`,
          );
        await sleep(backoffMs(tries, null), undefined, { signal: stop.signal });
        continue;
      }
      if (status >= 500) {
        if (tries >= MAX_TRIES) throw new ImportError(`lines ${chunk.lines[0]}-${chunk.lines.at(-1)}: ${refusal(status, text)} after ${tries} tries`, status);
        await sleep(backoffMs(tries, status === 503 ? retryAfter : null), undefined, { signal: stop.signal });
        continue;
      }
      if (status !== 200) throw new ImportError(`the API refused the roster: ${refusal(status, text)}`, status);
      let body: { rows?: ApiRow[] };
      try {
        body = JSON.parse(text) as { rows?: ApiRow[] };
      } catch {
        throw new ImportError(`the API answered 200 with a body that is not JSON: ${redactIdNumbers(text.slice(0, 200))}`);
      }
      const got = body.rows ?? [];
      // Every row answered once, in order: anything else would make the report lie. The report names the lines
      // the CLI sent (the file's lines, or the sheet's rows), whatever the API numbered them.
      if (got.length !== chunk.lines.length || got.some((r, i) => i > 0 && r.line <= got[i - 1]!.line)) {
        throw new ImportError(`lines ${chunk.lines[0]}-${chunk.lines.at(-1)}: the API answered ${got.length} rows for ${chunk.lines.length}, or out of order`);
      }
      o.onChunk?.({ firstLine: chunk.firstLine, rows: chunk.lines.length, ms: performance.now() - s, tries });
      return got.map((r, i) => ({ ...r, line: chunk.lines[i]! }));
    }
  }

  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < chunks.length && !stop.signal.aborted) {
      const chunk = chunks[next++]!;
      try {
        for (const r of await send(chunk)) {
          const report = toReport(r);
          rows.push(report);
          p.done += 1;
          if (report.status === 'started') p.started += 1;
          else if (report.status === 'already-started') p.alreadyStarted += 1;
          else p.failed += 1;
        }
        o.onProgress?.(progress());
      } catch (e) {
        failure ??= stop.signal.aborted ? stop.signal.reason : e;
        stop.abort(e);
      }
    }
  };
  try {
    o.onProgress?.(progress());
    await Promise.allSettled(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  if (failure === undefined && stop.signal.aborted) failure = stop.signal.reason;
  if (failure !== undefined) throw failure;
  const end = progress();
  rows.sort((a, b) => a.line - b.line);
  return { ...end, batch, rows, rowsPerSecond: end.elapsedMs > 0 ? (end.done * 1000) / end.elapsedMs : 0 };
}

/** `[██████░░░░░░░░] 42% 4200/10000 rows · 4100 started · 90 already · 10 failed · 310 rows/s` */
export function progressLine(p: Progress, width = 14): string {
  const share = p.total === 0 ? 1 : p.done / p.total;
  const filled = Math.floor(share * width);
  const rate = p.elapsedMs > 0 ? (p.done * 1000) / p.elapsedMs : 0;
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${Math.floor(share * 100)}% ${p.done}/${p.total} rows · ${p.started} started · ${p.alreadyStarted} already · ${p.failed} failed · ${Math.round(rate)} rows/s`;
}

function csvCell(v: string | number | undefined): string {
  const s = v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function reportCsv(rows: RowReport[]): string {
  const lines = ['line,idNumber,status,processId,errorStatus,rule,message'];
  for (const r of rows) lines.push([r.line, r.idNumber, r.status, r.processId, r.error?.status, r.error?.rule, r.error?.message].map(csvCell).join(','));
  return lines.join('\n') + '\n';
}

const USAGE = `usage: npm run import-graduates -- <file.csv|file.xlsx> [--api URL] [--token T] [--batch KEY] [--chunk N] [--concurrency N] [--report FILE]

Starts the graduates' transfers (R12) from a roster: a CSV file (UTF-8 or GB18030/GBK) or an .xlsx workbook
(its first sheet) whose first row names its columns
(idNumber, and toOrgId or the destination columns: situation, unitName, unitOrgId, unitMembers,
destinationBranchId, locationOrgId, communityBranchId, newCivilServant), one graduate a row.

  --api URL          the API (default $TUANWU_API_URL, else http://127.0.0.1:3000)
  --token T          a school or committee admin's bearer token (default $TUANWU_TOKEN; prefer the variable)
  --batch KEY        the batch key (default roster-<sha256 of the file>); the same key again starts nothing twice
  --chunk N          rows per request (default 500)
  --concurrency N    requests in flight (default 2)
  --report FILE      write the per-row report as CSV (line,idNumber,status,processId,errorStatus,rule,message)

Interrupted? Run the same command again: rows already started answer "already-started".
Exit: 0 every row started (or already), 1 some rows failed (see the report), 2 the import could not run.`;

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        api: { type: 'string' },
        token: { type: 'string' },
        batch: { type: 'string' },
        chunk: { type: 'string' },
        concurrency: { type: 'string' },
        report: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = args;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const file = positionals[0];
  const token = v.token ?? process.env.TUANWU_TOKEN;
  const count = (name: string, s: string | undefined, d: number) => {
    if (s === undefined) return d;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new ImportError(`--${name} must be a positive integer (got "${s}")`);
    return n;
  };
  const problems = [
    ...(file ? [] : ['a roster file is required']),
    ...(positionals.length > 1 ? [`one file at a time (got ${positionals.length})`] : []),
    ...(token ? [] : ['a token is required: --token or TUANWU_TOKEN']),
  ];
  let chunkSize: number;
  let concurrency: number;
  try {
    chunkSize = count('chunk', v.chunk, 500);
    concurrency = count('concurrency', v.concurrency, 2);
  } catch (e) {
    problems.push((e as Error).message);
    chunkSize = concurrency = 0;
  }
  if (problems.length > 0) {
    console.error(`${problems.join('\n')}\n\n${USAGE}`);
    return 2;
  }

  const tty = process.stderr.isTTY === true;
  const ctl = new AbortController();
  let last: Progress | undefined;
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    ctl.abort(new Error('interrupted'));
  };
  let bytes: Buffer;
  try {
    bytes = await readFile(file!);
  } catch (e) {
    console.error(`cannot read ${file}: ${(e as Error).message}`);
    return 2;
  }
  const batch = v.batch ?? batchKeyOf(bytes);
  process.on('SIGINT', onSigint);
  try {
    const summary = await importRoster({
      file: file!,
      apiUrl: v.api ?? process.env.TUANWU_API_URL ?? 'http://127.0.0.1:3000',
      token: token!,
      batchKey: batch,
      chunkSize,
      concurrency,
      signal: ctl.signal,
      onProgress: (p) => {
        last = p;
        if (tty) process.stderr.write(`\r${progressLine(p)}\x1b[K`);
        else if (p.done > 0 || p.total === 0) process.stderr.write(`${progressLine(p)}\n`);
      },
    });
    if (tty) process.stderr.write('\n');
    const seconds = (summary.elapsedMs / 1000).toFixed(1);
    console.log(`batch ${summary.batch}: ${summary.total} rows in ${seconds} s (${summary.rowsPerSecond.toFixed(0)} rows/s)`);
    console.log(`  ${summary.started} started, ${summary.alreadyStarted} already started, ${summary.failed} failed`);
    const failed = summary.rows.filter((r) => r.status === 'failed');
    for (const r of failed.slice(0, 20))
      console.log(
        `  line ${r.line}${r.idNumber ? ` ${r.idNumber}` : ''}: ${r.error?.status ?? ''} ${r.error?.rule ? `${r.error.rule} ` : ''}${r.error?.message ?? ''}`,
      );
    if (failed.length > 20) console.log(`  … and ${failed.length - 20} more failed rows${v.report ? '' : ' (--report FILE lists every row)'}`);
    if (v.report) {
      await writeFile(v.report, reportCsv(summary.rows));
      console.log(`report: ${v.report}`);
    }
    return summary.failed > 0 ? 1 : 0;
  } catch (e) {
    if (tty && last) process.stderr.write('\n');
    const soFar = last ? ` after ${last.done}/${last.total} rows (${last.started} started, ${last.alreadyStarted} already, ${last.failed} failed)` : '';
    if (interrupted) {
      console.error(`interrupted${soFar}. Run the same command again to resume (batch ${batch}).`);
      return 130;
    }
    console.error(`import failed${soFar}: ${e instanceof ImportError ? e.message : redactIdNumbers(String((e as Error).message ?? e))}`);
    if (last && last.done > 0) console.error(`the rows answered are kept: run the same command again to resume (batch ${batch}).`);
    return 2;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
