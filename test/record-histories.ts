// `npm run record-histories`: runs every shape of every workflow on a fresh dev server and PostgreSQL and saves
// the histories into test/histories/ as `<shape>-v1.0.json`, which test/replay.test.ts replays against the current
// code. v1.0 is the baseline, recorded once: from it on, a change a running process would notice goes behind
// patched() and its shapes are recorded as a new generation beside it (`npm run record-histories -- v1.1`,
// README "Changing a workflow that has open processes"). Never re-record a generation.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createDb, migrate, type Db } from '../db';
import { startThrowawayPostgres } from '../scripts/postgres';
import { startDevServer } from '../scripts/temporal-server';
import { freePort } from '../scripts/net';
import { workflowsPath } from '../worker/index';
import { failureConverterPath } from '../temporal/codec';
import { activeMember, actorToken, call, caseAtApproval, idNumber, importOrgs, profile, seedTree, startSystemAt, testCampaignPlan } from './system';
import { startPeerProvince } from './peer-province';
import { PEER_PATHS } from '../domain/peer-protocol';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { checkIn } from '../workflows/check-in';
import { memberChange } from '../workflows/member-change';
import { ageOutSweep } from '../workflows/age-out';
import { healthCheck } from '../workflows/health-check';
import { invariantCheck } from '../workflows/invariant-check';
import { decideUpdate } from '../processes/messages';
import { transitionMember } from '../db/member-state';
import { checkInWorkflowId } from '../domain/check-in';
import { campaignFanOutWorkflowId, campaignTaskWorkflowId } from '../domain/workflow-ids';

