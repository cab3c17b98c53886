// 4. BENCH_OPEN_N open check-ins with pending timers on a worker process of their own: its RSS, and timer lag.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { profile } from '../../test/system';
import { checkIn } from '../../workflows/check-in';
import { checkInWorkflowId, type CheckInInput } from '../../domain/check-in';
import { byPattern, cpuProfile } from '../cpu';
import type { Bench, Figure, FigureResult } from '../figure';
import { pool, summarize } from '../stats';

/** An open check-in on `queue`, on one of the tree's branches, with the given timers. */
async function startOpen(b: Bench, queue: string, i: number, timing: CheckInInput['timing']) {
  const branch = b.tree.branches[(i * 31) % b.tree.branches.length]!;
  const memberId = randomUUID();
  await b.client.workflow.start(checkIn, {
    workflowId: checkInWorkflowId(memberId),
    taskQueue: queue,
    args: [
      {
        processId: randomUUID(),
        memberId,
        branchId: branch.id,
        branchPath: branch.path,
        parentOrgId: branch.parent,
        submittedBy: 'bench',
        linkActorId: null,
        profile: profile(),
        timing,
      },
    ],
  });
}

export const figure04: Figure = {
  id: 4,
  title: 'open processes with pending timers',
  async run(b) {
    const queue = `open-${randomUUID()}`;
    const nodeArgs = [
      `--max-old-space-size=${b.sizes.heapMb}`,
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ];
    const child = b.spawnWorker(queue, { TUANWU_MAX_CACHED_WORKFLOWS: String(b.sizes.cache) }, nodeArgs);
    await b.polling(child);
    let rss = 0;
    const sampler = setInterval(() => {
      try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
        rss = Math.max(rss, kb * 1024);
      } catch {
        /* exited */
      }
    }, 500);
    // N open check-ins whose deadline (1 h) and reminder lie beyond the run, and among them a sample of
    // SAMPLE whose reminders come due spread over the measurement window (20 a second): the lag is
    // measured for timers firing in a worker that holds N open processes.
    const SAMPLE = Math.min(500, b.sizes.open);
    const far = { deadlineMs: 3_600_000, reminderOffsetsMs: [1_800_000], escalationIntervalMs: 86_400_000 };
    const t0 = Date.now();
    await pool([...Array(b.sizes.open - SAMPLE).keys()], 100, async (i) => startOpen(b, queue, i, far));
    b.log(`figure 4: ${b.sizes.open - SAMPLE} open check-ins started in ${Date.now() - t0} ms`);
    // Settled: every one has recorded its submission and waits on its timers.
    const settled = async () =>
      (
        await sql<{
          n: number;
        }>`select count(*)::int as n from processes where workflow_id like 'check-in-%' and deadline - started_at = interval '1 hour'`.execute(b.sys.db)
      ).rows[0]!.n;
    while ((await settled()) < b.sizes.open - SAMPLE) await new Promise((r) => setTimeout(r, 1000));
    b.log(`figure 4: all settled after ${Date.now() - t0} ms; now the sample`);
    const profile4 = cpuProfile({
      'temporal server': byPattern('temporal server start-dev'),
      postgres: byPattern('postgres'),
      'worker process': () => [child.pid!],
    });
    const window0 = Date.now() + 15_000;
    await pool([...Array(SAMPLE).keys()], 20, async (i) => {
      const due = window0 + i * 50; // 20 a second
      return startOpen(b, queue, i, { deadlineMs: 3_600_000, reminderOffsetsMs: [3_600_000 - (due - Date.now())], escalationIntervalMs: 86_400_000 });
    });
    const until = window0 + SAMPLE * 50 + 60_000;
    let fired = 0;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 2000));
      fired = (
        await sql<{
          n: number;
        }>`select count(*)::int as n from events e join processes p on p.id = e.process_id where e.type = 'deadline.reminder' and p.org_path like 'bp/%' and p.workflow_id like 'check-in-%' and p.deadline - p.started_at = interval '1 hour'`.execute(
          b.sys.db,
        )
      ).rows[0]!.n;
      if (fired >= SAMPLE) break;
    }
    clearInterval(sampler);
    const cpu = profile4();
    const expected = SAMPLE;
    // Lag: the reminder event committed, minus when its timer was due (started + deadline - offset).
    const lags = (
      await sql<{
        lag: number;
      }>`select extract(epoch from (e.occurred_at - (p.deadline - ((e.payload->>'offsetMs')::bigint * interval '1 millisecond')))) * 1000 as lag
      from events e join processes p on p.id = e.process_id where e.type = 'deadline.reminder' and p.deadline - p.started_at = interval '1 hour'`.execute(
        b.sys.db,
      )
    ).rows.map((r) => Number(r.lag));
    child.kill('SIGTERM');
    const st = summarize(lags);
    const result: FigureResult = {
      figure: `4. open processes with pending timers (N=${b.sizes.open}, cache ${b.sizes.cache})`,
      value: `worker RSS max ${(rss / 2 ** 20).toFixed(0)} MiB; timer lag p50 ${st.p50.toFixed(0)} ms, p99 ${st.p99.toFixed(0)} ms (${fired}/${expected} fired)`,
      target: 'RSS <= 1 GiB, p99 lag <= 1 s',
      met: rss <= 2 ** 30 && st.p99 <= 1000 && fired >= expected,
      detail: {
        cpu,
        n: b.sizes.open,
        sample: SAMPLE,
        cache: b.sizes.cache,
        heapMb: b.sizes.heapMb,
        rssBytes: rss,
        lag: st,
        note: 'lag = reminder event committed minus its scheduled time (timer + workflow task + activity + transaction)',
      },
    };
    b.log('figure 4 done');
    return [result];
  },
};
