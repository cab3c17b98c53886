// Files made for the user: CSV in the browser (UTF-8 with a BOM, so Excel reads Chinese right), .xlsx by the API.
import { reportWorkbook } from './api/reports';

export interface Column {
  key: string;
  title: string;
}

export type Row = Record<string, unknown>;

/** A cell as CSV: quoted when needed; text that a spreadsheet would run as a formula is kept as text. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(columns: Column[], rows: Row[]): string {
  const lines = [columns.map((c) => cell(c.title)).join(','), ...rows.map((r) => columns.map((c) => cell(r[c.key])).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadCsv(filename: string, columns: Column[], rows: Row[]): void {
  saveBlob(new Blob([toCsv(columns, rows)], { type: 'text/csv;charset=utf-8' }), filename.endsWith('.csv') ? filename : `${filename}.csv`);
}

/** POST /api/reports/xlsx: the API writes the workbook (≤ 50,000 rows), the browser saves it. */
export async function downloadXlsx(sheet: string, columns: Column[], rows: Row[]): Promise<void> {
  const { blob, filename } = await reportWorkbook({ sheet, columns, rows: rows.slice(0, 50_000) });
  saveBlob(blob, filename ?? `${sheet}.xlsx`);
}
