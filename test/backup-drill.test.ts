// Issue 21, the drill: `npm start` as a person runs it, open processes of every kind at a waiting step, `npm run
// backup` while it runs, `npm run restore` into a fresh data folder, and the restored copy takes every process to
// its end. Nothing lost (each process's events before the backup are still there), nothing written twice.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createDataConverter, payloadKeysFromEnv } from '../temporal/codec';
import { invariantCheck } from '../workflows/invariant-check';
import { NO_VIOLATIONS } from '../domain/invariants';
import { call, eventually, httpApp, profile } from './system';
import { personEnv, startNpmStart, type NpmStart } from './npm-start';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Running extends NpmStart {
  /** The demo accounts the drill acts as. */
  tokens: { admin: string; province: string; city: string; school: string; sec1: string; sec2: string };
}

/** `npm start` on `dataDir` (test/npm-start.ts's helper; the folder stays after its stop, for the restore). */
async function npmStart(dataDir: string): Promise<Running> {
  const running = await startNpmStart({ dataDir });
  const token = (role: string, orgId: string) => running.actors.find((a) => a.role === role && a.orgId === orgId)!.token;
  return {
    ...running,
    tokens: {
      admin: running.adminToken,
      province: token('province_admin', 'gd'),
      city: token('committee_admin', 'gd-sz'),
      school: token('committee_admin', 'gd-sz-ft-sch1'),
      sec1: token('branch_secretary', B1),
      sec2: token('branch_secretary', B2),
    },
  };
}

