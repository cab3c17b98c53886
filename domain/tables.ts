// Tables as offices have them: a CSV file (UTF-8 with or without a BOM, or GB18030/GBK as Excel saves "CSV" on a
// Chinese Windows) or an .xlsx workbook (its first sheet), read into a header and rows that keep their line (the
// file's line, or the sheet's row number) for a per-row report. One reader for the API's uploads and the CLI.
// Whatever cannot be read is a 400 naming the body and saying why; nothing is read further.
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import ExcelJS from 'exceljs';
import { DomainError } from './errors';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** What Windows browsers often call a .csv file when Excel is installed: read by its bytes, as CSV or .xlsx. */
export const MS_EXCEL_TYPE = 'application/vnd.ms-excel';

export interface TableRow {
  /** The file's line where the row starts (CSV), or the sheet's row number (.xlsx), offset by `firstLine`. */
  line: number;
  /** Trimmed; trailing empty cells dropped. */
  cells: string[];
}

export interface Table {
  format: 'csv' | 'xlsx';
  /** How a CSV file was decoded. */
  encoding?: 'utf-8' | 'gb18030';
  /** The first row that is not blank: the columns' names, trimmed. */
  header: string[];
  headerLine: number;
  /** The rows after the header; blank rows are left out (their lines are not reused). */
  rows: TableRow[];
}

export interface TableOptions {
  /** The request's Content-Type (its `charset=` names a CSV file's encoding); without it, the bytes decide. */
  contentType?: string;
  /** Rows after the header, at most. */
  maxRows: number;
  /** Columns in any row, at most. */
  maxColumns?: number;
  /** The line number the file's first line stands for (a part of a bigger file, sent by the CLI); default 1. */
  firstLine?: number;
}

/** An .xlsx is a ZIP archive; a workbook whose parts inflate beyond this is refused before it is read. */
const MAX_XLSX_INFLATED_BYTES = 256 * 1024 * 1024;

function refuse(message: string): never {
  throw new DomainError({ kind: 'invalid', message, fields: [{ field: 'body', message }] });
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The `charset=` a Content-Type names, lower case, or undefined. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return m ? m[1]!.toLowerCase() : undefined;
}

/** CSV or .xlsx, by the bytes first (a ZIP archive is a workbook), then by the declared type. */
export function tableFormat(bytes: Buffer, contentType?: string): 'csv' | 'xlsx' {
  if (bytes.subarray(0, 4).equals(ZIP_MAGIC)) return 'xlsx';
  if (bytes.subarray(0, 8).equals(OLE_MAGIC)) refuse('this is an Excel 97-2003 workbook (.xls): save it as .xlsx or as CSV, then send it again');
  if (mediaType(contentType) === XLSX_TYPE)
    refuse('this is not an .xlsx workbook (an .xlsx file is a ZIP archive): send the file Excel saved, or CSV as text/csv');
  return 'csv';
}

const GB_CHARSETS = new Set(['gb18030', 'gbk', 'gb2312', 'cp936', 'x-gbk', 'windows-936', 'euc-cn']);
const UTF8_CHARSETS = new Set(['utf-8', 'utf8']);

/**
 * A CSV file's text: the encoding its Content-Type names (UTF-8 or the GB family), else UTF-8 if the bytes start
 * with its BOM or are valid UTF-8, else GB18030 (a superset of GBK and GB2312). Bytes that are neither are refused.
 */
export function decodeText(bytes: Buffer, charset?: string): { text: string; encoding: 'utf-8' | 'gb18030' } {
  const utf8 = (): string | undefined => {
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      return undefined;
    }
  };
  const gb = (): string | undefined => {
    const text = iconv.decode(bytes, 'gb18030');
    return text.includes('\ufffd') ? undefined : text;
  };
  if (charset !== undefined && !UTF8_CHARSETS.has(charset) && !GB_CHARSETS.has(charset)) {
    throw new DomainError({
      kind: 'invalid',
      message: `a CSV file is read as UTF-8 or GB18030/GBK, not ${charset}`,
      fields: [{ field: 'headers.content-type', message: 'charset: utf-8, gb18030 or gbk (or none: detected)' }],
    });
  }
  if (charset !== undefined && GB_CHARSETS.has(charset)) {
    const text = gb();
    if (text === undefined) refuse(`the file is not ${charset} text as its charset says (some bytes are not characters in GB18030)`);
    return { text, encoding: 'gb18030' };
  }
  const text = utf8();
  if (text !== undefined) return { text, encoding: 'utf-8' };
  if (charset !== undefined) refuse('the file is not UTF-8 text as its charset says: send it with charset=gb18030, or save it as UTF-8');
  const other = gb();
  if (other === undefined) refuse('the file is not text: neither UTF-8 nor GB18030/GBK (send a CSV file or an .xlsx workbook)');
  return { text: other, encoding: 'gb18030' };
}

