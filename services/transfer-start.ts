// Starting a transfer (R9-R12), for the API's start, a graduates' roster and another province's announcement
// (R10): who may start it and where it goes (the plan), then the start itself, at most once per key.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Db } from '../db';
import { isAllowed, type Principal } from '../domain/authz';
import type { Config } from '../domain/config';
import { DomainError } from '../domain/errors';
import { Profile, lockedFieldProblems, profileRuleProblems } from '../domain/members';
import { checkInAdmission, isRefusal, type CheckInContext } from '../domain/member-status';
import { checkInContext } from '../db/queries/check-in';
import type { OrgRef } from '../domain/orgs';
import type { PeerAnnounce } from '../domain/peer-protocol';
import type { TransferInput, TransferStart } from '../domain/transfers';
import { transferProcess } from '../processes/transfer';
import { ProcessAlreadyOpen, startProcess } from '../temporal/start-process';
import { ORG_COLUMNS, Orgs, ref, requireContactPhone, routeFor, type OrgRow } from './transfers';
import { stepDeadline } from '../domain/calendar';

interface StartDeps {
  db: Db;
  client: Client;
  config: Config;
}

export interface StartResult {
  processId: string;
  memberId: string;
  created: boolean;
  step: string;
  deadline: string | null;
  route?: { case: string; reason: string };
}

export interface Plan {
  memberId: string;
  firstOrg: OrgRef;
  firstDeadlineMs: number;
  input: (processId: string) => TransferInput;
  route?: { case: string; reason: string };
}

/**
 * Starts the transfer a plan describes, at most once per key: the key names the process id before the
 * workflow starts, so a retry (an interrupted roster, a peer's repeated announcement) finds it again.
 */
/**
 * `awaitRecorded: false` (a roster's rows): answer once Temporal has accepted the start (durable), without
 * waiting for the worker to record it; the read model follows as the worker catches up.
 */
async function launch({ db, client, config }: StartDeps, plan: Plan, key: string | null, opts: { awaitRecorded?: boolean } = {}): Promise<StartResult> {
  let processId: string = randomUUID();
  if (key) {
    const fresh = await db
      .insertInto('transfer_keys')
      .values({ key, process_id: processId, member_id: plan.memberId })
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('process_id')
      .executeTakeFirst();
    if (!fresh) {
      // Seen before: the process it named, if that start got through.
      const k = await db.selectFrom('transfer_keys').select('process_id').where('key', '=', key).executeTakeFirstOrThrow();
      processId = k.process_id;
      const row = await db.selectFrom('processes').select(['step', 'deadline']).where('id', '=', processId).executeTakeFirst();
      if (row)
        return {
          processId,
          memberId: plan.memberId,
          created: false,
          step: row.step,
          deadline: row.deadline === null ? null : new Date(row.deadline).toISOString(),
          route: plan.route,
        };
    }
  }
  const input = plan.input(processId);
  const deadline = new Date(stepDeadline({ deadlineMs: plan.firstDeadlineMs }, Date.now()));
  const start = {
    process: transferProcess,
    memberId: plan.memberId,
    input,
    org: plan.firstOrg,
    deadline,
    // Names the process without a worker (describe), for a retried start that finds the workflow running.
    memo: { processId },
  };
  const firstStep = input.direction === 'inbound' ? 'arrival-check-in' : 'release';
  try {
    // R9: at most one open transfer per member, enforced by the workflow ID.
    if (opts.awaitRecorded === false) {
      await startProcess({ client, config }, { ...start, wait: false });
      return { processId, memberId: plan.memberId, created: true, step: firstStep, deadline: deadline.toISOString(), route: plan.route };
    }
    const r = await startProcess({ client, config }, start);
    return { processId, memberId: plan.memberId, created: true, step: r.step, deadline: r.deadline, route: plan.route };
  } catch (e) {
    if (e instanceof ProcessAlreadyOpen) {
      // Ours, started by an attempt that was interrupted before it answered?
      const open = await client.workflow
        .getHandle(e.workflowId)
        .describe()
        .catch(() => undefined);
      if (open?.memo?.processId === processId)
        return { processId, memberId: plan.memberId, created: false, step: firstStep, deadline: deadline.toISOString(), route: plan.route };
    }
    throw e;
  }
}