const out = join(import.meta.dirname, 'histories');
/** The generation suffix: files of earlier generations stay, so every recorded shape keeps replaying. */
const generation = process.argv[2] ?? 'v1.0';
/** RECORD_ONLY=discipline,deletion records only those kinds (a new kind gets its first histories). */
const only = process.env.RECORD_ONLY?.split(',').map((k) => k.trim());
const wanted = (kind: string) => !only || only.includes(kind);
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
  const key = randomBytes(32);
  let ourUrl = '';
  const hn = await startPeerProvince({ code: 'hn', key, ourCode: 'gd', ourUrl: () => ourUrl });
  const sys = await startSystemAt(
    { databaseUrl: pg.url, temporalAddress: temporal.address, workflowBundlePath: bundlePath },
    {
      checkIn: { deadlineMs: 2500, reminderOffsetsMs: [1500, 700], escalationIntervalMs: 800 },
      transfer: { release: { deadlineMs: 2500, reminderOffsetsMs: [1500], escalationIntervalMs: 800, onTimeout: 'remind' } },
      discipline: { probationMonthMs: 200 },
      memberChange: { deadlineMs: 2500, reminderOffsetsMs: [1500, 700], escalationIntervalMs: 800 },
      campaign: { reminderOffsetsMs: [1500], escalationIntervalMs: 800, fanOutPage: 2, startConcurrency: 2 },
      province: 'gd',
      peers: new Map([['hn', { url: hn.url, key }]]),
    },
  );
  await sys.app.listen({ port: 0, host: '127.0.0.1' });
  ourUrl = `http://127.0.0.1:${(sys.app.server.address() as AddressInfo).port}`;
  const tree = await seedTree(sys.app);
  /** Waits for the workflow to close and saves its history as `<name>-<generation>.json`. */
  const saveWorkflow = async (name: string, workflowId: string) => {
    const handle = sys.env.client.workflow.getHandle(workflowId);
    await handle.result();
    writeFileSync(join(out, `${name}-${generation}.json`), `${historyToJSON(await handle.fetchHistory())}\n`);
    console.log(`recorded ${name}-${generation}`);
  };
  const save = (name: string, memberId: string) => saveWorkflow(name, checkInWorkflowId(memberId));
  const submit = async () => {
    const r = await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec1, { branchId: tree.ids.branch1, profile: profile() });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    return r.body as { processId: string; memberId: string };
  };
  const decide = (processId: string, token: string, body: object) => call(sys.app, 'POST', `/api/processes/${processId}/decisions`, token, body);
  /** A check-in workflow started directly in branch 1 (past the API's checks), for shapes the API would not start. */
  const startCheckInDirectly = async (o: { profile: ReturnType<typeof profile>; timing: typeof sys.config.timing.checkIn }) => {
    const branch = await sys.db.selectFrom('organizations').selectAll().where('id', '=', tree.ids.branch1).executeTakeFirstOrThrow();
    const memberId = randomUUID();
    const processId = randomUUID();
    await sys.env.client.workflow.start(checkIn, {
      workflowId: checkInWorkflowId(memberId),
      taskQueue: sys.config.taskQueue,
      args: [
        {
          processId,
          memberId,
          branchId: branch.id,
          branchPath: branch.path,
          parentOrgId: branch.parent_id,
          submittedBy: 'recorder',
          linkActorId: null,
          profile: o.profile,
          timing: o.timing,
        },
      ],
    });
    return { memberId, processId };
  };

  if (wanted('campaign')) {
    // R22: a campaign over the tree (fan-out pages of two branches). Recorded first, while branch 1 has no members
    // but its three here (every member is graded before the hand-in). Branch 1 grades, is returned once, is
    // confirmed, registers one member, defers one (followed up, then registered) and refuses one (a deletion);
    // branch 2 lets its deadline pass (reminded, overdue, escalated), its city's phase is extended, and the close
    // finds it unfinished, as it finds branch 3.
    const plan = testCampaignPlan({ year: 2030, evaluationMs: 3500, registrationMs: 3_600_000 });
    const opened = await call(sys.app, 'POST', '/api/campaigns', tree.tokens.province, plan);
    if (opened.status !== 201) throw new Error(JSON.stringify(opened.body));
    const { campaignId, workflowId } = opened.body as { campaignId: string; workflowId: string };
    const members = [
      await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1),
      await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1),
      await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1),
    ];
    const task = async (orgId: string) => {
      for (;;) {
        const row = await sys.db
          .selectFrom('campaign_tasks')
          .select('process_id')
          .where('campaign_id', '=', campaignId)
          .where('org_id', '=', orgId)
          .executeTakeFirst();
        if (row) return row.process_id;
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const ok = (r: { status: number; body: unknown }) => {
      if (r.status >= 300) throw new Error(JSON.stringify(r.body));
      return r;
    };
    const at = (step: string, processId: string) => waitForStep(sys.db, processId, step);
    const b1 = await task(tree.ids.branch1);
    const branch1 = `/api/campaigns/${campaignId}/branches/${tree.ids.branch1}`;
    ok(await call(sys.app, 'PUT', `${branch1}/grades`, tree.tokens.sec1, { grades: members.map((memberId) => ({ memberId, grade: 'qualified' })) }));
    ok(await decide(b1, tree.tokens.sec1, { action: 'submit' }));
    await at('evaluation-review', b1);
    ok(await decide(b1, tree.tokens.school1, { action: 'return', reason: 'recheck the grades' }));
    await at('evaluation', b1);
    ok(await decide(b1, tree.tokens.sec1, { action: 'submit' }));
    await at('evaluation-review', b1);
    ok(await decide(b1, tree.tokens.school1, { action: 'approve' }));
    await at('registration', b1);
    const tomorrow = new Date(Date.now() + 8 * 3_600_000 + 86_400_000).toISOString().slice(0, 10);
    ok(
      await call(sys.app, 'PUT', `${branch1}/registrations`, tree.tokens.sec1, {
        entries: [
          { memberId: members[0], decision: 'registered' },
          { memberId: members[1], decision: 'deferred', reason: 'dues unpaid', followUpOn: tomorrow },
          { memberId: members[2], decision: 'refused', reason: 'left the league long ago' },
        ],
      }),
    );
    ok(await decide(b1, tree.tokens.sec1, { action: 'submit' }));
    await at('follow-up', b1);
    // R25: the deferred member is deleted meanwhile: settled, the follow-up hears it and the task ends.
    const deletion = ok(
      await call(sys.app, 'POST', '/api/deletions', tree.tokens.sec1, { memberId: members[1], category: 'left', reason: 'moved abroad' }),
    ) as { body: { processId: string } };
    ok(await decide(deletion.body.processId, tree.tokens.city1, { action: 'approve' }));
    ok(await decide(deletion.body.processId, tree.tokens.province, { action: 'approve' }));
    await saveWorkflow('campaign-task-registered', campaignTaskWorkflowId(workflowId, tree.ids.branch1));

    // R25: a branch imported while the campaign is open gets its task.
    const newBranch = `${tree.ids.branch1}-new`;
    await importOrgs(sys.app, [{ id: newBranch, parentId: tree.ids.school1, name: '新建团支部', kind: 'branch', contactPhone: '0755-12345670' }]);
    await task(newBranch);

    await task(tree.ids.branch2);
    await new Promise((r) => setTimeout(r, 5000)); // branch 2: reminded, overdue, escalated
    const until = new Date(Date.now() + 3_600_000).toISOString();
    ok(
      await call(sys.app, 'POST', `/api/campaigns/${campaignId}/extensions`, tree.tokens.province, {
        cityId: tree.ids.city1,
        phase: 'evaluation',
        until,
        reason: 'typhoon',
      }),
    );
    const extendedAt = async () => {
      for (;;) {
        const e = await sys.db
          .selectFrom('events')
          .select('id')
          .where('process_id', '=', await task(tree.ids.branch2))
          .where('type', '=', 'deadline.extended')
          .executeTakeFirst();
        if (e) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    await extendedAt();
    ok(await call(sys.app, 'POST', `/api/campaigns/${campaignId}/close`, tree.tokens.province, { reason: 'the year is over' }));
    await saveWorkflow('campaign-task-extended-unfinished', campaignTaskWorkflowId(workflowId, tree.ids.branch2));
    await saveWorkflow('campaign-task-unfinished', campaignTaskWorkflowId(workflowId, tree.ids.branch3));
    await saveWorkflow('campaign-closed', workflowId);
    await saveWorkflow('campaign-fan-out-open', campaignFanOutWorkflowId(workflowId, 'open', tree.ids.city1));
    await saveWorkflow('campaign-fan-out-close', campaignFanOutWorkflowId(workflowId, 'close', tree.ids.city1));
  }

  if (wanted('check-in')) {
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
    const { memberId } = await startCheckInDirectly({ profile: { ...profile(), idNumber: row.id_number }, timing: sys.config.timing.checkIn });
    await save('check-in-rejected-conflict', memberId);
  }

  if (wanted('transfer')) {
    // Transfers (R9-R12): every step shape a transfer history can have.
    const saveTransfer = (name: string, mid: string) => saveWorkflow(name, `transfer-${mid}`);
    const startTransfer = async (token: string, body: object) => {
      const r = await call(sys.app, 'POST', '/api/transfers', token, body);
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      return r.body.processId as string;
    };
    await importOrgs(sys.app, [{ id: tree.ids.school1, parentId: tree.ids.county1, name: 'school', kind: 'committee', contactPhone: '0755-88886666' }]);

    const m1 = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const t1 = await startTransfer(tree.tokens.sec1, { memberId: m1, toOrgId: tree.ids.branch3 });
    await new Promise((r) => setTimeout(r, 3500)); // release reminded, overdue, escalated
    await decide(t1, tree.tokens.city1, { action: 'extend', until: new Date(Date.now() + 3_600_000).toISOString(), reason: 'exams' });
    await decide(t1, tree.tokens.sec1, { action: 'approve' });
    await decide(t1, tree.tokens.sec3, { action: 'approve' });
    await saveTransfer('transfer-overdue-extended-completed', m1);

    const m2 = await activeMember(sys.app, tree.ids.branch3, tree.tokens.sec3);
    const t2 = await startTransfer(tree.tokens.sec3, { memberId: m2, toOrgId: tree.ids.school1 });
    await decide(t2, tree.tokens.sec3, { action: 'approve' });
    await decide(t2, tree.tokens.school1, { action: 'approve' });
    await decide(t2, tree.tokens.school1, { action: 'place', branchId: tree.ids.branch2 });
    await saveTransfer('transfer-placed', m2);

    const m3 = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const t3 = await startTransfer(tree.tokens.sec1, { memberId: m3, toOrgId: tree.ids.branch2 });
    await decide(t3, tree.tokens.sec1, { action: 'approve' });
    await decide(t3, tree.tokens.sec2, { action: 'reject', reason: 'unknown here' });
    await saveTransfer('transfer-rejected', m3);

    const uni = 'rec-uni';
    await importOrgs(sys.app, [{ id: uni, parentId: tree.ids.city2, name: 'university', kind: 'committee', contactPhone: '020-87654321' }]);
    const m4 = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const t4 = await startTransfer(tree.tokens.sec1, {
      memberId: m4,
      destination: { situation: 'study', unitName: 'U', unitOrgId: uni, destinationBranchId: `${uni}-fresh`, locationOrgId: tree.ids.county2 },
    });
    await decide(t4, tree.tokens.sec1, { action: 'approve' });
    await importOrgs(sys.app, [{ id: `${uni}-fresh`, parentId: uni, name: 'freshmen', kind: 'branch', contactPhone: '020-87650000' }]);
    await new Promise((r) => setTimeout(r, 1500));
    await decide(t4, await actorToken(sys.app, 'branch_secretary', `${uni}-fresh`), { action: 'approve' });
    await saveTransfer('transfer-freshman-woken', m4);

    const m5 = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const t5 = await startTransfer(tree.tokens.sec1, { memberId: m5, toProvince: { province: 'hn', branchId: 'hn-b1' } });
    await decide(t5, tree.tokens.sec1, { action: 'approve' });
    await hn.waitFor((r) => r.path === PEER_PATHS.releaseConfirmed(t5));
    await hn.send(PEER_PATHS.arrivalConfirmed(t5), { transferId: t5, branchId: 'hn-b1', arrivedAt: new Date().toISOString() });
    await saveTransfer('transfer-outbound-completed', m5);

    const p6 = profile();
    const transferId = randomUUID();
    const announced = await hn.send(PEER_PATHS.announce, {
      transferId,
      fromProvince: 'hn',
      toBranchId: tree.ids.branch1,
      member: { name: p6.name, idNumber: p6.idNumber, joinDate: p6.joinDate },
    });
    const m6 = (await sys.db.selectFrom('processes').select('member_id').where('id', '=', announced.body.processId).executeTakeFirstOrThrow()).member_id!;
    await new Promise((r) => setTimeout(r, 500));
    const checkInRow = await sys.db.selectFrom('processes').select('id').where('member_id', '=', m6).where('kind', '=', 'check-in').executeTakeFirstOrThrow();
    await decide(checkInRow.id, tree.tokens.sec1, { action: 'approve' });
    await hn.send(PEER_PATHS.releaseConfirmed(transferId), { transferId, releasedAt: new Date().toISOString() });
    await saveTransfer('transfer-inbound-completed', m6);
  }

  if (wanted('discipline')) {
    // Disciplinary cases (R18): the full path with the spot check, probation restored, a removal case resolved.
    const saveCase = (name: string, mid: string) => saveWorkflow(name, `discipline-${mid}`);
    const openCase = async (mid: string, grounds: string) => {
      const r = await call(sys.app, 'POST', '/api/discipline', tree.tokens.sec1, { memberId: mid, grounds, details: 'recorded' });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      return r.body.processId as string;
    };
    const toDecision = async (id: string, sanction: string, extra: object = {}) => {
      await decide(id, tree.tokens.sec1, { action: 'approve' });
      await call(sys.app, 'POST', `/api/discipline/${id}/talk`, tree.tokens.sec1, { heldOn: '2026-11-01', summary: 'talked' });
      const m = await sys.app.inject({
        method: 'POST',
        url: `/api/discipline/${id}/materials`,
        headers: { authorization: `Bearer ${tree.tokens.sec1}`, 'content-type': 'application/pdf', 'x-filename': 'm.pdf' },
        payload: Buffer.from(`minutes ${id}`),
      });
      await call(sys.app, 'POST', `/api/discipline/${id}/decision`, tree.tokens.sec1, {
        heldOn: '2026-11-05',
        sanction,
        materialIds: [m.json().id],
        summary: 'decided',
        ...extra,
      });
    };
    const d1 = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const c1 = await openCase(d1, 'misconduct');
    await toDecision(c1, 'warning');
    await decide(c1, tree.tokens.school1, { action: 'approve' });
    await decide(c1, tree.tokens.province, { action: 'return', reason: 'unsigned', toStep: 'meeting' });
    const m1b = await sys.app.inject({
      method: 'POST',
      url: `/api/discipline/${c1}/materials`,
      headers: { authorization: `Bearer ${tree.tokens.sec1}`, 'content-type': 'application/pdf', 'x-filename': 'm2.pdf' },
      payload: Buffer.from('signed minutes'),
    });
    await call(sys.app, 'POST', `/api/discipline/${c1}/decision`, tree.tokens.sec1, {
      heldOn: '2026-11-06',
      sanction: 'warning',
      materialIds: [m1b.json().id],
      summary: 'signed',
    });
    await decide(c1, tree.tokens.school1, { action: 'approve' });
    await decide(c1, tree.tokens.province, { action: 'approve' });
    await saveCase('discipline-spot-check-returned-warning', d1);

    const d2 = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const c2 = await openCase(d2, 'misconduct');
    await toDecision(c2, 'probation', { probationMonths: 6 });
    await decide(c2, tree.tokens.school1, { action: 'approve' });
    await decide(c2, tree.tokens.province, { action: 'approve' });
    for (
      let i = 0;
      i < 100 && (await sys.db.selectFrom('processes').select('step').where('id', '=', c2).executeTakeFirstOrThrow()).step !== 'probation-review';
      i++
    )
      await new Promise((r) => setTimeout(r, 100));
    await decide(c2, tree.tokens.sec1, { action: 'approve' });
    await saveCase('discipline-probation-restored', d2);

    const d3 = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const c3 = await openCase(d3, 'unpaid-dues');
    const now = new Date();
    for (let i = 1; i <= 6; i++) {
      await sys.db
        .insertInto('dues_payments')
        .values({
          member_id: d3,
          month: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1)).toISOString().slice(0, 10),
          amount_cents: 20,
          recorded_by: 'recorder',
        })
        .execute();
    }
    await decide(c3, tree.tokens.sec1, { action: 'resolve' });
    await saveCase('discipline-resolved', d3);
  }

  if (wanted('deletion')) {
    // Deletions (R14-R16): approved by the province; returned by the city, refiled, rejected by the province.
    const saveDeletion = (name: string, mid: string) => saveWorkflow(name, `deletion-${mid}`);
    const apply = async (mid: string) => {
      const r = await call(sys.app, 'POST', '/api/deletions', tree.tokens.sec1, { memberId: mid, category: 'left', reason: 'moved abroad for good' });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      return r.body.processId as string;
    };
    const x1 = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const e1 = await apply(x1);
    await decide(e1, tree.tokens.city1, { action: 'approve' });
    await decide(e1, tree.tokens.province, { action: 'approve' });
    await saveDeletion('deletion-approved', x1);

    const x2 = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const e2 = await apply(x2);
    await decide(e2, tree.tokens.city1, { action: 'return', reason: 'attach the explanation' });
    await decide(e2, tree.tokens.sec1, { action: 'approve' });
    await decide(e2, tree.tokens.city1, { action: 'approve' });
    await decide(e2, tree.tokens.province, { action: 'reject', reason: 'still a member' });
    await saveDeletion('deletion-returned-refiled-rejected', x2);
  }

  if (wanted('member-change') || wanted('join-date')) {
    // Reviewed changes of member data (R5) and join-date corrections (R7): every outcome, an overdue review
    // extended, and a first write the database refuses (the member is not active).
    const saveMemberData = saveWorkflow;
    const withToken = async () => {
      const id = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1, { politicalStatus: '共青团员' });
      const token = (await call(sys.app, 'POST', '/api/actors', 'test-admin-token-0123456789abcdef', { role: 'member', memberId: id, label: 'm' })).body.token;
      return { id, token: token as string };
    };
    const started = (r: { status: number; body: { processId?: string } }) => {
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      return r.body.processId!;
    };
    if (wanted('member-change')) {
      const askChange = (m: { id: string; token: string }) =>
        call(sys.app, 'POST', `/api/members/${m.id}/changes`, m.token, { politicalStatus: '中共预备党员' });
      const a = await withToken();
      await decide(started(await askChange(a)), tree.tokens.sec1, { action: 'approve' });
      await saveMemberData('member-change-approved', `member-change-${a.id}`);
      const b = await withToken();
      await decide(started(await askChange(b)), tree.tokens.sec1, { action: 'return', reason: 'attach the proof' });
      await saveMemberData('member-change-returned', `member-change-${b.id}`);
      const c = await withToken();
      await decide(started(await askChange(c)), c.token, { action: 'withdraw' });
      await saveMemberData('member-change-withdrawn', `member-change-${c.id}`);
      const d = await withToken();
      const dp = started(await askChange(d));
      await new Promise((r) => setTimeout(r, 4500)); // reminders, overdue, escalations
      await decide(dp, tree.tokens.school1, { action: 'extend', until: new Date(Date.now() + 3_600_000).toISOString(), reason: 'exams' });
      await decide(dp, tree.tokens.sec1, { action: 'approve' });
      await saveMemberData('member-change-overdue-extended-approved', `member-change-${d.id}`);
      // The member's check-in is not approved: the first write is refused, the workflow ends rejected.
      const pending = (await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec1, { branchId: tree.ids.branch1, profile: profile() })).body
        .memberId as string;
      const branch = await sys.db.selectFrom('organizations').selectAll().where('id', '=', tree.ids.branch1).executeTakeFirstOrThrow();
      await sys.env.client.workflow.start(memberChange, {
        workflowId: `member-change-${pending}`,
        taskQueue: sys.config.taskQueue,
        args: [
          {
            processId: randomUUID(),
            memberId: pending,
            branch: { id: branch.id, path: branch.path, parentId: branch.parent_id, kind: branch.kind },
            requestedBy: 'recorder',
            fields: { isCadre: true },
            previous: { isCadre: null },
            timing: sys.config.timing.memberChange,
          },
        ],
      });
      await saveMemberData('member-change-rejected-rule', `member-change-${pending}`);
    }
    if (wanted('join-date')) {
      const askJoinDate = (m: { id: string }, token: string, body: object) => call(sys.app, 'POST', `/api/members/${m.id}/join-date`, token, body);
      const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
      await sys.app.inject({
        method: 'PUT',
        url: '/api/join-date-window',
        headers: { authorization: `Bearer ${tree.tokens.province}` },
        payload: { opensOn: today, closesOn: today },
      });
      const e = await withToken();
      await decide(started(await askJoinDate(e, e.token, { joinDate: '2016-09-01' })), tree.tokens.sec1, { action: 'approve' });
      await saveMemberData('join-date-window-approved', `join-date-${e.id}`);
      const f = await withToken();
      await decide(started(await askJoinDate(f, f.token, { joinDate: '2016-09-01' })), f.token, { action: 'withdraw' });
      await saveMemberData('join-date-window-withdrawn', `join-date-${f.id}`);
      await sys.app.inject({ method: 'DELETE', url: '/api/join-date-window', headers: { authorization: `Bearer ${tree.tokens.province}` } });
      const g = await withToken();
      await decide(started(await askJoinDate(g, tree.tokens.city1, { joinDate: '2016-03-01', reason: 'records' })), tree.tokens.province, {
        action: 'approve',
      });
      await saveMemberData('join-date-formal-approved', `join-date-${g.id}`);
      const h = await withToken();
      await decide(started(await askJoinDate(h, tree.tokens.city1, { joinDate: '2016-03-01', reason: 'records' })), tree.tokens.province, {
        action: 'reject',
        reason: 'no evidence',
      });
      await saveMemberData('join-date-formal-rejected', `join-date-${h.id}`);
    }
  }

  if (wanted('age-out') || wanted('health-check')) {
    // The scheduled sweeps (R19 age-out, R21 health), kept to this tree: a member who turns 28 today leaves by age, one
    // who turns 28 within the notice is told to the branch; the tree's problems are notified to the committees above.
    const root = await sys.db.selectFrom('organizations').select('path').where('id', '=', tree.ids.province).executeTakeFirstOrThrow();
    const { taskQueue } = sys.config;
    if (wanted('age-out')) {
      const shanghai = (days: number) => new Date(Date.now() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
      const birthday = (days: number) => `${Number(shanghai(days).slice(0, 4)) - 28}${shanghai(days).slice(4)}`;
      await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1, { idNumber: idNumber(birthday(0)) });
      await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1, { idNumber: idNumber(birthday(10)) });
      const workflowId = `age-out-sweep-${randomUUID()}`;
      await sys.env.client.workflow.start(ageOutSweep, { workflowId, taskQueue, args: [{ noticeMs: sys.config.ageOut.noticeMs, orgPath: root.path }] });
      await saveWorkflow('age-out-sweep', workflowId);
    }
    if (wanted('health-check')) {
      const workflowId = `health-check-${randomUUID()}`;
      await sys.env.client.workflow.start(healthCheck, { workflowId, taskQueue, args: [{ orgPath: root.path, pageSize: 3 }] });
      await saveWorkflow('health-check', workflowId);
    }
  }

  if (wanted('r25')) {
    // R25: a case open when its member is deleted ends void on the member-left signal; a deletion whose member was
    // expelled meanwhile, decided past the API's check (as a race would), ends void with `process.voided`.
    const left = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    await caseAtApproval(sys, tree, left, 'warning');
    const deletion = async (mid: string) => {
      const r = await call(sys.app, 'POST', '/api/deletions', tree.tokens.sec1, { memberId: mid, category: 'left', reason: 'moved abroad for good' });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      await decide(r.body.processId, tree.tokens.city1, { action: 'approve' });
      return r.body.processId as string;
    };
    await deletion(left);
    await decide(
      (await sys.db.selectFrom('processes').select('id').where('member_id', '=', left).where('kind', '=', 'deletion').executeTakeFirstOrThrow()).id,
      tree.tokens.province,
      { action: 'approve' },
    );
    await saveWorkflow('discipline-member-left', `discipline-${left}`);

    const expelled = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const d = await deletion(expelled);
    await sys.db
      .transaction()
      .execute((tx) => transitionMember(tx, { memberId: expelled, effect: 'sanction.expel', sanction: 'expulsion', processId: null, now: new Date() }));
    const row = await sys.db.selectFrom('processes').select(['workflow_id', 'step']).where('id', '=', d).executeTakeFirstOrThrow();
    await sys.env.client.workflow
      .getHandle(row.workflow_id)
      .executeUpdate(decideUpdate, { args: [{ action: 'approve', actorId: 'recorder', actorRole: 'province_admin', step: row.step }] });
    await saveWorkflow('deletion-voided', row.workflow_id);

    // R18: at the end of probation the branch proposes an expulsion; the configured approver (here the school) approves.
    const onProbation = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const c = await caseAtApproval(sys, tree, onProbation, 'probation', { probationMonths: 6 });
    await decide(c, tree.tokens.school1, { action: 'approve' });
    await decide(c, tree.tokens.province, { action: 'approve' });
    await waitForStep(sys.db, c, 'probation-review');
    await decide(c, tree.tokens.sec1, { action: 'expel', reason: 'no improvement during probation' });
    await waitForStep(sys.db, c, 'approval');
    await decide(c, tree.tokens.school1, { action: 'approve' });
    await saveWorkflow('discipline-probation-expelled', `discipline-${onProbation}`);
  }

  if (wanted('calendar')) {
    // Deadlines on the offices' calendar. A check-in whose ten days are natural days (the deadline is 24:00 Shanghai
    // of the tenth day), approved; a probation of 6 calendar months, ended by the member's deletion (member-left).
    const DAY = 86_400_000;
    const { memberId, processId } = await startCheckInDirectly({
      profile: profile(),
      timing: { deadlineMs: 10 * DAY, naturalDays: true, reminderOffsetsMs: [3 * DAY, DAY], escalationIntervalMs: DAY },
    });
    await waitForStep(sys.db, processId, 'branch-review');
    await decide(processId, tree.tokens.sec1, { action: 'approve' });
    await save('check-in-natural-days-approved', memberId);

    const monthMs = sys.config.timing.discipline.probationMonthMs;
    sys.config.timing.discipline.probationMonthMs = 30 * DAY;
    try {
      const onProbation = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
      const c = await caseAtApproval(sys, tree, onProbation, 'probation', { probationMonths: 6 });
      await decide(c, tree.tokens.school1, { action: 'approve' });
      await decide(c, tree.tokens.province, { action: 'approve' });
      await waitForStep(sys.db, c, 'probation');
      const r = await call(sys.app, 'POST', '/api/deletions', tree.tokens.sec1, { memberId: onProbation, category: 'left', reason: 'moved abroad for good' });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      await decide(r.body.processId, tree.tokens.city1, { action: 'approve' });
      await waitForStep(sys.db, r.body.processId, 'province-review');
      await decide(r.body.processId, tree.tokens.province, { action: 'approve' });
      await saveWorkflow('discipline-probation-calendar-months-member-left', `discipline-${onProbation}`);
    } finally {
      sys.config.timing.discipline.probationMonthMs = monthMs;
    }
  }

  if (wanted('invariant-check')) {
    const root = await sys.db.selectFrom('organizations').select('path').where('id', '=', tree.ids.province).executeTakeFirstOrThrow();
    const workflowId = `invariant-check-${randomUUID()}`;
    await sys.env.client.workflow.start(invariantCheck, { workflowId, taskQueue: sys.config.taskQueue, args: [{ orgPath: root.path, pageSize: 2 }] });
    await saveWorkflow('invariant-check', workflowId);
  }

  await sys.stop();
  await hn.close();
} finally {
  await temporal.stop();
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** Waits until the process's read-model row is at `step` (the workflow wrote it). */
async function waitForStep(db: Db, processId: string, step: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const row = await db.selectFrom('processes').select('step').where('id', '=', processId).executeTakeFirst();
    if (row?.step === step) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`process ${processId} did not reach ${step}`);
}