/** `npm run <script> -- …args` as a person runs it; answers the exit code and what it printed. */
async function npmRun(script: 'backup' | 'restore', args: string[], dataDir: string): Promise<{ code: number | null; out: string }> {
  const child = spawn('npx', ['tsx', `scripts/${script}.ts`, ...args], {
    cwd: ROOT,
    env: personEnv({ TUANWU_DATA_DIR: dataDir }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, out };
}

/** The restored system's PostgreSQL, as scripts/postgres.ts keeps it: its port in the lock file, its password beside. */
async function dbOf(dataDir: string): Promise<pg.Client> {
  const pgDir = join(dataDir, 'postgres');
  const port = readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[3]!.trim();
  const password = readFileSync(join(pgDir, 'tuanwu-password'), 'utf8').trim();
  const client = new pg.Client({ host: '127.0.0.1', port: Number(port), user: 'tuanwu', password, database: 'tuanwu' });
  await client.connect();
  return client;
}

const B1 = 'gd-sz-ft-sch1-b1';
const B2 = 'gd-sz-ft-sch1-b2';

describe('issue 21: backup and restore', () => {
  it(
    'issue 21: a backup of a running system restores into a fresh data folder, and every open process goes on to its end, nothing lost, nothing written twice',
    { timeout: 420_000 },
    async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'tuanwu-drill-'));
      chmodSync(tmp, 0o755); // PostgreSQL's user (as root: `postgres`) passes through it to its data folder
      const [dataDir, backupDir, restoredDir] = [join(tmp, 'data'), join(tmp, 'backup'), join(tmp, 'restored')];
      const t0 = performance.now();
      let running: Running | undefined;
      try {
        running = await npmStart(dataDir);
        const tStarted = performance.now();
        const { base, tokens: t } = running;
        const app = httpApp(base);
        const ok = async (method: 'POST' | 'GET', url: string, token: string, body?: unknown, status = [200, 201]) => {
          const r = await call(app, method, url, token, body);
          expect(status, `${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`).toContain(r.status);
          return r.body;
        };
        const decide = (id: string, token: string, action = 'approve') => ok('POST', `/api/processes/${id}/decisions`, token, { action });
        const activeMember = async () => {
          const c = await ok('POST', '/api/check-ins', t.sec1, { branchId: B1, profile: profile() });
          await decide(c.processId, t.sec1);
          return c.memberId as string;
        };

        // Open processes of every kind, each at a waiting step (some a step along).
        const demoCheckIn = (await ok('GET', '/api/processes?kind=check-in', t.sec1)).items[0].id as string;
        const [m1, m2, m3, m4] = [await activeMember(), await activeMember(), await activeMember(), await activeMember()];
        const checkIn = (await ok('POST', '/api/check-ins', t.sec1, { branchId: B1, profile: profile() })).processId as string;
        const memberToken = (await ok('POST', '/api/actors', t.admin, { role: 'member', memberId: m1, label: 'member' })).token as string;
        const change = (await ok('POST', `/api/members/${m1}/changes`, memberToken, { politicalStatus: '中共预备党员' })).processId as string;
        const transfer = (await ok('POST', '/api/transfers', t.sec1, { memberId: m2, toOrgId: B2, reason: 'moved house' })).processId as string;
        await decide(transfer, t.sec1); // released: waits for the arrival at 高一(2)班
        const deletion = (await ok('POST', '/api/deletions', t.sec1, { memberId: m3, category: 'left', reason: 'moved away for good' })).processId as string;
        await decide(deletion, t.city); // the city approved: waits for the province
        const disc = (await ok('POST', '/api/discipline', t.sec1, { memberId: m4, grounds: 'misconduct', details: 'repeated absence' })).processId as string;
        await decide(disc, t.sec1);
        await ok('POST', `/api/discipline/${disc}/talk`, t.sec1, { heldOn: '2026-11-01', summary: 'talked with the member' });
        const material = await fetch(`${base}/api/discipline/${disc}/materials`, {
          method: 'POST',
          headers: { authorization: `Bearer ${t.sec1}`, 'content-type': 'application/pdf', 'x-filename': 'minutes.pdf' },
          body: Buffer.from('%PDF-1.4 minutes of the branch meeting'),
        });
        expect(material.status).toBe(201);
        await ok('POST', `/api/discipline/${disc}/decision`, t.sec1, {
          heldOn: '2026-11-05',
          sanction: 'warning',
          materialIds: [((await material.json()) as { id: string }).id],
          summary: 'decided by the branch meeting',
        });
        const open = { demoCheckIn, checkIn, change, transfer, deletion, disc };
        const timeline = async (id: string) =>
          ((await ok('GET', `/api/processes/${id}`, t.province)).timeline as { type: string; at: string }[]).map((e) => `${e.type}@${e.at}`);
        const before: Record<string, string[]> = {};
        for (const id of Object.values(open)) {
          expect((await ok('GET', `/api/processes/${id}`, t.province)).status).toBe('pending');
          before[id] = await timeline(id);
        }

        // The backup while it runs: a reader polls throughout; a decision is sent at the same moment and sent again
        // on 503 ("send it again"), so it lands before the pause or after it, whichever the race gives.
        const polled: number[] = [];
        let polling = true;
        const poller = (async () => {
          while (polling) {
            const r = await fetch(`${base}/api/processes?limit=1`, { headers: { authorization: `Bearer ${t.sec1}` }, signal: AbortSignal.timeout(10_000) });
            polled.push(r.status);
            await new Promise((r) => setTimeout(r, 100));
          }
        })();
        const racing = (async () => {
          await new Promise((r) => setTimeout(r, 300));
          for (let i = 0; ; i++) {
            const r = await call(app, 'POST', `/api/processes/${checkIn}/decisions`, t.sec1, { action: 'approve' });
            if (r.status !== 503) return r;
            expect(i).toBeLessThan(100);
            await new Promise((r) => setTimeout(r, 250));
          }
        })();
        const tBackup = performance.now();
        const backup = await npmRun('backup', [backupDir], dataDir);
        const backupMs = performance.now() - tBackup;
        polling = false;
        await poller;
        const raced = await racing;
        expect(backup.code, backup.out).toBe(0);
        expect(raced.status, JSON.stringify(raced.body)).toBe(200);
        const pauseMs = Number(/paused (\d+) ms/.exec(backup.out)?.[1]);
        expect(pauseMs).toBeGreaterThan(0);
        // Meanwhile: 503 (send again), never a 500; and the pause was real.
        expect(polled.filter((s) => s !== 200 && s !== 503)).toEqual([]);
        expect(polled.filter((s) => s === 503).length).toBeGreaterThan(0);
        // The original goes on after the pause (the restored copy will not know this decision).
        expect((await decide(demoCheckIn, t.sec1)).status).toBe('approved');
        await running.stop();
        running = undefined;

        // The restore refuses a used data folder and a damaged backup, before it writes anything.
        const used = await npmRun('restore', [backupDir, '--data-dir', dataDir], dataDir);
        expect(used.code).not.toBe(0);
        expect(used.out).toContain('not empty');
        const tokenFile = join(backupDir, 'admin-token');
        const token = readFileSync(tokenFile);
        writeFileSync(tokenFile, 'tw_admin_tampered\n');
        const damaged = await npmRun('restore', [backupDir, '--data-dir', restoredDir], restoredDir);
        writeFileSync(tokenFile, token);
        expect(damaged.code).not.toBe(0);
        expect(damaged.out).toContain('not whole');
        const tRestore = performance.now();
        const restore = await npmRun('restore', [backupDir, '--data-dir', restoredDir], restoredDir);
        const restoreMs = performance.now() - tRestore;
        expect(restore.code, restore.out).toBe(0);

        running = await npmStart(restoredDir);
        const r = running;
        const app2 = httpApp(r.base);
        expect(r.tokens).toEqual(t); // the same tokens and keys: the data folder came back whole
        const status = async (id: string) => (await call(app2, 'GET', `/api/processes/${id}`, r.tokens.province)).body.status as string;
        const decide2 = async (id: string, token: string) => {
          const d = await call(app2, 'POST', `/api/processes/${id}/decisions`, token, { action: 'approve' });
          expect(d.status, JSON.stringify(d.body)).toBe(200);
        };
        // The restored copy is the moment of the backup: the demo check-in decided afterwards is open again.
        expect(await status(demoCheckIn)).toBe('pending');
        await decide2(demoCheckIn, r.tokens.sec1);
        // The raced decision is in the copy or not, never half: decided once, or decided now.
        const racedIntoCopy = (await status(checkIn)) !== 'pending';
        if (!racedIntoCopy) await decide2(checkIn, r.tokens.sec1);
        await decide2(change, r.tokens.sec1);
        await decide2(transfer, r.tokens.sec2);
        await decide2(deletion, r.tokens.province);
        await decide2(disc, r.tokens.school);
        await eventually(
          async () => (await status(disc)) === 'pending' && (await call(app2, 'GET', `/api/processes/${disc}`, r.tokens.province)).body.step === 'spot-check',
        );
        await decide2(disc, r.tokens.province);
        for (const [what, id] of Object.entries(open)) await eventually(async () => (await status(id)) === 'approved', 60_000, `${what} ${id} approved`);

        const db = await dbOf(restoredDir);
        try {
          const ids = Object.values(open);
          // Reminders and escalations may repeat; every other event of a process is recorded once.
          const twice = await db.query(
            `select process_id, type, count(*)::int as n from events where process_id = any($1) and type not like 'deadline.%' group by 1, 2 having count(*) > 1`,
            [ids],
          );
          expect(twice.rows).toEqual([]);
        } finally {
          await db.end();
        }
        for (const [what, id] of Object.entries(open)) {
          const detail = await call(app2, 'GET', `/api/processes/${id}`, r.tokens.province);
          const after = (detail.body.timeline as { type: string; at: string }[]).map((e) => `${e.type}@${e.at}`);
          expect(after, `${what}: events before the backup kept`).toEqual(expect.arrayContaining(before[id]!));
          expect(detail.body).toMatchObject({ status: 'approved', step: 'closed' });
        }
        // R25's daily check, run now on the restored copy: the read model and the members agree, nothing to tell.
        const connection = await Connection.connect({ address: r.temporalAddress });
        try {
          const keys = payloadKeysFromEnv({ TUANWU_PAYLOAD_KEYS: readFileSync(join(restoredDir, 'payload-keys'), 'utf8').trim() });
          const client = new Client({ connection, dataConverter: createDataConverter(keys) });
          const checked = await client.workflow.execute(invariantCheck, { taskQueue: 'tuanwu', workflowId: `drill-invariants-${randomUUID()}`, args: [{}] });
          expect(checked.violations).toEqual(NO_VIOLATIONS);
        } finally {
          await connection.close();
        }
        const sizes = /backup of the running system in .*/.exec(backup.out)?.[0] ?? backup.out;
        console.log(
          `issue 21 drill: first start ${Math.round(tStarted - t0)} ms; ${sizes}; pause ${pauseMs} ms (${polled.filter((s) => s === 503).length} of ` +
            `${polled.length} polls got 503; the raced decision ${racedIntoCopy ? 'landed before the pause' : 'landed after it'}); backup command ${Math.round(backupMs)} ms; restore ${Math.round(restoreMs)} ms; whole drill ` +
            `${Math.round(performance.now() - t0)} ms\n${backup.out.trim()}\n${restore.out.trim()}`,
        );
      } finally {
        await running?.stop();
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  );
});