/** R9: plans a transfer of an active member of this province, checking who may start it and where it goes. */
async function planTransfer(
  { db, config }: StartDeps,
  p: Principal,
  body: TransferStart,
  orgs: Orgs,
  opts: { senderAuthorized?: (fromPath: string) => boolean } = {},
): Promise<Plan> {
  const member = await db.selectFrom('members').select(['id', 'status', 'branch_id']).where('id', '=', body.memberId).executeTakeFirst();
  if (!member) throw DomainError.notFound('member not found');
  const from = await orgs.get(member.branch_id ?? undefined);
  // A roster's sender was authorized for the sending side already (R12: the school files its graduates).
  const mayFrom = !!from && (opts.senderAuthorized?.(from.path) === true || isAllowed(p, 'transfer.start-from', { orgPath: from.path, memberId: member.id }));
  // Who may see the member at all learns why a transfer is refused; others learn nothing about the member.
  const maySee = mayFrom || (!!from && isAllowed(p, 'member.read', { orgPath: from.path, memberId: member.id }));
  if (member.status === 'pending' && (maySee || p.role !== 'member'))
    throw DomainError.conflict("the member's check-in is still pending review; transfer after it is approved", 'R9');
  if (member.status !== 'active' || !from)
    throw DomainError.rule('R9', `only active members can be transferred (this member is ${member.status})`, [
      { field: 'body.memberId', message: `member is ${member.status}`, rule: 'R9' },
    ]);

  let to: OrgRow | undefined;
  let awaitOrg: { id: string; parent: OrgRow } | undefined;
  let route: { case: string; reason: string } | undefined;
  let peer: TransferInput['peer'];
  if (body.toOrgId) {
    to = await orgs.get(body.toOrgId);
    if (!to) throw DomainError.rule('R9', 'no such receiving organization', [{ field: 'body.toOrgId', message: 'unknown organization', rule: 'R9' }]);
  } else if (body.destination) {
    const r = await routeFor(orgs, body.destination);
    route = { case: r.case, reason: r.reason };
    if (r.outcome === 'stay' || r.outcome === 'none') throw DomainError.rule('R11', r.reason, [{ field: 'body.destination', message: r.reason, rule: 'R11' }]);
    if (r.outcome === 'org') to = await orgs.get(r.orgId);
    else awaitOrg = { id: r.awaitOrgId, parent: (await orgs.get(r.parentOrgId))! };
  } else {
    const t = body.toProvince!;
    if (t.province === config.province)
      throw DomainError.rule('R10', 'this is this province: use toOrgId', [{ field: 'body.toProvince.province', message: 'own province', rule: 'R10' }]);
    if (!config.peers.has(t.province))
      throw DomainError.rule('R10', `no system is configured for province ${t.province}`, [
        { field: 'body.toProvince.province', message: 'unknown province', rule: 'R10' },
      ]);
  }
  const receiving = to ?? awaitOrg?.parent;
  const mayTo = !!receiving && isAllowed(p, 'transfer.start-to', { orgPath: receiving.path });
  if (!mayFrom && !mayTo) throw DomainError.forbidden('a transfer is started by the member, the sending branch or an admin of the receiving organization');
  if (to && to.id === from.id)
    throw DomainError.rule('R9', 'the member already belongs to this branch', [{ field: 'body.toOrgId', message: 'same branch', rule: 'R9' }]);
  if (to) await requireContactPhone(db, to, body.toOrgId ? 'body.toOrgId' : 'body.destination');
  const cohort = from.special_kind === 'graduate' && from.graduation_date ? Number(from.graduation_date.slice(0, 4)) : null;
  const timing = config.timing.transfer;
  return {
    memberId: member.id,
    firstOrg: ref(from),
    firstDeadlineMs: timing.release.deadlineMs,
    route,
    input: (processId) => {
      if (body.toProvince) peer = { province: body.toProvince.province, transferId: processId, branchId: body.toProvince.branchId };
      return {
        processId,
        memberId: member.id,
        direction: body.toProvince ? 'outbound' : 'internal',
        startedBy: p.actorId,
        ...(body.reason ? { reason: body.reason } : {}),
        from: ref(from),
        to: to ? ref(to) : null,
        ...(awaitOrg ? { awaitOrg: { id: awaitOrg.id, parent: ref(awaitOrg.parent) } } : {}),
        ...(route ? { route } : {}),
        ...(peer ? { peer } : {}),
        graduateCohort: cohort,
        timing,
        checkInTiming: config.timing.checkIn,
      };
    },
  };
}

/**
 * R10: the announce admits as a check-in does (domain/member-status.ts): a member who may not rejoin (expelled,
 * removed, on probation, a final deletion) and a returning member whose R4 fields differ are refused here, 422
 * naming the rule and the `body.member.*` field, before anything starts (not a 202 and a later bare "rejected").
 */
