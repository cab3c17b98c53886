// 6. Figure 1's end-to-end check-ins on a Temporal cluster (server v1.32.2, persistence and visibility on the
// bench's PostgreSQL) against the dev server, in the same run, alternating rounds: the cluster's ratio.
import { join } from 'node:path';
import { startCluster } from '../../scripts/temporal-cluster';
import { startSystemAt } from '../../test/system';
import { endToEnd } from '../end-to-end';
import type { Figure, FigureResult } from '../figure';

export const figure06: Figure = {
  id: 6,
  title: 'end-to-end check-ins on a Temporal cluster, against the dev server',
  async run(b) {
    const t = b.tree;
    const cluster = await startCluster({ databaseUrl: b.databaseUrl, dir: join(b.dir, 'cluster'), log: b.log });
    const onCluster = await startSystemAt({ ...b.where, temporalAddress: cluster.address });
    try {
      await endToEnd(b.sys, t, 30);
      await endToEnd(onCluster, t, 30); // warm-up
      const rates = { dev: [] as number[], cluster: [] as number[] };
      for (let round = 0; round < 2; round++) {
        rates.dev.push(await endToEnd(b.sys, t, b.sizes.e2e));
        rates.cluster.push(await endToEnd(onCluster, t, b.sizes.e2e));
      }
      const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
      const ratio = mean(rates.cluster) / mean(rates.dev);
      const result: FigureResult = {
        figure: '6. end-to-end check-ins/s on the Temporal cluster (PostgreSQL) vs the dev server',
        value: `${mean(rates.cluster).toFixed(1)}/s vs ${mean(rates.dev).toFixed(1)}/s = ${ratio.toFixed(2)}`,
        target: '(reported)',
        met: null,
        detail: { n: b.sizes.e2e, concurrency: 20, rates, note: 'cluster and dev server on the same 2 cores as the bench, API and worker' },
      };
      b.log(`figure 6 done: ratio ${ratio.toFixed(2)}`);
      return [result];
    } finally {
      await onCluster.stop();
      await cluster.stop();
    }
  },
};
