// `npm run record-histories`: runs each check-in path on a fresh dev server and PostgreSQL and saves the
// workflow histories into test/histories/, which test/replay.test.ts replays against the current code.
// Never re-record a generation: a change that breaks an existing history needs patched(); after a patch,
// record a new generation (`npm run record-histories -- v3`) so both shapes keep replaying.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createDb, migrate } from '../activities/db';
import { startThrowawayPostgres } from '../scripts/postgres';
import { startDevServer } from '../scripts/temporal-server';
import { freePort } from '../scripts/net';
import { workflowsPath } from '../worker/index';
import { failureConverterPath } from '../worker/codec';
import { call, profile, seedTree, startSystemAt } from './system';
import { checkIn } from '../workflows/check-in';
import { checkInWorkflowId } from '../domain/check-in';

const out = join(import.meta.dirname, 'histories');
/** The generation suffix: files of earlier generations stay, so every recorded shape keeps replaying. */
const generation = process.argv[2] ?? 'v2';
const dir = mkdtempSync(join(tmpdir(), 'tuanwu-record-'));
const pg = await startThrowawayPostgres();
const temporal = await startDevServer({ port: await freePort() });
try {
  const db = createDb(pg.url, { max: 1 });
  await migrate(db);
  await db.destroy();
  const bundle = await bundleWorkflowCode({ workflowsPath, failureConverterPath });
  const bundlePath = join(dir, 'bundle.js');
  writeFileSync(bundlePath, bundle.code);
  const sys = await startSystemAt(
    { databaseUrl: pg.url, temporalAddress: temporal.address, workflowBundlePath: bundlePath },
    { checkIn: { deadlineMs: 2500, reminderOffsetsMs: [1500, 700], escalationIntervalMs: 800 } },
  );
  const tree = await seedTree(sys.app);
  const save = async (name: string, memberId: string) => {
    const handle = sys.env.client.workflow.getHandle(checkInWorkflowId(memberId));
    await handle.result();
    writeFileSync(join(out, `${name}-${generation}.json`), `${historyToJSON(await handle.fetchHistory())}\n`);
    console.log(`recorded ${name}-${generation}`);
  };
  const submit = async () => {
    const r = await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec1, { branchId: tree.ids.branch1, profile: profile() });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    return r.body as { processId: string; memberId: string };
  };
  const decide = (processId: string, token: string, body: object) => call(sys.app, 'POST', `/api/processes/${processId}/decisions`, token, body);

  const a = await submit();
  await decide(a.processId, tree.tokens.sec1, { action: 'approve' });
  await save('check-in-approved', a.memberId);

  const b = await submit();
  await decide(b.processId, tree.tokens.sec1, { action: 'return', reason: 'wrong branch' });
  await save('check-in-returned', b.memberId);

  const memberToken = (await call(sys.app, 'POST', '/api/actors', 'test-admin-token-0123456789abcdef', { role: 'member', label: 'm' })).body.token;
  const c = (await call(sys.app, 'POST', '/api/check-ins', memberToken, { branchId: tree.ids.branch1, profile: profile() })).body;
  await decide(c.processId, memberToken, { action: 'withdraw' });
  await save('check-in-withdrawn', c.memberId);

  const d = await submit();
  await new Promise((r) => setTimeout(r, 4500)); // reminders, overdue, escalations
  await decide(d.processId, tree.tokens.city1, { action: 'extend', until: new Date(Date.now() + 3_600_000).toISOString(), reason: 'exams' });
  await decide(d.processId, tree.tokens.sec1, { action: 'approve' });
  await save('check-in-overdue-extended-approved', d.memberId);

  // A record that collides with an existing member's ID number: refused by the database, workflow rejected.
  const taken = await submit();
  const row = await sys.db.selectFrom('members').selectAll().where('id', '=', taken.memberId).executeTakeFirstOrThrow();
  const branch = await sys.db.selectFrom('organizations').selectAll().where('id', '=', tree.ids.branch1).executeTakeFirstOrThrow();
  const memberId = randomUUID();
  await sys.env.client.workflow.start(checkIn, {
    workflowId: checkInWorkflowId(memberId),
    taskQueue: sys.config.taskQueue,
    args: [{ processId: randomUUID(), memberId, branchId: branch.id, branchPath: branch.path, parentOrgId: branch.parent_id, submittedBy: 'recorder', linkActorId: null, profile: { ...profile(), idNumber: row.id_number }, timing: sys.config.timing.checkIn }],
  });
  await save('check-in-rejected-conflict', memberId);
  await sys.stop();
} finally {
  await temporal.stop();
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
