// `npm run import-graduates -- roster.csv`: starts the graduates' transfers (R12) from a roster file (CSV in UTF-8 or
// GB18030/GBK, or an .xlsx workbook's first sheet, read by domain/tables.ts as the API reads an upload), sent to the
// API in chunks of UTF-8 CSV with a progress bar. Running the same file again resumes: the batch key is the file's hash.
// The reading and sending live in scripts/import-graduates/; this file is the command.
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { redactIdNumbers } from '../domain/identifiers';
import { importRoster, progressLine, reportCsv, type Progress } from './import-graduates/import';
import { batchKeyOf, ImportError } from './import-graduates/roster';

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
