// A report as a workbook (.xlsx): the console sends the rows it shows, the server writes them (privacy applied).
import { z } from 'zod';
import { singleLine } from '../domain/text';

/** The rows a report may hold. */
export const MAX_REPORT_ROWS = 50_000;

/** Excel's own limits on a sheet's name: 31 characters, none of \ / ? * [ ] :, no apostrophe at either end, not History. */
export const SheetName = singleLine(31)
  .regex(/^[^\\/?*[\]:]+$/, 'a sheet name has none of \\ / ? * [ ] :')
  .refine((s) => !s.startsWith("'") && !s.endsWith("'"), 'a sheet name neither starts nor ends with an apostrophe')
  .refine((s) => s.toLowerCase() !== 'history', 'Excel keeps the name History for itself');

/** What a cell holds; Excel keeps at most 32,767 characters in one. */
export const CellValue = z.union([z.string().max(32_767), z.number(), z.boolean(), z.null()]);

export const ReportBody = z
  .object({
    sheet: SheetName,
    columns: z
      .array(z.object({ key: z.string().min(1).max(100), title: singleLine(200, 0) }))
      .min(1)
      .max(500),
    rows: z.array(z.record(z.string(), z.unknown())).max(MAX_REPORT_ROWS, `at most ${MAX_REPORT_ROWS} rows`),
  })
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.columns.forEach((c, i) => {
      if (seen.has(c.key)) ctx.addIssue({ code: 'custom', path: ['columns', i, 'key'], message: `the key "${c.key}" names two columns` });
      seen.add(c.key);
    });
    // Only the columns' values are written, so only they must be cells (a row may carry more).
    let problems = 0;
    for (let i = 0; i < b.rows.length && problems < 20; i++) {
      for (const c of b.columns) {
        const v = b.rows[i]![c.key];
        if (v !== undefined && !CellValue.safeParse(v).success) {
          ctx.addIssue({ code: 'custom', path: ['rows', i, c.key], message: 'a cell is a string (at most 32,767 characters), a number, a boolean or null' });
          problems += 1;
        }
      }
    }
  });
export type ReportBody = z.infer<typeof ReportBody>;
