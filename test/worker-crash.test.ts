// A worker killed mid-process (SIGKILL) and started again: every process completes, every event exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { call, eventually, profile, seedTree, startSystem, TEST_PAYLOAD_KEYS, type System, type Tree } from './harness';

let sys: System;
let tree: Tree;
const children: ChildProcess[] = [];

const TIMING = { deadlineMs: 3000, reminderOffsetsMs: [2000, 1000], escalationIntervalMs: 1000 };

function startWorkerProcess(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TUANWU_TASK_QUEUE: sys.config.taskQueue,
      TUANWU_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      TUANWU_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return child;
}

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

beforeAll(async () => {
  sys = await startSystem({ worker: false, checkIn: TIMING });
  tree = await seedTree(sys.app);
});
afterAll(async () => {
  await Promise.all(children.map(kill));
  await sys?.stop();
});

describe('worker crash', () => {
  it('R3: kill the worker mid-process and start it again: the process completes and every event exists exactly once', async () => {
    let worker = startWorkerProcess();
    await polling(worker);
    const created = [];
    for (let i = 0; i < 5; i++) {
      const r = await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec1, { branchId: tree.ids.branch1, profile: profile() });
      expect(r.status).toBe(201);
      created.push(r.body as { processId: string; memberId: string });
    }
    // Kill it at moments spread over reminders, overdue and escalations.
    for (const pause of [700, 1900, 3300]) {
      await new Promise((r) => setTimeout(r, pause + Math.random() * 300));
      await kill(worker);
      worker = startWorkerProcess();
      await polling(worker);
    }
    for (const c of created) {
      await eventually(
        async () => (await sys.db.selectFrom('events').select('id').where('process_id', '=', c.processId).where('type', '=', 'deadline.escalated').executeTakeFirst()) !== undefined,
        30_000,
        'an escalation',
      );
      const r = await call(sys.app, 'POST', `/api/processes/${c.processId}/decisions`, tree.tokens.sec1, { action: 'approve' });
      expect(r.status).toBe(200);
    }
    for (const c of created) {
      const handle = sys.env.client.workflow.getHandle(`check-in-${c.memberId}`);
      expect(await handle.result()).toEqual({ processId: c.processId, status: 'approved' });
      const state = (await handle.query('state')) as { remindersSent: number; escalations: number };
      const events = await sys.db.selectFrom('events').select(['type', 'idempotency_key']).where('process_id', '=', c.processId).execute();
      const count = (t: string) => events.filter((e) => e.type === t).length;
      expect(count('check-in.submitted')).toBe(1);
      expect(count('check-in.approved')).toBe(1);
      expect(count('deadline.overdue')).toBe(1);
      // The workflow's own counts match the log: nothing lost, nothing written twice.
      expect(count('deadline.reminder')).toBe(state.remindersSent);
      expect(count('deadline.overdue') + count('deadline.escalated')).toBe(state.escalations);
      expect(new Set(events.map((e) => e.idempotency_key)).size).toBe(events.length);
      const row = await sys.db.selectFrom('processes').selectAll().where('id', '=', c.processId).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'approved', overdue: false });
    }
  });
});