function inboundAdmission(
  member: Profile,
  existing: { status: string; name: string; id_number: string; join_date: string; development_number: string | null } | undefined,
  context: CheckInContext,
): void {
  const admission = checkInAdmission(existing?.status, context);
  if (isRefusal(admission)) {
    if (admission.kind === 'conflict') throw DomainError.conflict(admission.message, admission.rule);
    throw DomainError.rule(admission.rule, admission.message, [
      { field: 'body.member.idNumber', message: `the member is ${existing?.status ?? 'unknown'} here`, rule: admission.rule },
    ]);
  }
  if (admission === 'again') {
    // R4: a returning member keeps the four locked fields; the announced values would be dropped silently.
    const locked = lockedFieldProblems(member, existing!).map((x) => ({ ...x, field: x.field.replace(/^body\.profile\./, 'body.member.') }));
    if (locked.length > 0) throw DomainError.rule('R4', locked.map((x) => x.message).join('; '), locked);
  }
}

/** R10 inbound: the other province announced a member; the receiving branch reviews a check-in. */
async function planInbound({ db, config }: StartDeps, province: string, m: PeerAnnounce): Promise<Plan> {
  const profile = Profile.safeParse(m.member);
  if (!profile.success) {
    const fields = profile.error.issues.map((i) => ({ field: ['body', 'member', ...i.path.map(String)].join('.'), message: i.message }));
    throw new DomainError({ kind: 'invalid', message: 'invalid member data', fields });
  }
  // R10: the member checks in here as anyone does, under the same rules (R19: age at the join date, development
  // number). Refused before anything is written or started: the protocol's rejection of an announcement is this
  // 422 naming the rule (final for the sender, recorded on its transfer); a "rejected" message may only follow
  // an announcement answered 202, and would need a transfer here to send it from.
  const problems = profileRuleProblems(profile.data, new Date());
  if (problems.length > 0) {
    const fields = problems.map((x) => ({ ...x, field: `body.member.${x.field.replace(/^(body\.)?profile\./, '')}` }));
    throw DomainError.rule(problems[0]!.rule ?? 'R19', problems.map((x) => x.message).join('; '), fields);
  }
  const branch = await db.selectFrom('organizations').select(ORG_COLUMNS).where('id', '=', m.toBranchId).executeTakeFirst();
  if (!branch) throw DomainError.notFound('no such receiving branch');
  if (branch.kind !== 'branch')
    throw DomainError.rule('R10', 'members check in to a branch', [{ field: 'body.toBranchId', message: `${branch.id} is a ${branch.kind}`, rule: 'R10' }]);
  await requireContactPhone(db, branch, 'body.toBranchId');
  const existing = await db.selectFrom('members').selectAll().where('id_number', '=', profile.data.idNumber).executeTakeFirst();
  if (existing && (existing.status === 'active' || existing.status === 'pending'))
    throw DomainError.conflict('this person is already a member (or checking in) here', 'R10');
  inboundAdmission(profile.data, existing, existing ? await checkInContext(db, existing) : {});
  const memberId = existing?.id ?? randomUUID();
  return {
    memberId,
    firstOrg: ref(branch),
    firstDeadlineMs: config.timing.checkIn.deadlineMs,
    input: (processId) => ({
      processId,
      memberId,
      direction: 'inbound',
      startedBy: `peer:${province}`,
      ...(m.reason ? { reason: m.reason } : {}),
      from: null,
      to: ref(branch),
      peer: { province, transferId: m.transferId, branchId: branch.id },
      profile: profile.data,
      graduateCohort: null,
      timing: config.timing.transfer,
      checkInTiming: config.timing.checkIn,
    }),
  };
}

/** Plans and starts transfers; `orgs()` is a request's cache of organizations, shared by its plans. */
export function transferStarter(deps: StartDeps) {
  return {
    launch: (plan: Plan, key: string | null, opts: { awaitRecorded?: boolean } = {}) => launch(deps, plan, key, opts),
    plan: (p: Principal, body: TransferStart, orgs: Orgs, opts: { senderAuthorized?: (fromPath: string) => boolean } = {}) =>
      planTransfer(deps, p, body, orgs, opts),
    planInbound: (province: string, m: PeerAnnounce) => planInbound(deps, province, m),
    orgs: () => new Orgs(deps.db),
  };
}

export type TransferStarter = ReturnType<typeof transferStarter>;
