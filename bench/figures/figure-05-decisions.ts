// 5. Decisions through the API against a bare Temporal update on the same server, in the same run:
// - saturation: BENCH_CLIENTS closed-loop clients each, approvals/s through HTTP vs bare updates/s (ratio);
// - latency: the API's p95 at half its saturation rate (open loop: a decision every 1/rate seconds).
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { call, profile } from '../../test/system';
import { byPattern, cpuProfile } from '../cpu';
import type { Figure, FigureResult } from '../figure';
import { pool, summarize } from '../stats';
import { bareDecide, bareProcess, bareSubmitted } from '../workflows';

export const figure05: Figure = {
  id: 5,
  title: 'decisions through the API against bare updates, and latency at half rate',
  async run(b) {
    const t = b.tree;
    // The worker in a process of its own, as in production; the API process only serves HTTP.
    await b.sys.stopWorker();
    const worker = b.spawnWorker(b.sys.config.taskQueue);
    await b.polling(worker);
    const openCheckIns = (count: number) =>
      pool([...Array(count).keys()], 20, async () => {
        const r = await call(b.sys.app, 'POST', '/api/check-ins', t.sec, { branchId: t.secBranch, profile: profile() });
        if (r.status !== 201) throw new Error(JSON.stringify(r.body));
        return r.body.processId as string;
      });
    await b.sys.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(b.sys.app.server.address() as { port: number }).port}`;
    let failures = 0;
    const approve = async (id: string) => {
      const s = performance.now();
      const res = await fetch(`${base}/api/processes/${id}/decisions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.sec}`, 'content-type': 'application/json' },
        body: '{"action":"approve"}',
      });
      await res.arrayBuffer();
      if (res.status !== 200) failures += 1;
      return performance.now() - s;
    };

    // The bare side: the same shape (an update that runs one local activity), no domain work, no HTTP.
    const bare = await b.bareWorker();
    const bareOpen = await pool([...Array(b.sizes.decisions).keys()], 20, async () => {
      const op = new WithStartWorkflowOperation(bareProcess, { workflowId: `bare-${randomUUID()}`, taskQueue: bare.queue, workflowIdConflictPolicy: 'FAIL' });
      await b.client.workflow.executeUpdateWithStart(bareSubmitted, { startWorkflowOperation: op });
      return op.workflowHandle();
    });
    const apiOpen = await openCheckIns(b.sizes.decisions);

    const profile5 = cpuProfile({
      'temporal server': byPattern('temporal server start-dev'),
      postgres: byPattern('postgres'),
      'API process (this)': () => [process.pid],
      'worker process': () => [worker.pid!],
    });
    let t0 = performance.now();
    const bareLatencies = await pool(bareOpen, b.sizes.clients, async (h) => {
      const s = performance.now();
      await h.executeUpdate(bareDecide, { args: ['approve'] });
      return performance.now() - s;
    });
    const bareRate = b.sizes.decisions / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    const saturated = await pool(apiOpen, b.sizes.clients, approve);
    const apiRate = b.sizes.decisions / ((performance.now() - t0) / 1000);
    const cpu = profile5();
    await bare.stop();

    // Half the API's saturation rate, open loop: the latency a user sees on a busy but not saturated system.
    const halfRate = apiRate / 2;
    const halfN = Math.min(b.sizes.decisions, Math.max(100, Math.round(halfRate * 20)));
    const halfOpen = await openCheckIns(halfN);
    const halfLatencies: Promise<number>[] = [];
    t0 = performance.now();
    for (let i = 0; i < halfN; i++) {
      const due = t0 + (i * 1000) / halfRate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      halfLatencies.push(approve(halfOpen[i]!));
    }
    const half = summarize(await Promise.all(halfLatencies));
    worker.kill('SIGTERM');
    await b.sys.startWorker();
    const ratio = apiRate / bareRate;
    const st = summarize(saturated);
    const result: FigureResult = {
      figure: `5. decisions through the API vs bare Temporal updates (${b.sizes.clients} clients), and p95 at half that rate`,
      value: `${apiRate.toFixed(0)}/s vs ${bareRate.toFixed(0)}/s = ${ratio.toFixed(2)}; p95 ${half.p95.toFixed(0)} ms at ${halfRate.toFixed(0)}/s; ${failures} failed`,
      target: 'ratio >= 0.8, p95 <= 100 ms at half rate',
      met: ratio >= 0.8 && half.p95 <= 100 && failures === 0,
      detail: { n: b.sizes.decisions, apiRate, bareRate, ratio, saturated: st, bare: summarize(bareLatencies), halfRate, half, cpu },
    };
    b.log(`figure 5 done: ratio ${ratio.toFixed(2)}, p95 at half rate ${half.p95.toFixed(0)} ms`);
    return [result];
  },
};
