// The bench's output: a table on stdout, and the same results as JSON under bench/results/ (the run's, and latest.json).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchSizes, FigureResult } from './figure';

export function report(results: FigureResult[], sizes: BenchSizes): void {
  const rows = results.map((r) => [r.figure, r.value, r.target, r.met === null ? '-' : r.met ? 'met' : 'MISSED']);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['figure', 'measured', 'target', ''][i]!.length));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  console.log(line(['figure', 'measured', 'target', '']));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  const file = join(import.meta.dirname, 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const payload = {
    at: new Date().toISOString(),
    machine: { cpus: (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency, node: process.version },
    sizes,
    results,
  };
  writeFileSync(file, `${JSON.stringify(payload, null, 2)}\n`);
  writeFileSync(join(import.meta.dirname, 'results', 'latest.json'), `${JSON.stringify(payload, null, 2)}\n`);
  console.log(`saved ${file}`);
}
