// 1. Check-ins started, approved and visible in the read model, against a bare workflow of the same shape.
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { endToEnd } from '../end-to-end';
import type { Figure, FigureResult } from '../figure';
import { pool } from '../stats';
import { bareDecide, bareProcess, bareSubmitted } from '../workflows';

export const figure01: Figure = {
  id: 1,
  title: 'end-to-end check-ins/s, against bare Temporal',
  async run(b) {
    const t = b.tree;
    const bareW = await b.bareWorker();
    const bareQueue = bareW.queue;
    const bare = async (count: number) => {
      const t0 = Date.now();
      await pool([...Array(count).keys()], 20, async () => {
        const op = new WithStartWorkflowOperation(bareProcess, { workflowId: `bare-${randomUUID()}`, taskQueue: bareQueue, workflowIdConflictPolicy: 'FAIL' });
        await b.client.workflow.executeUpdateWithStart(bareSubmitted, { startWorkflowOperation: op });
        const handle = await op.workflowHandle();
        await handle.executeUpdate(bareDecide, { args: ['approve'] });
      });
      return (count * 1000) / (Date.now() - t0);
    };
    const tuanwu = (count: number) => endToEnd(b.sys, t, count);
    await bare(30);
    await tuanwu(30); // warm-up
    // Alternate, so both see the same machine state; report the mean of two rounds each.
    const rates = { bare: [] as number[], tuanwu: [] as number[] };
    for (let round = 0; round < 2; round++) {
      rates.bare.push(await bare(b.sizes.e2e));
      rates.tuanwu.push(await tuanwu(b.sizes.e2e));
    }
    await bareW.stop();
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    const ratio = mean(rates.tuanwu) / mean(rates.bare);
    const result: FigureResult = {
      figure: '1. end-to-end check-ins/s (ratio to bare Temporal)',
      value: `${mean(rates.tuanwu).toFixed(1)}/s vs ${mean(rates.bare).toFixed(1)}/s = ${ratio.toFixed(2)}`,
      target: 'ratio >= 0.8',
      met: ratio >= 0.8,
      detail: { n: b.sizes.e2e, concurrency: 20, rates },
    };
    b.log(`figure 1 done: ratio ${ratio.toFixed(2)}`);
    return [result];
  },
};