/** Trims every cell and drops the empty ones at the end of the row. */
function tidy(cells: string[]): string[] {
  const out = cells.map((c) => c.trim());
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/** The header (the first row that is not blank) and the rows after it, within the limits. */
function toTable(format: Table['format'], raw: { line: number; cells: string[] }[], o: TableOptions, encoding?: Table['encoding']): Table {
  const offset = (o.firstLine ?? 1) - 1;
  const maxColumns = o.maxColumns ?? 100;
  const rows: TableRow[] = [];
  let header: TableRow | undefined;
  for (const r of raw) {
    const cells = tidy(r.cells);
    if (cells.length === 0) continue;
    if (cells.length > maxColumns) refuse(`line ${r.line + offset} has ${cells.length} columns: at most ${maxColumns}`);
    if (!header) header = { line: r.line + offset, cells };
    else if (rows.push({ line: r.line + offset, cells }) > o.maxRows) refuse(`more than ${o.maxRows} rows: split the file (the CLI sends a big one in parts)`);
  }
  if (!header) refuse('the file is empty: its first line names the columns, one row a line after it');
  return { format, ...(encoding ? { encoding } : {}), header: header.cells, headerLine: header.line, rows };
}

/** A CSV file's records with the line each starts on (a quoted cell may span lines; \r\n, \n or \r end a line). */
function csvRecords(text: string): { line: number; cells: string[] }[] {
  let records: { record: string[]; info: { bytes: number } }[];
  try {
    records = parse(text, { relax_column_count: true, relax_quotes: true, info: true, skip_empty_lines: false }) as unknown as typeof records;
  } catch (e) {
    refuse(`the CSV file cannot be read: ${(e as Error).message}`);
  }
  // csv-parse counts lines inside quoted cells its own way: the line a record starts on is counted here, from
  // the byte offset where the previous record ended (info.bytes, in the UTF-8 bytes it parsed).
  const bytes = Buffer.from(text, 'utf8');
  let line = 1;
  let at = 0;
  return records.map(({ record, info }) => {
    const start = line;
    for (; at < info.bytes; at++) {
      const b = bytes[at];
      if (b === 0x0a || (b === 0x0d && bytes[at + 1] !== 0x0a)) line++;
    }
    return { line: start, cells: record };
  });
}

/** What a cell shows, as text: rich text joined, a formula's result, a date as YYYY-MM-DD (YYYY-MM in a month format). */
function cellText(value: ExcelJS.CellValue, numFmt: string | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) {
    const iso = value.toISOString();
    const fmt = (numFmt ?? '').toLowerCase().replace(/"[^"]*"|\[[^\]]*\]/g, '');
    if (fmt.includes('y') && fmt.includes('m') && !fmt.includes('d')) return iso.slice(0, 7);
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19).replace('T', ' ');
  }
  if ('richText' in value) return value.richText.map((t) => t.text).join('');
  if ('formula' in value || 'sharedFormula' in value) return cellText((value as { result?: ExcelJS.CellValue }).result ?? null, numFmt);
  if ('hyperlink' in value) return typeof value.text === 'string' ? value.text : cellText(value.text as ExcelJS.CellValue, numFmt);
  if ('error' in value) return String(value.error);
  return '';
}

/**
 * The sizes a ZIP archive's central directory declares, summed: a workbook is refused before it is inflated if
 * it would take more than MAX_XLSX_INFLATED_BYTES (a small file can inflate to gigabytes). An archive without an
 * end record is cut short.
 */
function zipInflatedSize(bytes: Buffer): number {
  const EOCD = 0x06054b50;
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65_535); i--) {
    if (bytes.readUInt32LE(i) === EOCD) {
      end = i;
      break;
    }
  }
  if (end < 0) refuse('the .xlsx workbook is damaged or cut short (its ZIP archive has no end record): save it again and send the whole file');
  const entries = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  let total = 0;
  for (let n = 0; n < entries; n++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== 0x02014b50) refuse('the .xlsx workbook is damaged (its ZIP directory does not read)');
    const size = bytes.readUInt32LE(at + 24);
    total += size === 0xffffffff ? Number.POSITIVE_INFINITY : size;
    at += 46 + bytes.readUInt16LE(at + 28) + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  return total;
}

/** The first worksheet's rows, with their row numbers. */
async function xlsxRecords(bytes: Buffer, maxRows: number): Promise<{ line: number; cells: string[] }[]> {
  if (zipInflatedSize(bytes) > MAX_XLSX_INFLATED_BYTES)
    refuse(`the .xlsx workbook is too large once unpacked (more than ${MAX_XLSX_INFLATED_BYTES / 1024 / 1024} MiB)`);
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(bytes as unknown as Parameters<ExcelJS.Xlsx['load']>[0]);
  } catch (e) {
    refuse(`the .xlsx workbook cannot be read (damaged, cut short or not a workbook): ${(e as Error).message}`);
  }
  const ws = wb.worksheets[0];
  if (!ws) refuse('the .xlsx workbook has no sheet');
  // A header and maxRows rows, and one more to say there are too many: counted before reading every cell.
  if (ws.actualRowCount > maxRows + 1) refuse(`more than ${maxRows} rows: split the file (the CLI sends a big one in parts)`);
  const out: { line: number; cells: string[] }[] = [];
  ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => {
      cells[col - 1] = cellText(cell.value, cell.numFmt);
    });
    out.push({ line: rowNumber, cells: Array.from(cells, (c) => c ?? '') });
  });
  return out;
}

/**
 * Reads an uploaded table: bytes and their declared Content-Type → header and rows with their lines, or a 400
 * (empty, not a spreadsheet, a damaged workbook, undecodable text, too many rows or columns).
 */
export async function readTable(bytes: Buffer, o: TableOptions): Promise<Table> {
  if (bytes.length === 0) refuse('the file is empty: its first line names the columns, one row a line after it');
  if (tableFormat(bytes, o.contentType) === 'xlsx') return toTable('xlsx', await xlsxRecords(bytes, o.maxRows), o);
  const { text, encoding } = decodeText(bytes, charsetOf(o.contentType));
  return toTable('csv', csvRecords(text.replace(/^\uFEFF/, '')), o, encoding);
}

/** One CSV line of cells (quoting a cell that needs it), for the tables the CLI sends on. */
export function csvLine(cells: readonly string[]): string {
  return cells.map((c) => (/[",\r\n]/.test(c) || c !== c.trim() ? `"${c.replace(/"/g, '""')}"` : c)).join(',');
}
