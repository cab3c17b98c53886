// Figure 11 (issue 21): every migration run online, while a writer keeps writing (the drill: bench/migrations.ts,
// which test/migrations.test.ts runs too). On a throw-away PostgreSQL of its own, from 0001's schema.
import { MAX_WAIT_MS, migrationDrill, type DrillSizes } from '../migrations';
import type { Figure, FigureResult } from '../figure';

/** Figure 11: the longest write wait while the migrations run, against the same writer with none running. */
async function measure(sizes: DrillSizes, log: (s: string) => void): Promise<FigureResult> {
  const r = await migrationDrill(sizes, log);
  const ratio = r.longest.maxWaitMs / r.baseline.maxWaitMs;
  return {
    figure: `11. longest write wait while each migration after ${r.before.at(-1)} runs (${sizes.members} members, ${sizes.processes} processes) vs no migration`,
    value: `${r.longest.maxWaitMs.toFixed(0)} ms (${r.longest.name}: ${r.longest.worst}) vs ${r.baseline.maxWaitMs.toFixed(0)} ms = ${ratio.toFixed(2)}`,
    target: `<= ${MAX_WAIT_MS} ms`,
    met: r.longest.maxWaitMs <= MAX_WAIT_MS && r.failures.length === 0 && r.invalidIndexes.length === 0,
    detail: { ...r, schema: undefined },
  };
}

export const figure11: Figure = {
  id: 11,
  title: 'longest write wait while the migrations run',
  // A database of its own, filled to BENCH_MEMBERS and BENCH_PROCESSES: it runs only when asked (BENCH_ONLY=11).
  optIn: true,
  run: async (b) => [await measure({ members: b.sizes.members, processes: b.sizes.processes }, b.log)],
};
