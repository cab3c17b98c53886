// Scale-out on one machine: two worker processes and two API processes on the same Temporal server and
// PostgreSQL (the cluster lane runs it on the Temporal cluster). 1,000 check-ins through both APIs, one worker
// stopped and started again meanwhile: every check-in is decided, every event recorded exactly once.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../scripts/net';
import { createDb } from '../db';
import { mapLimit } from '../domain/concurrency';
import { ADMIN_TOKEN, TEST_PAYLOAD_KEYS, call, eventually, httpApp, profile, seedTree, spawnTuanwu, waitForHttp, type Spawned } from './harness';

const N = Number(process.env.TUANWU_SCALE_N ?? 1000);

describe('scale-out', () => {
  it(`two APIs and two workers: ${N} check-ins through both, one worker restarted meanwhile, every event exactly once`, { timeout: 900_000 }, async () => {
    const taskQueue = `scale-${randomUUID()}`;
    const env = {
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TUANWU_TASK_QUEUE: taskQueue,
      TUANWU_ADMIN_TOKEN: ADMIN_TOKEN,
      TUANWU_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
      TUANWU_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      HOST: '127.0.0.1',
    };
    const worker = async () => spawnTuanwu('worker', { ...env, TUANWU_WORKER_METRICS_PORT: String(await freePort()) });
    const apiPorts = [await freePort(), await freePort()];
    const workers: Spawned[] = [await worker(), await worker()];
    const apis = apiPorts.map((port) => spawnTuanwu('api', { ...env, PORT: String(port) }));
    const db = createDb(inject('databaseUrl'), { max: 2 });
    try {
      await Promise.all(apis.map((a, i) => waitForHttp(`http://127.0.0.1:${apiPorts[i]}/healthz`, 120_000, a)));
      const apps = apiPorts.map((port) => httpApp(`http://127.0.0.1:${port}`));
      const tree = await seedTree(apps[0]!);

      const accepted: string[] = [];
      let restarted: Promise<void> | undefined;
      await mapLimit(
        Array.from({ length: N }, (_, i) => i),
        16,
        async (i) => {
          // As a client does: a 503 ("Temporal has not confirmed the start in time: send it again", on a loaded
          // machine) is sent again under the same Idempotency-Key, which records the check-in once.
          const body = { branchId: tree.ids.branch1, profile: profile() };
          const key = `scale-out-${i}-${randomUUID()}`;
          let r = await call(apps[i % 2]!, 'POST', '/api/check-ins', tree.tokens.sec1, body, { 'idempotency-key': key });
          for (let attempt = 2; r.status === 503 && attempt <= 5; attempt++) {
            await new Promise((done) => setTimeout(done, 2000));
            r = await call(apps[i % 2]!, 'POST', '/api/check-ins', tree.tokens.sec1, body, { 'idempotency-key': key });
          }
          // On a failure, the API's own log says why (its error line carries the cause); the line may still be in
          // the pipe when the answer arrives, so it is read a moment later, and only the error lines are shown.
          if (r.status !== 201) await new Promise((done) => setTimeout(done, 1000));
          const errors = () =>
            apis[i % 2]!.output()
              .split('\n')
              .filter((l) => l.includes('"level":50'))
              .slice(-5)
              .join('\n');
          expect(r.status, `${JSON.stringify(r.body)}\n${r.status !== 201 ? errors() : ''}`).toBe(201);
          accepted.push(r.body.processId as string);
          // A third of the way in, the first worker stops (SIGTERM) and a new one takes its place.
          if (accepted.length === Math.floor(N / 3)) {
            restarted = (async () => {
              expect(await workers[0]!.stop('SIGTERM')).toBe(0);
              workers[0] = await worker();
            })();
          }
        },
      );
      await restarted;
      expect(new Set(accepted).size).toBe(N);

      await mapLimit(
        accepted.map((id, i) => ({ id, i })),
        16,
        async ({ id, i }) => {
          const r = await call(apps[i % 2]!, 'POST', `/api/processes/${id}/decisions`, tree.tokens.sec1, { action: 'approve' });
          expect(r.status, JSON.stringify(r.body)).toBe(200);
        },
      );

      const counts = await eventually(
        async () => {
          const rows = await db
            .selectFrom('events')
            .select(['type', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.count<number>('process_id').distinct().as('processes')])
            .where('process_id', 'in', accepted)
            .where('type', 'in', ['check-in.submitted', 'check-in.approved'])
            .groupBy('type')
            .execute();
          const approved = rows.find((r) => r.type === 'check-in.approved');
          return approved && Number(approved.n) === N ? rows : undefined;
        },
        120_000,
        'every approval recorded',
      );
      for (const r of counts) expect({ type: r.type, n: Number(r.n), processes: Number(r.processes) }).toEqual({ type: r.type, n: N, processes: N });
      const open = await db.selectFrom('processes').select('id').where('id', 'in', accepted).where('status', '!=', 'approved').execute();
      expect(open).toEqual([]);
      for (const p of [...workers, ...apis]) expect(p.alive(), p.output().slice(-2000)).toBe(true);
      for (const p of [...apis, ...workers]) expect(await p.stop('SIGTERM')).toBe(0);
    } finally {
      for (const p of [...apis, ...workers]) await p.stop('SIGKILL');
      const connection = await Connection.connect({ address: inject('temporalAddress') });
      await new Client({ connection }).schedule
        .getHandle(`dues-check:${taskQueue}`)
        .delete()
        .catch(() => {});
      await connection.close();
      await db.destroy();
    }
  });
});
