// Transfers (R9-R13): route preview, start, graduates' roster, graduate statistics, data problems, and the
// endpoints the other provinces' systems call (R10), signed with HMAC.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { sql } from 'kysely';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type WorkflowStartOptions } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { AppDeps } from './app';
import { problemBody } from './app';
import { authorize, isAllowed, type Principal } from '../domain/authz';
import { DomainError, HTTP_STATUS, type FieldProblem } from '../domain/errors';
import { maskIdNumber } from '../domain/identifiers';
import { Profile, profileRuleProblems } from '../domain/members';
import { OrgId, pathIds } from '../domain/orgs';
import { Destination, routeMember, type OrgFact, type Route } from '../domain/routing';
import { TransferStart, transferWorkflowId, type TransferInput } from '../domain/transfers';
import type { OrgRef } from '../domain/orgs';
import { graduateBaseAt, parseRoster, targetInForce } from '../domain/graduates';
import { SA } from '../domain/search-attributes';
import { mapLimit } from '../domain/concurrency';
import {
  PEER_HEADERS,
  PeerAccepted,
  PeerAnnounce,
  PeerAnnounceAccepted,
  PeerArrivalConfirmed,
  PeerRejected,
  PeerReleaseConfirmed,
  verify,
} from '../domain/peer-protocol';
import type { DecisionBody, DecisionCommand } from '../domain/processes';
import { likePrefix, type Db } from '../db';
import type { Organization, ProcessRow } from '../db/schema';
import { MISSING_PHONE, reportDataProblem } from '../activities/data-problems';
import { orgChangedSignal, peerSignal, transfer, transferRecordedUpdate } from '../workflows/transfer';
import { errorResponses, iso, notFound } from './schemas';
import { requestHash } from './idempotency';
import { toDomainError } from './temporal-errors';
import { csvCellProblems } from './validation';

type OrgRow = Pick<Organization, 'id' | 'path' | 'parent_id' | 'kind' | 'special_kind' | 'contact_phone' | 'graduation_date'>;

const ORG_COLUMNS = ['id', 'path', 'parent_id', 'kind', 'special_kind', 'contact_phone', 'graduation_date'] as const;

/** Organizations looked up once per request (a roster names the same few many times). */
class Orgs {
  #cache = new Map<string, Promise<OrgRow | undefined>>();
  constructor(private readonly db: Db) {}
  get(id: string | undefined): Promise<OrgRow | undefined> {
    if (!id) return Promise.resolve(undefined);
    let p = this.#cache.get(id);
    if (!p) {
      p = this.db.selectFrom('organizations').select(ORG_COLUMNS).where('id', '=', id).executeTakeFirst();
      this.#cache.set(id, p);
    }
    return p;
  }
  /** The floating-member branch directly under a township / subdistrict committee. */
  floatingUnder(parentId: string): Promise<OrgRow | undefined> {
    return this.db.selectFrom('organizations').select(ORG_COLUMNS).where('parent_id', '=', parentId).where('special_kind', '=', 'floating').orderBy('id').executeTakeFirst();
  }
  /** The nearest temporary branch for new civil servants: under an agencies committee of the location or a level above. */
  async civilServantNear(location: OrgRow): Promise<OrgRow | undefined> {
    const ancestors = pathIds(location.path);
    const candidates = await this.db
      .selectFrom('organizations')
      .select(ORG_COLUMNS)
      .where('special_kind', '=', 'temporary_civil_servant')
      .where('path', 'like', likePrefix(`${ancestors[0]}/`))
      .execute();
    // The deepest ancestor that holds one wins (county before city before province).
    let best: { row: OrgRow; depth: number } | undefined;
    for (const row of candidates) {
      const ids = pathIds(row.path);
      let shared = 0;
      while (shared < ids.length && ids[shared] === ancestors[shared]) shared++;
      if (!best || shared > best.depth) best = { row, depth: shared };
    }
    return best?.row;
  }
}

function fact(o: OrgRow | undefined): OrgFact | null {
  return o ? { id: o.id, parentId: o.parent_id, kind: o.kind, specialKind: o.special_kind, hasContactPhone: !!o.contact_phone } : null;
}

function ref(o: OrgRow): OrgRef {
  return { id: o.id, path: o.path, parentId: o.parent_id, kind: o.kind };
}

