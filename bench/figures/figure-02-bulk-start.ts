// 2. Bulk start from a roster: BENCH_BULK_N workflows started (with 2% marked overdue, for figure 3's visibility side).
import { randomUUID } from 'node:crypto';
import { profile } from '../../test/system';
import { checkIn } from '../../workflows/check-in';
import { checkInWorkflowId, type CheckInInput } from '../../domain/check-in';
import { pathIds } from '../../domain/orgs';
import { SA } from '../../domain/search-attributes';
import type { Figure, FigureResult } from '../figure';
import { pool } from '../stats';

export const figure02: Figure = {
  id: 2,
  title: 'bulk start from a roster',
  async run(b) {
    const t = b.tree;
    const roster = Array.from({ length: b.sizes.bulk }, (_, i) => ({
      branch: t.branches[(i * 7919) % t.branches.length]!,
      profile: profile(),
      overdue: i % 50 === 0,
    }));
    const queue = `bulk-${randomUUID()}`; // no worker polls it: this measures what the server accepts
    const t0 = Date.now();
    await pool(roster, 100, async (r) => {
      const memberId = randomUUID();
      const input: CheckInInput = {
        processId: randomUUID(),
        memberId,
        branchId: r.branch.id,
        branchPath: r.branch.path,
        parentOrgId: r.branch.parent,
        submittedBy: 'bench',
        linkActorId: null,
        profile: r.profile,
        timing: b.sys.config.timing.checkIn,
      };
      await b.client.workflow.start(checkIn, {
        workflowId: checkInWorkflowId(memberId),
        taskQueue: queue,
        args: [input],
        typedSearchAttributes: [
          { key: SA.kind, value: 'check-in' },
          { key: SA.org, value: r.branch.id },
          { key: SA.orgPath, value: pathIds(r.branch.path) },
          { key: SA.status, value: 'pending' },
          { key: SA.overdue, value: r.overdue },
        ],
      });
    });
    const rate = (b.sizes.bulk * 1000) / (Date.now() - t0);
    const result: FigureResult = {
      figure: '2. bulk start from a roster (starts/s)',
      value: `${rate.toFixed(0)}/s (${b.sizes.bulk} in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
      target: '>= 200/s',
      met: rate >= 200,
      detail: { n: b.sizes.bulk, concurrency: 100, note: 'check-in workflows; transfers reuse this path when they land' },
    };
    b.log(`figure 2 done: ${rate.toFixed(0)} starts/s`);
    return [result];
  },
};
