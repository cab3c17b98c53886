// Sends a roster's chunks to POST /api/transfers/graduates/import, a few in flight, each sent again on a failure
// that may pass (the batch key dedupes), and reports every row once, in file order.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { redactIdNumbers } from '../../domain/identifiers';
import { batchKeyOf, chunkRoster, ImportError, readRosterFile, type RosterChunk } from './roster';

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

const MAX_TRIES = 8;

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