/** R11: resolves the destination's facts from the tree and applies the routing rule. */
async function routeFor(orgs: Orgs, d: Destination): Promise<Route> {
  const location = await orgs.get(d.locationOrgId);
  if (!location) throw DomainError.rule('R11', 'no such township or subdistrict committee', [{ field: 'destination.locationOrgId', message: 'unknown organization', rule: 'R11' }]);
  const [unitOrg, destinationBranch, communityBranch, floatingBranch, civilServantBranch] = await Promise.all([
    d.unitOrgId ? orgs.get(d.unitOrgId) : undefined,
    d.destinationBranchId ? orgs.get(d.destinationBranchId) : undefined,
    d.communityBranchId ? orgs.get(d.communityBranchId) : undefined,
    orgs.floatingUnder(location.id),
    d.newCivilServant ? orgs.civilServantNear(location) : undefined,
  ]);
  return routeMember({
    destination: d,
    ...(d.unitOrgId ? { unitOrg: fact(unitOrg) } : {}),
    ...(d.destinationBranchId ? { destinationBranch: fact(destinationBranch) } : {}),
    ...(d.communityBranchId ? { communityBranch: fact(communityBranch) } : {}),
    floatingBranch: fact(floatingBranch),
    ...(d.newCivilServant ? { civilServantBranch: fact(civilServantBranch) } : {}),
  });
}

/** R13: a receiving organization without a contact phone blocks the transfer, and is reported to the levels above. */
async function requireContactPhone(db: Db, org: OrgRow, field: string): Promise<void> {
  if (org.contact_phone) return;
  await reportDataProblem(db, { orgId: org.id, ...MISSING_PHONE, message: 'a transfer into this organization was refused: it has no contact phone' });
  throw DomainError.rule('R13', `the receiving organization ${org.id} has no contact phone; it cannot receive transfers until one is entered`, [
    { field, message: 'no contact phone', rule: 'R13' },
  ]);
}

export interface StartResult {
  processId: string;
  memberId: string;
  created: boolean;
  step: string;
  deadline: string | null;
  route?: { case: string; reason: string };
}

interface Plan {
  memberId: string;
  firstOrg: OrgRef;
  firstDeadlineMs: number;
  input: (processId: string) => TransferInput;
  route?: { case: string; reason: string };
}

