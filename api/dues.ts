// Dues (R18): record a month's payment, one at a time or as a batch file, and the payment rate per organization.
import { sql } from 'kysely';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problemBody, type Api, type AppDeps } from './deps';
import type { Config } from '../domain/config';
import { authorize, isAllowed, type Principal } from '../domain/authz';
import { DomainError, HTTP_STATUS, type FieldProblem } from '../domain/errors';
import { pathIds } from '../domain/orgs';
import { DUES_BATCH_COLUMNS, DuesPayment, addMonths, monthOf, monthStart, paymentMonthProblem, type ParsedDuesLine } from '../domain/dues';
import { readTable, type Table } from '../domain/tables';
import { mapLimit } from '../domain/concurrency';
import { likePrefix, recordOnce, type Db } from '../db';
import { UPLOAD_TYPES, UploadedFile, acceptUploads, errorResponses, notFound, statisticsOrg } from './schemas';
import { csvCellProblems } from './validation';
import { BatchHeaders, BatchReport, DuesStatistics, DuesStatisticsQuery, PaymentResponse, type RowError, type RowResult } from '../contract/dues';

interface PayingMember {
  id: string;
  status: string;
  branchId: string;
  path: string;
  /** YYYY-MM-DD: no dues are owed before this month. */
  joinDate: string;
}

/** The members, with their branch's path (for authorization), in chunks of a size PostgreSQL takes well. */
async function payingMembers(db: Db, ids: string[]): Promise<Map<string, PayingMember>> {
  const out = new Map<string, PayingMember>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 1000) {
    const rows = await db
      .selectFrom('members')
      .innerJoin('organizations', 'organizations.id', 'members.branch_id')
      .select(['members.id', 'members.status', 'members.join_date', 'organizations.id as branch_id', 'organizations.path'])
      .where('members.id', 'in', unique.slice(i, i + 1000))
      .execute();
    for (const r of rows) out.set(r.id, { id: r.id, status: r.status, branchId: r.branch_id, path: r.path, joinDate: r.join_date });
  }
  return out;
}

/** Who may record this payment, for whom, and for which month (R18: arrears back to the join month; ahead, as configured). */
function checkPayable(p: Principal, member: PayingMember, payment: DuesPayment, now: Date, fieldPrefix: string, dues: Config['dues']): void {
  authorize(p, 'dues.record', { orgPath: member.path, memberId: member.id });
  if (member.status !== 'active' && member.status !== 'probation') {
    throw DomainError.rule('R18', `dues are paid by members in the league (this member is ${member.status})`, [
      { field: `${fieldPrefix}memberId`, message: `member is ${member.status}`, rule: 'R18' },
    ]);
  }
  const problem = paymentMonthProblem(payment.month, now, { maxAheadMonths: dues.maxAheadMonths, joinDate: member.joinDate });
  if (problem) throw DomainError.rule(problem.rule, problem.message, [{ field: `${fieldPrefix}month`, message: problem.message, rule: problem.rule }]);
}

class AlreadyPaid extends Error {}

/** Writes the payment once: the event `dues.paid` under `dues:<member>:<month>` and the ledger row, together. */
async function recordPayment(db: Db, actorId: string, member: PayingMember, payment: DuesPayment, batchKey: string | null): Promise<boolean> {
  try {
    const r = await recordOnce(
      db,
      {
        idempotency_key: `dues:${payment.memberId}:${payment.month}`,
        member_id: payment.memberId,
        org_id: member.branchId,
        type: 'dues.paid',
        actor_id: actorId,
        payload: { month: payment.month, amountCents: payment.amountCents, ...(batchKey ? { batch: batchKey } : {}) },
      },
      async (tx) => {
        const row = await tx
          .insertInto('dues_payments')
          .values({
            member_id: payment.memberId,
            month: monthStart(payment.month),
            amount_cents: payment.amountCents,
            recorded_by: actorId,
            batch_key: batchKey,
          })
          .onConflict((oc) => oc.columns(['member_id', 'month']).doNothing())
          .returning('id')
          .executeTakeFirst();
        // A ledger row without its event (written outside the API): roll the event back, the month is paid.
        if (!row) throw new AlreadyPaid();
      },
    );
    return r.applied;
  } catch (e) {
    if (e instanceof AlreadyPaid) return false;
    throw e;
  }
}

