// Infrastructure restarts mid-run: the Temporal dev server (persisted to a file) and PostgreSQL. Each test
// gets its own server of the kind it restarts, so the other test files are not disturbed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createDb, migrate } from '../db';
import { startDevServer } from '../scripts/temporal-server';
import { startThrowawayPostgres } from '../scripts/postgres';
import { freePort } from '../scripts/net';
import { call, eventually, expectApprovedAndConsistent, profile, seedTree, startSystemAt, type System, type Tree } from './harness';
import { checkInWorkflowId } from '../domain/check-in';

const TIMING = { deadlineMs: 6000, reminderOffsetsMs: [4000, 2000], escalationIntervalMs: 2000 };
const N = 20;

async function submitAll(sys: System, tree: Tree) {
  const out: { processId: string; memberId: string }[] = [];
  for (let i = 0; i < N; i++) {
    const r = await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec1, { branchId: tree.ids.branch1, profile: profile() });
    expect(r.status).toBe(201);
    out.push(r.body);
  }
  return out;
}

/** Waits until the last process is overdue (timers fired after the fault), then approves them all. */
async function overdueThenApprove(sys: System, tree: Tree, created: { processId: string }[]) {
  await eventually(
    async () =>
      (await sys.db
        .selectFrom('events')
        .select('id')
        .where('process_id', '=', created.at(-1)!.processId)
        .where('type', '=', 'deadline.overdue')
        .executeTakeFirst()) !== undefined,
    60_000,
    'overdue after the restart',
  );
  for (const c of created) {
    const r = await call(sys.app, 'POST', `/api/processes/${c.processId}/decisions`, tree.tokens.sec1, { action: 'approve' });
    expect(r.status).toBe(200);
  }
}

describe('infrastructure restarts', () => {
  it('durability: the Temporal server restarts mid-run (persisted to a file): every check-in completes', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tuanwu-restart-'));
    const port = await freePort();
    const dbFile = join(dir, 'temporal.db');
    let server = await startDevServer({ port, dbFile });
    const sys = await startSystemAt(
      { databaseUrl: inject('databaseUrl'), temporalAddress: server.address, workflowBundlePath: inject('workflowBundlePath') },
      { checkIn: TIMING },
    );
    try {
      const tree = await seedTree(sys.app);
      const created = await submitAll(sys, tree);
      await server.stop();
      await new Promise((r) => setTimeout(r, 3000)); // timers come due while the server is down
      server = await startDevServer({ port, dbFile });
      // Work resumes: reminders and overdue get written after the restart.
      await overdueThenApprove(sys, tree, created);
      expect(await expectApprovedAndConsistent(sys, created)).toEqual([]);
    } finally {
      await sys.stop();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('durability: PostgreSQL restarts mid-run: activities retry, everything completes, the event log and read model agree', { timeout: 300_000 }, async () => {
    const pg = await startThrowawayPostgres();
    const setup = createDb(pg.url, { max: 1 });
    await migrate(setup);
    await setup.destroy();
    const sys = await startSystemAt(
      { databaseUrl: pg.url, temporalAddress: inject('temporalAddress'), workflowBundlePath: inject('workflowBundlePath') },
      { checkIn: TIMING },
    );
    try {
      const tree = await seedTree(sys.app);
      const created = await submitAll(sys, tree);
      // Down across the reminders: their activities fail and retry until the database is back.
      await new Promise((r) => setTimeout(r, 1500));
      await pg.restart!({ downMs: 4000 });
      await overdueThenApprove(sys, tree, created);
      expect(await expectApprovedAndConsistent(sys, created)).toEqual([]);
      // The outage did hit activities: some ran again after failing (attempt > 1 in the history).
      let retried = 0;
      for (const c of created) {
        const history = await sys.env.client.workflow.getHandle(checkInWorkflowId(c.memberId)).fetchHistory();
        retried += history.events!.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
      }
      expect(retried).toBeGreaterThan(0);
    } finally {
      await sys.stop();
      await pg.stop();
    }
  });
});