export function transferStarter({ db, client, config }: Pick<AppDeps, 'db' | 'client' | 'config'>) {
  /**
   * Starts the transfer a plan describes, at most once per key: the key names the process id before the
   * workflow starts, so a retry (an interrupted roster, a peer's repeated announcement) finds it again.
   */
  /**
   * `awaitRecorded: false` (a roster's rows): answer once Temporal has accepted the start (durable), without
   * waiting for the worker to record it; the read model follows as the worker catches up.
   */
  async function launch(plan: Plan, key: string | null, opts: { awaitRecorded?: boolean } = {}): Promise<StartResult> {
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
        if (row) return { processId, memberId: plan.memberId, created: false, step: row.step, deadline: iso(row.deadline), route: plan.route };
      }
    }
    const input = plan.input(processId);
    const workflowId = transferWorkflowId(plan.memberId);
    const deadline = new Date(Date.now() + plan.firstDeadlineMs);
    const options: WorkflowStartOptions<typeof transfer> & { workflowIdConflictPolicy: 'FAIL' } = {
      workflowId,
      taskQueue: config.taskQueue,
      args: [input],
      // Names the process without a worker (describe), for a retried start that finds the workflow running.
      memo: { processId },
      // R9: at most one open transfer per member, enforced by the workflow ID.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: SA.kind, value: 'transfer' },
        { key: SA.org, value: plan.firstOrg.id },
        { key: SA.orgPath, value: pathIds(plan.firstOrg.path) },
        { key: SA.status, value: 'pending' },
        { key: SA.deadline, value: deadline },
        { key: SA.overdue, value: false },
      ],
    };
    const firstStep = input.direction === 'inbound' ? 'arrival-check-in' : 'release';
    try {
      if (opts.awaitRecorded === false) {
        await client.workflow.start(transfer, options);
        return { processId, memberId: plan.memberId, created: true, step: firstStep, deadline: deadline.toISOString(), route: plan.route };
      }
      const r = await client.workflow.executeUpdateWithStart(transferRecordedUpdate, { startWorkflowOperation: new WithStartWorkflowOperation(transfer, options) });
      return { processId, memberId: plan.memberId, created: true, step: r.step, deadline: r.deadline, route: plan.route };
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) {
        // Ours, started by an attempt that was interrupted before it answered?
        const open = await client.workflow.getHandle(workflowId).describe().catch(() => undefined);
        if (open?.memo?.processId === processId) return { processId, memberId: plan.memberId, created: false, step: firstStep, deadline: deadline.toISOString(), route: plan.route };
        throw DomainError.conflict('a transfer is already open for this member', 'R9');
      }
      throw toDomainError(e, 'transfer');
    }
  }

  /** R9: plans a transfer of an active member of this province, checking who may start it and where it goes. */
  async function plan(p: Principal, body: TransferStart, orgs: Orgs, opts: { senderAuthorized?: (fromPath: string) => boolean } = {}): Promise<Plan> {
    const member = await db.selectFrom('members').select(['id', 'status', 'branch_id']).where('id', '=', body.memberId).executeTakeFirst();
    if (!member) throw DomainError.notFound('member not found');
    const from = await orgs.get(member.branch_id ?? undefined);
    // A roster's sender was authorized for the sending side already (R12: the school files its graduates).
    const mayFrom = !!from && (opts.senderAuthorized?.(from.path) === true || isAllowed(p, 'transfer.start-from', { orgPath: from.path, memberId: member.id }));
    // Who may see the member at all learns why a transfer is refused; others learn nothing about the member.
    const maySee = mayFrom || (!!from && isAllowed(p, 'member.read', { orgPath: from.path, memberId: member.id }));
    if (member.status === 'pending' && (maySee || p.role !== 'member')) throw DomainError.conflict("the member's check-in is still pending review; transfer after it is approved", 'R9');
    if (member.status !== 'active' || !from) throw DomainError.rule('R9', `only active members can be transferred (this member is ${member.status})`, [{ field: 'body.memberId', message: `member is ${member.status}`, rule: 'R9' }]);

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
      if (t.province === config.province) throw DomainError.rule('R10', 'this is this province: use toOrgId', [{ field: 'body.toProvince.province', message: 'own province', rule: 'R10' }]);
      if (!config.peers.has(t.province)) throw DomainError.rule('R10', `no system is configured for province ${t.province}`, [{ field: 'body.toProvince.province', message: 'unknown province', rule: 'R10' }]);
    }
    const receiving = to ?? awaitOrg?.parent;
    const mayTo = !!receiving && isAllowed(p, 'transfer.start-to', { orgPath: receiving.path });
    if (!mayFrom && !mayTo) throw DomainError.forbidden('a transfer is started by the member, the sending branch or an admin of the receiving organization');
    if (to && to.id === from.id) throw DomainError.rule('R9', 'the member already belongs to this branch', [{ field: 'body.toOrgId', message: 'same branch', rule: 'R9' }]);
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

  /** R10 inbound: the other province announced a member; the receiving branch reviews a check-in. */
  async function planInbound(province: string, m: PeerAnnounce): Promise<Plan> {
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
    if (branch.kind !== 'branch') throw DomainError.rule('R10', 'members check in to a branch', [{ field: 'body.toBranchId', message: `${branch.id} is a ${branch.kind}`, rule: 'R10' }]);
    await requireContactPhone(db, branch, 'body.toBranchId');
    const existing = await db.selectFrom('members').select(['id', 'status']).where('id_number', '=', profile.data.idNumber).executeTakeFirst();
    if (existing && (existing.status === 'active' || existing.status === 'pending')) throw DomainError.conflict('this person is already a member (or checking in) here', 'R10');
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

  return { launch, plan, planInbound, orgs: () => new Orgs(db) };
}

const StartResponse = z.object({
  processId: z.uuid(),
  memberId: z.uuid(),
  step: z.string(),
  deadline: z.string().nullable(),
  route: z.object({ case: z.string(), reason: z.string() }).optional(),
});

const RowResult = z.object({
  line: z.number(),
  idNumber: z.string().optional(),
  status: z.enum(['started', 'already-started', 'failed']),
  processId: z.string().optional(),
  route: z.string().optional(),
  error: z.object({ status: z.number(), message: z.string(), rule: z.string().optional(), fields: z.array(z.object({ field: z.string(), message: z.string(), rule: z.string().optional() })).optional() }).optional(),
});

function asProblem(e: unknown): { status: number; message: string; rule?: string; fields?: FieldProblem[] } {
  if (e instanceof DomainError) return { status: HTTP_STATUS[e.problem.kind], ...problemBody(e.problem) };
  throw e;
}