function asRowError(e: unknown): RowError {
  if (e instanceof DomainError) {
    const { message, rule, fields } = problemBody(e.problem);
    return { status: HTTP_STATUS[e.problem.kind], message, ...(rule ? { rule } : {}), ...(fields ? { fields } : {}) };
  }
  throw e;
}

/** POST /dues/payments (R18): one month of one member. */
function paymentRoute(app: Api, { db, config }: AppDeps): void {
  app.post(
    '/dues/payments',
    {
      schema: {
        summary: `R18: record one month's dues of a member (arrears of any age back to the join month; at most ${config.dues.maxAheadMonths} months ahead of the current month)`,
        body: DuesPayment,
        response: { 201: PaymentResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const member = (await payingMembers(db, [req.body.memberId])).get(req.body.memberId);
      if (!member) notFound('member');
      checkPayable(req.principal, member, req.body, new Date(), 'body.', config.dues);
      if (!(await recordPayment(db, req.principal.actorId, member, req.body, null))) {
        throw DomainError.conflict(`the dues of ${req.body.month} are already paid for this member`, 'R18');
      }
      return reply.code(201).send({ ...req.body, branchId: member.branchId });
    },
  );
}

/** Payments in one batch file, at most. */
export const MAX_DUES_BATCH_ROWS = 50_000;

/** A batch read from a table (CSV or .xlsx): the header `memberId,month,amountCents`, then one payment a row. */
function duesLines(table: Table): ParsedDuesLine[] {
  if (table.header.join(',') !== DUES_BATCH_COLUMNS.join(',')) {
    throw new DomainError({
      kind: 'invalid',
      message: `the header line must be exactly: ${DUES_BATCH_COLUMNS.join(',')}`,
      fields: [{ field: 'body', message: 'bad header line' }],
    });
  }
  return table.rows.map(({ line, cells }) => {
    const [memberId = '', month = '', amount = ''] = cells;
    const parsed = DuesPayment.safeParse({ memberId, month, amountCents: /^\d+$/.test(amount) ? Number(amount) : amount });
    return parsed.success
      ? { line, payment: parsed.data }
      : { line, problems: parsed.error.issues.map((x) => ({ field: x.path.join('.'), message: x.message })) };
  });
}

/** POST /dues/payments/batch (R18): a file of payments (CSV or .xlsx), a report per line. */
function batchRoute(app: Api, { db, config }: AppDeps): void {
  app.post(
    '/dues/payments/batch',
    {
      schema: {
        summary:
          'R18: record dues from a file (CSV in UTF-8 or GB18030/GBK, or .xlsx: its first sheet; header memberId,month,amountCents); a report per line. Sending the same file again with the same Idempotency-Key records nothing twice',
        consumes: UPLOAD_TYPES,
        headers: BatchHeaders,
        body: UploadedFile,
        response: {
          200: BatchReport,
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const p = req.principal;
      if (!p.orgPath || !isAllowed(p, 'dues.record', { orgPath: p.orgPath }))
        throw DomainError.forbidden('dues are recorded by a branch or the committees above it');
      const table = await readTable(req.body, { contentType: req.headers['content-type'], maxRows: MAX_DUES_BATCH_ROWS });
      // A cell with a control character fails its row (naming the column), like any invalid row.
      const badCells = csvCellProblems(table);
      const lines = duesLines(table).map((l) => (badCells.has(l.line) ? { line: l.line, problems: badCells.get(l.line) } : l));
      const batch = req.headers['idempotency-key'];
      const members = await payingMembers(
        db,
        lines.flatMap((l) => (l.payment ? [l.payment.memberId] : [])),
      );
      const firstLine = new Map<string, number>();
      const now = new Date();

      const one = async (l: (typeof lines)[number]): Promise<RowResult> => {
        if (!l.payment) return { line: l.line, status: 'failed', error: { status: 400, message: 'invalid row', fields: l.problems as FieldProblem[] } };
        const pay = l.payment;
        const at = { line: l.line, memberId: pay.memberId, month: pay.month };
        const member = members.get(pay.memberId);
        if (!member) return { ...at, status: 'failed', error: { status: 404, message: 'member not found' } };
        try {
          checkPayable(p, member, pay, now, '', config.dues);
        } catch (e) {
          return { ...at, status: 'failed', error: asRowError(e) };
        }
        if (await recordPayment(db, p.actorId, member, pay, batch)) return { ...at, status: 'recorded' };
        // Recorded by an earlier send of this same batch: the same answer as then.
        const paid = await db
          .selectFrom('dues_payments')
          .select(['recorded_by', 'batch_key', 'amount_cents'])
          .where('member_id', '=', pay.memberId)
          .where('month', '=', monthStart(pay.month))
          .executeTakeFirst();
        const ours = paid?.recorded_by === p.actorId && paid.batch_key === batch && paid.amount_cents === pay.amountCents;
        return ours ? { ...at, status: 'recorded' } : { ...at, status: 'already-paid' };
      };

      const rows: RowResult[] = new Array(lines.length);
      const todo: number[] = [];
      for (const [i, l] of lines.entries()) {
        const k = l.payment ? `${l.payment.memberId}:${l.payment.month}` : undefined;
        const first = k === undefined ? undefined : firstLine.get(k);
        if (first === undefined) {
          if (k !== undefined) firstLine.set(k, l.line);
          todo.push(i);
        } else {
          rows[i] = {
            line: l.line,
            memberId: l.payment!.memberId,
            month: l.payment!.month,
            status: 'already-paid',
            error: { status: 409, message: `the same member and month as line ${first}` },
          };
        }
      }
      // A few rows at a time: each is its own short transaction.
      await mapLimit(todo, 16, async (j) => (rows[j] = await one(lines[j]!)));
      return {
        batch,
        recorded: rows.filter((r) => r.status === 'recorded').length,
        alreadyPaid: rows.filter((r) => r.status === 'already-paid').length,
        failed: rows.filter((r) => r.status === 'failed').length,
        rows,
      };
    },
  );
}

/** GET /stats/dues (R18): the payment rate of a month. */
function rateRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/stats/dues',
    {
      schema: {
        summary: 'R18: the dues payment rate of a month, for an organization and each of its direct children (with their subtrees)',
        querystring: DuesStatisticsQuery,
        response: { 200: DuesStatistics, ...errorResponses },
      },
    },
    async (req) => {
      const org = await statisticsOrg(db, req.principal, req.query.orgId, 'dues.read');
      const month = req.query.month ?? monthOf(new Date());
      // The child of `org` a member's branch lies under is this segment of the branch's path ('' for org itself).
      const childSegment = pathIds(org.path).length + 1;
      // Members counted for a month: active now, and active (approved) before the month ended.
      const { rows } = await sql<{ id: string; name: string; kind: string; members: number; paid: number }>`
        with counts as (
          select split_part(o.path, '/', ${childSegment}) as child, count(*)::int as members, count(p.id)::int as paid
          from members m
          join organizations o on o.id = m.branch_id
          left join dues_payments p on p.member_id = m.id and p.month = ${monthStart(month)}::date
          where o.path like ${likePrefix(org.path)}
            and m.status = 'active'
            and coalesce(m.locked_at, m.created_at) < ${`${monthStart(addMonths(month, 1))}T00:00:00Z`}::timestamptz
          group by 1
        )
        select s.id, s.name, s.kind, coalesce(sum(c.members), 0)::int as members, coalesce(sum(c.paid), 0)::int as paid
        from organizations s
        left join counts c on s.id = ${org.id} or c.child = s.id
        where s.id = ${org.id} or s.parent_id = ${org.id}
        group by s.id, s.name, s.kind
        order by s.id = ${org.id} desc, s.id`.execute(db);
      const rate = (r: (typeof rows)[number]) => ({
        orgId: r.id,
        name: r.name,
        kind: r.kind,
        members: r.members,
        paid: r.paid,
        rate: r.members === 0 ? null : Math.round((1000 * r.paid) / r.members) / 10,
      });
      const [own, ...children] = rows;
      return { month, organization: rate(own!), children: children.map(rate) };
    },
  );
}

export function duesRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    // Parsers are scoped per plugin: the transfers plugin's do not reach this one.
    acceptUploads(app, 16 * 1024 * 1024);

    paymentRoute(app, deps);
    batchRoute(app, deps);
    rateRoute(app, deps);
  };
}
