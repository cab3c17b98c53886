// The API and the worker as separate processes (`npm run api`, `npm run worker`), as a deployment runs them.
// PostgreSQL restarts under both while check-ins flow: both stay alive, answer 503 (never 500) while it is
// down, and nothing accepted is lost. SIGTERM then stops each cleanly.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { startThrowawayPostgres } from '../scripts/postgres';
import { freePort } from '../scripts/net';
import { createDb, migrate } from '../db';
import { ADMIN_TOKEN, TEST_PAYLOAD_KEYS, call, eventually, httpApp, profile, seedTree, spawnTuanwu, waitForHttp } from './harness';

describe('separate processes', () => {
  it(
    'PostgreSQL restarts under the API and the worker running apart: both stay alive, answer 503 meanwhile, and lose nothing',
    { timeout: 300_000 },
    async () => {
      const pg = await startThrowawayPostgres();
      // As a deploy does: `npm run migrate` first; the API and the worker refuse a schema that is not current.
      const migrating = createDb(pg.url, { max: 1 });
      await migrate(migrating);
      await migrating.destroy();
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const env = {
        DATABASE_URL: pg.url,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TUANWU_TASK_QUEUE: `apart-${randomUUID()}`,
        TUANWU_ADMIN_TOKEN: ADMIN_TOKEN,
        TUANWU_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
        TUANWU_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
        TUANWU_WORKER_METRICS_PORT: String(await freePort()),
        HOST: '127.0.0.1',
        PORT: String(port),
      };
      const worker = spawnTuanwu('worker', env);
      const api = spawnTuanwu('api', env);
      const db = createDb(pg.url, { max: 2 });
      let flowing = true;
      try {
        await waitForHttp(`${base}/healthz`, 120_000, api);
        const app = httpApp(base);
        const tree = await seedTree(app);
        const accepted: string[] = [];
        const statuses = new Map<number, number>();
        const submit = async () => {
          const r = await call(app, 'POST', '/api/check-ins', tree.tokens.sec1, { branchId: tree.ids.branch1, profile: profile() });
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status === 201) accepted.push(r.body.processId as string);
        };
        // Check-ins keep coming, from eight clients, before, during and after the restarts: the more transactions
        // in flight, the likelier a restart catches a checked-out connection between two queries.
        const clients = Array.from({ length: 8 }, async () => {
          while (flowing) await submit().catch((e: unknown) => statuses.set(-1, (statuses.get(-1) ?? 0) + 1) && console.error(e));
        });
        for (let restart = 1; restart <= 2; restart++) {
          const before = accepted.length;
          await eventually(async () => accepted.length >= before + 20, 120_000, `check-ins before restart ${restart}`);
          await pg.restart!({ downMs: 2000 });
        }
        const afterRestarts = accepted.length;
        await eventually(async () => accepted.length >= afterRestarts + 20, 120_000, 'check-ins after the restarts');
        flowing = false;
        await Promise.all(clients);
        expect(statuses.get(-1) ?? 0).toBe(0);

        expect(worker.alive(), worker.output().slice(-3000)).toBe(true);
        expect(api.alive(), api.output().slice(-3000)).toBe(true);
        // While the database was down, requests were refused as unavailable, never as an internal error.
        expect(statuses.get(500) ?? 0).toBe(0);
        expect(
          [...statuses.keys()].every((s) => s === 201 || s === 503),
          JSON.stringify([...statuses]),
        ).toBe(true);

        // Every accepted check-in is decidable and recorded exactly once.
        for (const id of accepted) {
          const r = await call(app, 'POST', `/api/processes/${id}/decisions`, tree.tokens.sec1, { action: 'approve' });
          expect(r.status, JSON.stringify(r.body)).toBe(200);
        }
        await eventually(
          async () => {
            const rows = await db
              .selectFrom('events')
              .select(['process_id', 'type'])
              .where('process_id', 'in', accepted)
              .where('type', 'in', ['check-in.submitted', 'check-in.approved'])
              .execute();
            return rows.length === accepted.length * 2 && new Set(rows.map((r) => `${r.process_id}:${r.type}`)).size === rows.length;
          },
          60_000,
          'one submitted and one approved event per accepted check-in',
        );

        // SIGTERM: each finishes what it has in hand and exits 0.
        expect(await api.stop('SIGTERM')).toBe(0);
        expect(await worker.stop('SIGTERM')).toBe(0);
      } catch (e) {
        throw new Error(`${String(e)}\n--- worker:\n${worker.output().slice(-4000)}\n--- api:\n${api.output().slice(-4000)}`, { cause: e });
      } finally {
        flowing = false;
        await api.stop('SIGKILL');
        await worker.stop('SIGKILL');
        // The worker created its dues schedule on the shared server: remove it.
        const connection = await Connection.connect({ address: inject('temporalAddress') });
        await new Client({ connection }).schedule
          .getHandle(`dues-check:${env.TUANWU_TASK_QUEUE}`)
          .delete()
          .catch(() => {});
        await connection.close();
        await db.destroy();
        await pg.stop();
      }
    },
  );
});
