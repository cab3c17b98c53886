// 3. "Overdue in my subtree" on a read model of BENCH_PROCESSES rows (seeded once per run, shared with figure 7),
// against Temporal visibility on figure 2's bulk set.
import { call } from '../../test/system';
import type { Figure, FigureResult } from '../figure';
import { summarize } from '../stats';

export const figure03: Figure = {
  id: 3,
  title: 'supervisor query, overdue in my subtree',
  async run(b) {
    const t = b.tree;
    await b.seedProcesses();
    const admins = [...t.tokens.city, ...t.tokens.county];
    const readModel: number[] = [];
    let emptyAnswers = 0;
    for (let i = 0; i < 20; i++) await call(b.sys.app, 'GET', '/api/processes?overdue=true', admins[i % admins.length]); // warm-up
    for (let i = 0; i < 400; i++) {
      const s = performance.now();
      const r = await call(b.sys.app, 'GET', '/api/processes?overdue=true&limit=50', admins[i % admins.length]);
      readModel.push(performance.now() - s);
      if (r.status !== 200) throw new Error(`failed supervisor query: ${r.status}`);
      if (r.body.items.length === 0) emptyAnswers += 1;
    }
    const vis: number[] = [];
    const orgs = [...t.cities, ...t.counties.slice(0, 20)];
    for (let i = 0; i < 100; i++) {
      const s = performance.now();
      const page = await b.client.workflowService.listWorkflowExecutions({
        namespace: 'default',
        pageSize: 50,
        query: `TuanwuOrgPath = '${orgs[i % orgs.length]}' AND TuanwuOverdue = true`,
      });
      vis.push(performance.now() - s);
      if (i === 0 && page.executions.length === 0) b.log('warning: visibility found nothing on its first query');
    }
    const rm = summarize(readModel);
    const v = summarize(vis);
    const result: FigureResult = {
      figure: `3. supervisor query, overdue in my subtree (read model: ${b.sizes.processes} processes, ${t.orgCount} orgs)`,
      value: `p50 ${rm.p50.toFixed(1)} ms, p95 ${rm.p95.toFixed(1)} ms; visibility (${b.sizes.bulk} workflows) p50 ${v.p50.toFixed(1)} ms, p95 ${v.p95.toFixed(1)} ms; ratio p95 ${(v.p95 / rm.p95).toFixed(2)}`,
      target: 'p95 <= 20 ms',
      met: rm.p95 <= 20,
      detail: { readModel: rm, visibility: v, emptyAnswers, note: 'through the HTTP handler (auth + query), in-process inject' },
    };
    b.log('figure 3 done');
    return [result];
  },
};
