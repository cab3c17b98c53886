// Any report as an Excel file: the console sends the rows it shows, the API writes the workbook (exceljs, streamed:
// 50,000 rows do not hold a cell object each in memory). The rows come from the caller, who already read them; the
// cells still pass domain/privacy.ts exportCell (issue 20: every export goes through the one policy).
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import ExcelJS from 'exceljs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Principal } from '../domain/authz';
import { exportCell } from '../domain/privacy';
import { XLSX_TYPE } from '../domain/tables';
import type { Api, AppDeps } from './deps';
import { errorResponses } from './schemas';
import { MAX_REPORT_ROWS, ReportBody } from '../contract/reports';

/** How wide a text shows: CJK and full-width characters take two columns. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}

/** Each column as wide as its title or its widest value among the first rows, within reason. */
function columnWidths(b: ReportBody): number[] {
  const sample = b.rows.slice(0, 2000);
  return b.columns.map((c) => {
    let w = displayWidth(c.title);
    for (const r of sample) {
      const v = r[c.key];
      if (v !== undefined && v !== null) w = Math.max(w, displayWidth(String(v)));
    }
    return Math.min(60, Math.max(8, w + 2));
  });
}

/** The rows as `reader` may export them: a committee's or the province's ID-shaped cells masked (domain/privacy.ts). */
function exportedRows(b: ReportBody, reader: Principal): ReportBody {
  return { ...b, rows: b.rows.map((r) => Object.fromEntries(b.columns.map((c) => [c.key, exportCell(reader, r[c.key])]))) };
}

/** The workbook: one sheet, its header row bold and frozen, the columns sized to their contents. */
export async function reportWorkbook(body: ReportBody, reader: Principal): Promise<Buffer> {
  const b = exportedRows(body, reader);
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true, useSharedStrings: false });
  const ws = wb.addWorksheet(b.sheet, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  const widths = columnWidths(b);
  ws.columns = b.columns.map((c, i) => ({ header: c.title, key: c.key, width: widths[i] }));
  const header = ws.getRow(1);
  header.font = { bold: true };
  header.commit();
  for (const r of b.rows) ws.addRow(b.columns.map((c) => (r[c.key] ?? null) as string | number | boolean | null)).commit();
  ws.commit();
  await wb.commit();
  await ended;
  return Buffer.concat(chunks);
}

/** `attachment; filename="<sheet>.xlsx"`, with the UTF-8 name beside an ASCII one when the name is not ASCII (RFC 6266). */
export function attachment(sheet: string): string {
  const name = `${sheet}.xlsx`;
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  if (ascii === name) return `attachment; filename="${name}"`;
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** POST /reports/xlsx: the rows given, as an .xlsx file. */
function xlsxRoute(app: Api): void {
  app.post(
    '/reports/xlsx',
    {
      // 50,000 rows of a few columns: well above Fastify's default of 1 MiB.
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        summary: `Any report as an Excel file: a sheet name, the columns (key, title) and up to ${MAX_REPORT_ROWS} rows keyed by column; header row bold and frozen`,
        body: ReportBody,
        response: {
          200: { description: 'the workbook (.xlsx)', content: { [XLSX_TYPE]: { schema: z.string().meta({ format: 'binary' }) } } },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const file = await reportWorkbook(req.body, req.principal);
      // The 200's schema describes a binary string for OpenAPI; the bytes themselves are sent as they are.
      return reply
        .header('content-type', XLSX_TYPE)
        .header('content-disposition', attachment(req.body.sheet))
        .send(file as unknown as string);
    },
  );
}

export function reportRoutes(_deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    xlsxRoute(app);
  };
}
