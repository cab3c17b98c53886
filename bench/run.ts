// `npm run bench`: the figures (issues 3, 9 and 13), measured side by side in one run on a throw-away PostgreSQL
// and an in-memory Temporal dev server on this machine. Prints a table; saves it under bench/results/.
// BENCH_ONLY=1,5,6 runs some (10 and 11 run only when named). Each figure is a file of bench/figures/. Sizes: BENCH_E2E_N,
// BENCH_BULK_N, BENCH_ORGS, BENCH_PROCESSES, BENCH_OPEN_N, BENCH_DECISIONS, BENCH_CLIENTS, BENCH_MEMBERS and
// BENCH_HEALTH_CALLS (figure 8), BENCH_CAMPAIGN_CALLS (figure 9: an R22 campaign fanned out over the tree's branches;
// TUANWU_CAMPAIGN_FAN_OUT_PAGE and TUANWU_CAMPAIGN_START_CONCURRENCY set its knobs).
import { benchSizes, type FigureResult } from './figure';
import { FIGURES } from './figures/index';
import { report } from './report';
import { startBench } from './setup';

const sizes = benchSizes();
const log = (s: string) => console.error(`[bench] ${s}`);
const only = process.env.BENCH_ONLY?.split(',').map((x) => Number(x.trim()));
const selected = FIGURES.filter((f) => (only ? only.includes(f.id) : !f.optIn));
const results: FigureResult[] = [];

const machine = await startBench(sizes, log);
try {
  const bench = await machine.seed();
  for (const figure of selected) {
    log(`figure ${figure.id}: ${figure.title}`);
    results.push(...(await figure.run(bench)));
  }
} catch (e) {
  console.error('bench failed:', e, (e as { cause?: unknown }).cause);
  process.exitCode = 1;
} finally {
  await machine.stop();
}
report(results, sizes);
