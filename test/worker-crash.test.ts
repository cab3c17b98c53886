// Processes in flight while the worker is SIGKILLed at random moments and restarted: every process
// completes, none is lost, no event is written twice (checked against the event log and the read model).
// TUANWU_FAULT_N sets how many (200 by default, as in CI; 1000 locally).
import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { call, expectApprovedAndConsistent, profile, seedTree, startSystem, TEST_PAYLOAD_KEYS, type System, type Tree } from './harness';

const N = Number(process.env.TUANWU_FAULT_N ?? 200);
const TIMING = { deadlineMs: 10_000, reminderOffsetsMs: [6000, 3000], escalationIntervalMs: 4000 };

let sys: System;
let tree: Tree;
const children: ChildProcess[] = [];

function startWorkerProcess(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TUANWU_TASK_QUEUE: sys.config.taskQueue,
      TUANWU_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      TUANWU_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
      // No metrics server: its fixed default port (9464) would be taken by any other worker on the machine.
      TUANWU_WORKER_METRICS_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  // The worker logs JSON lines on stdout; its warnings and errors are kept, to show if a process is stuck.
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (/"level":(4|5|6)0/.test(line)) workerWarnings.push(line.slice(0, 600));
    workerWarnings.splice(0, Math.max(0, workerWarnings.length - 40));
  });
  return child;
}
const workerWarnings: string[] = [];

async function polling(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('polling') && resolve());
    child.once('exit', (c) => reject(new Error(`worker exited early (${c})`)));
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function inBatches<T, R>(items: T[], size: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

beforeAll(async () => {
  sys = await startSystem({ worker: false, checkIn: TIMING });
  tree = await seedTree(sys.app);
});
afterAll(async () => {
  await Promise.all(children.map(kill));
  await sys?.stop();
});

describe('worker crash', () => {
  it(
    `durability: ${N} check-ins in flight while the worker is SIGKILLed at random and restarted: all complete, every event exactly once`,
    { timeout: 600_000 },
    async () => {
      let worker = startWorkerProcess();
      await polling(worker);
      const tStart = Date.now();
      const branches = [tree.ids.branch1, tree.ids.branch2];
      // As a client does: a 503 (the worker did not confirm in time on a loaded machine) is sent again under the same
      // Idempotency-Key, which records the check-in once.
      const created = await inBatches([...Array(N).keys()], 25, async (i) => {
        const token = i % 2 === 0 ? tree.tokens.sec1 : tree.tokens.sec2;
        const body = { branchId: branches[i % 2], profile: profile() };
        const key = `worker-crash-${randomUUID()}`;
        for (let attempt = 1; ; attempt++) {
          const r = await call(sys.app, 'POST', '/api/check-ins', token, body, { 'idempotency-key': key });
          if (r.status === 503 && attempt < 5) {
            await new Promise((resolve) => setTimeout(resolve, 2000));
            continue;
          }
          expect(r.status).toBe(201);
          return { ...(r.body as { processId: string; memberId: string }), token };
        }
      });
      console.log(`fault: ${N} check-ins submitted in ${Date.now() - tStart} ms`);

      const t0 = Date.now();
      // A killer: four SIGKILLs at random moments, each followed by a restart, while work is in flight.
      let kills = 0;
      const killer = (async () => {
        for (let i = 0; i < 4; i++) {
          await new Promise((r) => setTimeout(r, 2000 + Math.random() * 3000));
          await kill(worker);
          kills += 1;
          worker = startWorkerProcess();
          await polling(worker);
        }
      })();
      // Reminders, overdue and escalations happen under the kills; approvals are sent while kills go on.
      await new Promise((r) => setTimeout(r, 6000));
      // As a client does: a 503 ("no worker confirmed it in time; send it again") is sent again. The first try
      // may still have applied meanwhile: the retry then finds the check-in approved (409), never approved twice.
      let unavailable = 0;
      const decisions = await inBatches(created, 25, async (c) => {
        for (let attempt = 1; ; attempt++) {
          const r = await call(sys.app, 'POST', `/api/processes/${c.processId}/decisions`, c.token, { action: 'approve' });
          if (r.status !== 503 || attempt === 5) return { status: r.status, retried: attempt > 1 };
          unavailable += 1;
          await new Promise((resolve) => setTimeout(resolve, 2000));
        }
      });
      await killer;
      console.log(`fault: ${N} check-ins, ${kills} SIGKILLs, approvals answered after ${Date.now() - t0} ms (${unavailable} answers 503, sent again)`);
      expect(kills).toBe(4);
      expect(decisions.filter((d) => !(d.status === 200 || (d.status === 409 && d.retried)))).toEqual([]);

      const problems = await expectApprovedAndConsistent(sys, created);
      if (problems.length > 0) console.log(`the workers' last warnings and errors:\n${workerWarnings.join('\n')}`);
      expect(problems).toEqual([]);
    },
  );
});