export function transferRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  const { db, config } = deps;
  const starter = transferStarter(deps);
  return async (app) => {
    app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 64 * 1024 * 1024 }, (_req, body, done) => done(null, body));

    app.post(
      '/transfers/route-preview',
      {
        schema: {
          summary: 'R11: where a member would go for this destination, and why, before a transfer starts',
          body: Destination,
          response: {
            200: z.object({
              outcome: z.enum(['org', 'wait', 'stay', 'none']),
              case: z.string(),
              reason: z.string(),
              orgId: z.string().optional(),
              awaitOrgId: z.string().optional(),
              problems: z.array(z.object({ rule: z.string(), message: z.string() })),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        if (req.principal.role === 'system') throw DomainError.forbidden('members, secretaries and admins preview routes');
        const orgs = starter.orgs();
        const r = await routeFor(orgs, req.body);
        const problems: { rule: string; message: string }[] = [];
        if (r.outcome === 'org') {
          const target = await orgs.get(r.orgId);
          if (target && !target.contact_phone) problems.push({ rule: 'R13', message: `${target.id} has no contact phone: a transfer into it would be refused` });
        }
        return {
          outcome: r.outcome,
          case: r.case,
          reason: r.reason,
          ...(r.outcome === 'org' ? { orgId: r.orgId } : {}),
          ...(r.outcome === 'wait' ? { awaitOrgId: r.awaitOrgId } : {}),
          problems,
        };
      },
    );

    app.post(
      '/transfers',
      {
        schema: {
          summary: 'R9: start a transfer (to an organization, to a destination routed by R11, or to another province, R10)',
          headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
          body: TransferStart,
          response: { 201: StartResponse, 200: StartResponse, ...errorResponses },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        if (p.role === 'system') throw DomainError.forbidden('a transfer is started by the member, the sending branch or an admin of the receiving organization');
        const plan = await starter.plan(p, req.body, starter.orgs());
        const key = req.headers['idempotency-key'];
        const r = await starter.launch(plan, key ? `request:${p.actorId}:${key}:${requestHash(req.body)}` : null);
        return reply.code(r.created ? 201 : 200).send({ processId: r.processId, memberId: r.memberId, step: r.step, deadline: r.deadline, ...(r.route ? { route: r.route } : {}) });
      },
    );

    app.post(
      '/transfers/graduates/import',
      {
        schema: {
          summary: "R12: start the graduates' transfers from a roster (CSV, one graduate a row); safe to send again with the same Idempotency-Key",
          headers: z.object({ 'idempotency-key': z.string().min(1).max(200) }),
          body: z.string().max(64 * 1024 * 1024),
          querystring: z.object({ firstLine: z.coerce.number().int().min(1).default(1) }),
          response: {
            200: z.object({
              batch: z.string(),
              started: z.number(),
              alreadyStarted: z.number(),
              failed: z.number(),
              rows: z.array(RowResult),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const p = req.principal;
        if (!p.orgPath || !isAllowed(p, 'transfer.import', { orgPath: p.orgPath })) throw DomainError.forbidden('a roster is filed by the admins of a school or a committee above');
        let parsed;
        try {
          // The CLI sends a big file in parts; firstLine keeps the line numbers of the whole file.
          parsed = parseRoster(req.body, req.query.firstLine);
        } catch (e) {
          throw new DomainError({ kind: 'invalid', message: (e as Error).message, fields: [{ field: 'body', message: 'bad header line' }] });
        }
        // A cell with a control character fails its row (naming the column), like any invalid row.
        const badCells = csvCellProblems(req.body, req.query.firstLine);
        parsed.lines = parsed.lines.map((l) => (badCells.has(l.line) ? { line: l.line, problems: badCells.get(l.line) } : l));
        const batch = req.headers['idempotency-key'];
        const valid = parsed.lines.filter((l) => l.row);
        const members = valid.length
          ? await db
              .selectFrom('members')
              .select(['id', 'id_number'])
              .where('id_number', 'in', valid.map((l) => l.row!.idNumber))
              .execute()
          : [];
        const byIdNumber = new Map(members.map((m) => [m.id_number, m.id]));
        const orgs = starter.orgs();
        const rows = await mapLimit(parsed.lines, 16, async (l): Promise<z.infer<typeof RowResult>> => {
          if (!l.row) return { line: l.line, status: 'failed', error: { status: 400, message: 'invalid row', fields: l.problems } };
          const masked = maskIdNumber(l.row.idNumber);
          const memberId = byIdNumber.get(l.row.idNumber);
          if (!memberId) return { line: l.line, idNumber: masked, status: 'failed', error: { status: 404, message: 'no member with this ID number' } };
          try {
            // The roster's sender must be above the graduate's branch.
            const senderAuthorized = (fromPath: string) => {
              authorize(p, 'transfer.import', { orgPath: fromPath });
              return true;
            };
            const plan = await starter.plan(p, { memberId, toOrgId: l.row.toOrgId, destination: l.row.destination }, orgs, { senderAuthorized });
            const r = await starter.launch(plan, `roster:${p.actorId}:${batch}:${memberId}`, { awaitRecorded: false });
            return { line: l.line, idNumber: masked, status: r.created ? 'started' : 'already-started', processId: r.processId, ...(r.route ? { route: r.route.case } : {}) };
          } catch (e) {
            return { line: l.line, idNumber: masked, status: 'failed', error: asProblem(e) };
          }
        });
        return {
          batch,
          started: rows.filter((r) => r.status === 'started').length,
          alreadyStarted: rows.filter((r) => r.status === 'already-started').length,
          failed: rows.filter((r) => r.status === 'failed').length,
          rows,
        };
      },
    );

    app.get(
      '/stats/graduate-transfers',
      {
        schema: {
          summary:
            "R12: the share of a cohort's graduates transferred, per school and per city, against the year's targets; the base is every graduate on the base date, the deleted ones reported beside it",
          querystring: z.object({
            orgId: OrgId.optional(),
            cohort: z.coerce.number().int().min(2000).max(2100),
            asOf: z.iso.date().optional(),
          }),
          response: {
            200: z.object({
              cohort: z.number(),
              asOf: z.string(),
              /** The day the cohort's graduates are counted; `fixed: false` while it has not passed (the base follows the roster until then). */
              base: z.object({ date: z.string(), fixed: z.boolean() }),
              target: z.object({ date: z.string(), share: z.number() }).nullable(),
              total: z.object({ graduates: z.number(), transferred: z.number(), deleted: z.number(), share: z.number() }),
              cities: z.array(
                z.object({ orgId: z.string(), name: z.string(), graduates: z.number(), transferred: z.number(), deleted: z.number(), share: z.number(), behind: z.boolean() }),
              ),
              schools: z.array(
                z.object({
                  orgId: z.string(),
                  name: z.string(),
                  cityId: z.string(),
                  graduates: z.number(),
                  transferred: z.number(),
                  deleted: z.number(),
                  share: z.number(),
                  behind: z.boolean(),
                }),
              ),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const p = req.principal;
        const orgId = req.query.orgId ?? p.orgId;
        if (!orgId) throw DomainError.forbidden('statistics are for the admins of an organization');
        const org = await db.selectFrom('organizations').select(['id', 'path']).where('id', '=', orgId).executeTakeFirst();
        if (!org) notFound('organization');
        authorize(p, 'stats.read', { orgPath: org.path });
        const { cohort } = req.query;
        const asOf = req.query.asOf ?? new Date().toISOString().slice(0, 10);
        const base = graduateBaseAt(cohort, config.graduateBaseDate, new Date());
        const at = base.at.toISOString();
        // R12: the base is who belonged to a graduate branch of the cohort at the base instant, whatever became of
        // them: counting today's active graduates would let a deletion shrink it (the abuse R17 watches for).
        // Derived from the data rather than snapshotted by a process on the day: it holds for past cohorts, for a
        // system started after the date and for a changed date, and nothing can miss the day. Where a member was
        // at an instant: the destination of their last approved transfer before it, else the origin of their first
        // one after it, else their branch (kept on soft-deleted rows). In the league then: approved (locked_at)
        // before it, and not deleted (deleted_at), removed or expelled (their discipline event) before it.
        // Graduates transferred out before the base date count in it too, as transferred (an early school is not
        // behind). After the base date only the outcome moves: waiting, transferred or deleted.
        const { rows } = await sql<{ school_id: string | null; city_id: string; graduates: number; transferred: number; deleted: number }>`
          with g as (
            select id, parent_id, path from organizations
            where special_kind = 'graduate' and path like ${likePrefix(org.path)}
              and graduation_date between ${`${cohort}-01-01`}::date and ${`${cohort}-12-31`}::date
          ),
          candidates as (
            select m.id from members m where m.branch_id in (select id from g)
            union
            select t.member_id from transfers t
            where t.graduate_cohort = ${cohort} and t.status = 'approved' and t.from_branch_id in (select id from g)
            union
            select t.member_id from transfers t where t.status = 'approved' and t.to_org_id in (select id from g)
          ),
          moves as (
            select t.member_id, t.direction, t.from_branch_id, t.to_org_id, t.completed_at from transfers t
            where t.status = 'approved' and t.member_id in (select id from candidates)
          ),
          last_before as (
            select distinct on (member_id) member_id, direction, to_org_id from moves
            where completed_at < ${at}::timestamptz order by member_id, completed_at desc
          ),
          first_after as (
            select distinct on (member_id) member_id, from_branch_id from moves
            where completed_at >= ${at}::timestamptz and direction <> 'inbound' order by member_id, completed_at
          ),
          at_base as (
            select m.id,
              case when lb.member_id is not null then (case when lb.direction = 'outbound' then null else lb.to_org_id end)
                   when fa.member_id is not null then fa.from_branch_id
                   else m.branch_id end as branch_id,
              fa.member_id is not null as transferred,
              fa.member_id is null and m.status = 'deleted' as deleted
            from members m
            join candidates c on c.id = m.id
            left join last_before lb on lb.member_id = m.id
            left join first_after fa on fa.member_id = m.id
            where m.locked_at < ${at}::timestamptz
              and (m.deleted_at is null or m.deleted_at >= ${at}::timestamptz)
              and (m.status not in ('removed', 'expelled')
                or (select max(e.occurred_at) from events e
                    where e.member_id = m.id and e.type in ('discipline.sanction-applied', 'discipline.expelled')) >= ${at}::timestamptz)
          ),
          transferred_early as (
            select t.member_id as id, t.from_branch_id as branch_id, true as transferred, false as deleted from transfers t
            where t.graduate_cohort = ${cohort} and t.status = 'approved' and t.from_branch_id in (select id from g)
              and t.completed_at < ${at}::timestamptz
          ),
          counted as (
            select distinct on (x.id, x.branch_id) x.branch_id, x.transferred, x.deleted
            from (select * from at_base union all select * from transferred_early) x
            where x.branch_id in (select id from g)
            order by x.id, x.branch_id, x.transferred desc
          )
          select g.parent_id as school_id, split_part(g.path, '/', 2) as city_id, count(*)::int as graduates,
            (count(*) filter (where c.transferred))::int as transferred, (count(*) filter (where c.deleted))::int as deleted
          from counted c join g on g.id = c.branch_id
          group by 1, 2`.execute(db);
        const ids = [...new Set(rows.flatMap((r) => [r.school_id ?? '', r.city_id]))].filter(Boolean);
        const names = new Map((ids.length ? await db.selectFrom('organizations').select(['id', 'name']).where('id', 'in', ids).execute() : []).map((o) => [o.id, o.name]));
        const target = targetInForce(config.graduateTargets, cohort, asOf);
        const share = (done: number, all: number) => (all === 0 ? 0 : Math.round((1000 * done) / all) / 10);
        const behind = (done: number, all: number) => target !== null && share(done, all) < target.share;
        type Counts = { graduates: number; transferred: number; deleted: number };
        const add = (a: Counts, b: Counts): Counts => ({ graduates: a.graduates + b.graduates, transferred: a.transferred + b.transferred, deleted: a.deleted + b.deleted });
        const zero: Counts = { graduates: 0, transferred: 0, deleted: 0 };
        const schools = rows.map((r) => ({ id: r.school_id ?? '', cityId: r.city_id, graduates: Number(r.graduates), transferred: Number(r.transferred), deleted: Number(r.deleted) }));
        const cities = new Map<string, Counts>();
        for (const r of schools) cities.set(r.cityId, add(cities.get(r.cityId) ?? zero, r));
        const total = [...cities.values()].reduce(add, zero);
        return {
          cohort,
          asOf,
          base: { date: base.date, fixed: base.fixed },
          target,
          total: { ...total, share: share(total.transferred, total.graduates) },
          cities: [...cities.entries()]
            .map(([id, c]) => ({ orgId: id, name: names.get(id) ?? id, ...c, share: share(c.transferred, c.graduates), behind: behind(c.transferred, c.graduates) }))
            .sort((a, b) => a.orgId.localeCompare(b.orgId)),
          schools: schools
            .map((r) => ({
              orgId: r.id,
              name: names.get(r.id) ?? '',
              cityId: r.cityId,
              graduates: r.graduates,
              transferred: r.transferred,
              deleted: r.deleted,
              share: share(r.transferred, r.graduates),
              behind: behind(r.transferred, r.graduates),
            }))
            .sort((a, b) => a.orgId.localeCompare(b.orgId)),
        };
      },
    );

    app.get(
      '/data-problems',
      {
        schema: {
          summary: 'R13/R21: open data problems of organizations in the caller\'s subtree (e.g. a receiving branch without a contact phone)',
          querystring: z.object({ orgId: OrgId.optional() }),
          response: {
            200: z.object({
              items: z.array(z.object({ orgId: z.string(), rule: z.string(), kind: z.string(), message: z.string(), occurrences: z.number(), firstSeen: z.string(), lastSeen: z.string() })),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const p = req.principal;
        const orgId = req.query.orgId ?? p.orgId;
        if (!orgId) throw DomainError.forbidden('data problems are for the admins of an organization');
        const org = await db.selectFrom('organizations').select('path').where('id', '=', orgId).executeTakeFirst();
        if (!org) notFound('organization');
        authorize(p, 'org.read', { orgPath: org.path });
        const rows = await db.selectFrom('data_problems').selectAll().where('org_path', 'like', likePrefix(org.path)).where('resolved_at', 'is', null).orderBy('id').limit(1000).execute();
        return {
          items: rows.map((r) => ({ orgId: r.org_id, rule: r.rule, kind: r.kind, message: r.message, occurrences: r.occurrences, firstSeen: iso(r.first_seen)!, lastSeen: iso(r.last_seen)! })),
        };
      },
    );
  };
}

/** For a transfer decision: the step the caller saw, and for "place" the branch, resolved and checked (R13). */
export async function prepareTransferDecision(db: Db, row: ProcessRow, body: DecisionBody): Promise<Partial<DecisionCommand>> {
  if (body.action !== 'place') return { step: row.step };
  const branch = await db.selectFrom('organizations').select(ORG_COLUMNS).where('id', '=', body.branchId!).executeTakeFirst();
  if (!branch) throw DomainError.rule('R9', 'no such branch', [{ field: 'body.branchId', message: 'unknown organization', rule: 'R9' }]);
  if (branch.kind !== 'branch') throw DomainError.rule('R9', 'the member is placed into a branch', [{ field: 'body.branchId', message: `${branch.id} is a ${branch.kind}`, rule: 'R9' }]);
  if (!branch.path.startsWith(row.org_path)) throw DomainError.rule('R9', `the branch must belong to ${row.org_id}`, [{ field: 'body.branchId', message: 'outside the receiving organization', rule: 'R9' }]);
  await requireContactPhone(db, branch, 'body.branchId');
  return { step: row.step, branch: { id: branch.id, path: branch.path, parentId: branch.parent_id, kind: branch.kind } };
}

/** R12: creating (or fixing) organizations wakes the transfers waiting for them. */
export async function wakeTransfersWaitingFor(deps: Pick<AppDeps, 'db' | 'client'>, orgIds: Set<string>): Promise<number> {
  const waiting = await deps.db
    .selectFrom('transfers')
    .innerJoin('processes', 'processes.id', 'transfers.process_id')
    .select(['processes.workflow_id', 'transfers.await_org_id'])
    .where('transfers.status', '=', 'pending')
    .where('transfers.await_org_id', 'is not', null)
    .execute();
  let woken = 0;
  for (const w of waiting) {
    if (!orgIds.has(w.await_org_id!)) continue;
    try {
      await deps.client.workflow.getHandle(w.workflow_id).signal(orgChangedSignal, { orgId: w.await_org_id! });
      woken += 1;
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
  }
  return woken;
}

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
    peerProvince?: string;
  }
}

/** R10: the endpoints the other provinces' systems call; signed with HMAC, idempotent by key (docs/peer-protocol.md). */
export function peerTransferRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  const { db, client, config } = deps;
  const starter = transferStarter(deps);
  return async (app) => {
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      req.rawBody = body as string;
      try {
        done(null, body === '' ? {} : JSON.parse(body as string));
      } catch {
        done(Object.assign(new Error('the body is not JSON'), { statusCode: 400 }), undefined);
      }
    });

    // Before the body is validated: a bad signature is 401 whatever the body, and nothing changes.
    app.addHook('preValidation', async (req: FastifyRequest) => {
      const h = req.headers;
      const province = String(h[PEER_HEADERS.province] ?? '');
      const peer = config.peers.get(province);
      const fail = (why: string) => new DomainError({ kind: 'unauthenticated', message: `peer request refused: ${why}` });
      if (!peer) throw fail('unknown province');
      const why = verify(
        peer.key,
        {
          method: req.method,
          path: req.url,
          timestamp: String(h[PEER_HEADERS.timestamp] ?? ''),
          idempotencyKey: String(h[PEER_HEADERS.idempotencyKey] ?? ''),
          body: req.rawBody ?? '',
        },
        String(h[PEER_HEADERS.signature] ?? ''),
        Date.now(),
      );
      if (why) throw fail(why);
      if (!h[PEER_HEADERS.idempotencyKey]) throw fail('an idempotency key is required');
      req.peerProvince = province;
    });

    /** The first answer to a key is kept; the same key again gets it back, marked as a duplicate, with no effect. */
    async function once<T extends object>(req: FastifyRequest, handle: () => Promise<{ status: number; body: T }>): Promise<{ status: number; body: T }> {
      const province = req.peerProvince!;
      const key = String(req.headers[PEER_HEADERS.idempotencyKey]);
      const hash = requestHash(req.body);
      const seen = await db.selectFrom('peer_messages').selectAll().where('province', '=', province).where('idempotency_key', '=', key).executeTakeFirst();
      if (seen) {
        if (seen.request_hash !== hash) throw DomainError.rule('R10', 'this idempotency key was used with another body', [{ field: 'headers.idempotency-key', message: 'reused' }]);
        const body = seen.response as T;
        return { status: seen.status_code, body: 'accepted' in body ? { ...body, duplicate: true } : body };
      }
      const r = await handle();
      await db
        .insertInto('peer_messages')
        .values({ province, idempotency_key: key, request_hash: hash, status_code: r.status, response: JSON.stringify(r.body) })
        .onConflict((oc) => oc.columns(['province', 'idempotency_key']).doNothing())
        .execute();
      return r;
    }

    const peerErrors = { 400: errorResponses[400], 401: errorResponses[401], 404: errorResponses[404], 409: errorResponses[409], 422: errorResponses[422] };

    app.post(
      '/transfers/announce',
      {
        schema: { summary: 'R10: another province announces a member moving here; the receiving branch reviews a check-in', body: PeerAnnounce, response: { 202: PeerAnnounceAccepted, ...peerErrors } },
      },
      async (req, reply) => {
        const province = req.peerProvince!;
        if (req.body.fromProvince !== province) throw new DomainError({ kind: 'invalid', message: 'fromProvince must be the signing province', fields: [{ field: 'body.fromProvince', message: 'does not match the signature' }] });
        const r = await once(req, async () => {
          // The same transfer announced again (even under a new key) names the same process.
          const known = await db.selectFrom('transfers').select('process_id').where('peer_province', '=', province).where('peer_transfer_id', '=', req.body.transferId).executeTakeFirst();
          if (known) return { status: 202, body: { transferId: req.body.transferId, processId: known.process_id } };
          const plan = await starter.planInbound(province, req.body);
          const started = await starter.launch(plan, `peer:${province}:${req.body.transferId}`);
          return { status: 202, body: { transferId: req.body.transferId, processId: started.processId } };
        });
        return reply.code(r.status as 202).send(r.body);
      },
    );

    const message = (type: 'release-confirmed' | 'arrival-confirmed' | 'rejected', schema: typeof PeerReleaseConfirmed | typeof PeerArrivalConfirmed | typeof PeerRejected) =>
      app.post(
        `/transfers/:transferId/${type}`,
        {
          schema: {
            summary: `R10: the other province's "${type}" for a transfer between us`,
            params: z.object({ transferId: z.uuid() }),
            body: schema,
            response: { 202: PeerAccepted, ...peerErrors },
          },
        },
        async (req, reply) => {
          const province = req.peerProvince!;
          const body = req.body as { transferId: string; reason?: string; branchId?: string };
          if (body.transferId !== req.params.transferId) throw new DomainError({ kind: 'invalid', message: 'transferId differs from the path', fields: [{ field: 'body.transferId', message: 'must match the path' }] });
          const r = await once(req, async () => {
            const t = await db
              .selectFrom('transfers')
              .innerJoin('processes', 'processes.id', 'transfers.process_id')
              .select(['processes.workflow_id', 'processes.closed_at', 'processes.status'])
              .where('transfers.peer_province', '=', province)
              .where('transfers.peer_transfer_id', '=', body.transferId)
              .executeTakeFirst();
            if (!t) throw DomainError.notFound('no transfer with this id between our provinces');
            if (t.closed_at) throw DomainError.conflict(`this transfer is already ${t.status}`, 'R10');
            try {
              await client.workflow.getHandle(t.workflow_id).signal(peerSignal, { type, ...(body.reason ? { reason: body.reason } : {}), ...(body.branchId ? { branchId: body.branchId } : {}) });
            } catch (e) {
              if (e instanceof WorkflowNotFoundError) throw DomainError.conflict('this transfer is already closed', 'R10');
              throw e;
            }
            return { status: 202, body: { transferId: body.transferId, accepted: true as const, duplicate: false } };
          });
          return reply.code(r.status as 202).send(r.body as z.infer<typeof PeerAccepted>);
        },
      );
    message('release-confirmed', PeerReleaseConfirmed);
    message('arrival-confirmed', PeerArrivalConfirmed);
    message('rejected', PeerRejected);
  };
}
