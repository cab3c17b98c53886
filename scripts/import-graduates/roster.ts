// A roster file read as the API reads an upload (domain/tables.ts), and cut into chunks of UTF-8 CSV whose rows keep
// their file lines.
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { rosterHeaderProblem } from '../../domain/graduates';
import { DomainError } from '../../domain/errors';
import { XLSX_TYPE, csvLine, readTable, type Table } from '../../domain/tables';

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
