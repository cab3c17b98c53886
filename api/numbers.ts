// R19: development numbers. A committee above issues ranges (a prefix and a count, per year) to schools and
// units; numbers that will not be used are voided with a reason; every number of a range is accounted for as
// used (a member record holds it), voided or open. The check-in asks `checkInNumberProblem` (api/check-ins.ts).
import { randomUUID } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Api, AppDeps } from './deps';
import { authorize } from '../domain/authz';
import { DomainError, type FieldProblem } from '../domain/errors';
import {
  NumberVoid,
  RangeIssue,
  RangeQuery,
  candidatePrefixes,
  firstNumber,
  lastNumber,
  openNumbers,
  prefixesOverlap,
  sequenceOf,
  widthOf,
} from '../domain/numbers';
import { likePrefix, lockDevelopmentNumber, recordOnce, type Db, type Tx } from '../db';
import type { NumberRangesTable } from '../db/schema';
import { errorResponses, iso, notFound, statisticsOrg, UuidParams } from './schemas';
import { NumberVoided, RangeDetail, RangePage, RangeView } from '../contract/numbers';

type RangeRow = Omit<Selectable<NumberRangesTable>, 'issued_by'>;

function rangeView(r: RangeRow, counts: { used: number; voided: number }) {
  return {
    id: r.id,
    orgId: r.org_id,
    year: r.year,
    prefix: r.prefix,
    count: r.count,
    first: firstNumber(r),
    last: lastNumber(r),
    issuedAt: iso(r.issued_at)!,
    counts: { used: counts.used, voided: counts.voided, open: r.count - counts.used - counts.voided },
  };
}

/**
 * The members holding a number of range `r`: prefix + `width` digits, 1 … count. Fixed-length digit strings
 * sort as their numbers, so the bounds pick exactly those (on members_development_number_pattern, text_pattern_ops);
 * the length and digits conditions leave out longer numbers that only begin like them.
 */
const HOLDS_NUMBER_OF_R = sql`m.development_number ~>=~ (r.prefix || lpad('1', r.width, '0'))
  and m.development_number ~<=~ (r.prefix || lpad(r.count::text, r.width, '0'))
  and length(m.development_number) = length(r.prefix) + r.width
  and substr(m.development_number, length(r.prefix) + 1) ~ '^[0-9]+$'`;

/** The range a number belongs to, if any (prefixes never overlap: at most one). */
async function rangeOf(db: Db, number: string): Promise<Omit<NumberRangesTable, 'issued_at'> | undefined> {
  const prefixes = candidatePrefixes(number);
  if (prefixes.length === 0) return undefined;
  const rows = await db.selectFrom('number_ranges').selectAll().where('prefix', 'in', prefixes).execute();
  return rows.find((r) => sequenceOf(r, number) !== undefined);
}

/**
 * R19 at a first check-in (interpretation): once ranges are issued for the join year anywhere in the branch's
 * province tree (the ranges under the first segment of its path), the number must come from a range of that year
 * issued to the branch or a committee above it, and not be voided. Whether another member holds it is checked
 * beside this (api/check-ins.ts), and finally by the unique index when the activity writes the record.
 */
export async function checkInNumberProblem(db: Db, c: { branchPath: string; joinDate: string; number: string | undefined }): Promise<FieldProblem | undefined> {
  const year = Number(c.joinDate.slice(0, 4));
  const root = c.branchPath.slice(0, c.branchPath.indexOf('/') + 1);
  const issued = await db
    .selectFrom('number_ranges')
    .select('id')
    .where('org_path', 'like', likePrefix(root))
    .where('year', '=', year)
    .limit(1)
    .executeTakeFirst();
  if (!issued) return undefined;
  const problem = (message: string): FieldProblem => ({ field: 'body.profile.developmentNumber', rule: 'R19', message });
  if (!c.number) return problem(`the ${year} numbers are issued in ranges: one from a range of the branch or a committee above it is required`);
  const range = await rangeOf(db, c.number);
  if (!range || range.year !== year || !c.branchPath.startsWith(range.org_path)) {
    return problem(`not a number of a ${year} range issued to this branch or a committee above it`);
  }
  const voided = await db.selectFrom('number_voids').select('number').where('number', '=', c.number).executeTakeFirst();
  if (voided) return problem('this number was voided: it will not be used');
  return undefined;
}

/** The prefix overlaps another range's (one begins the other): 409 naming the field. */
class PrefixOverlap extends Error {
  constructor(readonly other: string) {
    super('prefix overlap');
  }
}

function overlapConflict(other: string): DomainError {
  const message = `the prefix overlaps the range ${other}: a number could belong to both`;
  return new DomainError({ kind: 'conflict', rule: 'R19', message, fields: [{ field: 'body.prefix', message, rule: 'R19' }] });
}

/** Inserts the range unless its prefix overlaps another's; one issue at a time, so two overlapping ones cannot both pass. */
async function insertRange(tx: Tx, row: Omit<NumberRangesTable, 'issued_at'>): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('number_ranges'))`.execute(tx);
  const other = await tx
    .selectFrom('number_ranges')
    .select('prefix')
    .where((eb) => eb.or([sql<boolean>`starts_with(prefix, ${row.prefix})`, sql<boolean>`starts_with(${row.prefix}, prefix)`]))
    .limit(1)
    .executeTakeFirst();
  if (other && prefixesOverlap(other.prefix, row.prefix)) throw new PrefixOverlap(other.prefix);
  await tx.insertInto('number_ranges').values(row).execute();
}

function issueRoute(app: Api, { db }: AppDeps): void {
  app.post(
    '/numbers/ranges',
    {
      schema: {
        summary: 'R19: a committee above issues development numbers to an organization for a year: a prefix and a count (no prefix begins another)',
        body: RangeIssue,
        response: { 201: RangeView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = req.principal;
      const b = req.body;
      const org = await db.selectFrom('organizations').select(['id', 'path']).where('id', '=', b.orgId).executeTakeFirst();
      if (!org) throw DomainError.rule('R19', 'no such organization', [{ field: 'body.orgId', message: 'unknown organization', rule: 'R19' }]);
      authorize(p, 'numbers.issue', { orgPath: org.path });
      const row = {
        id: randomUUID(),
        org_id: org.id,
        org_path: org.path,
        year: b.year,
        prefix: b.prefix,
        count: b.count,
        width: widthOf(b.count),
        issued_by: p.actorId,
      };
      try {
        await recordOnce(
          db,
          {
            idempotency_key: `numbers.issued:${row.id}`,
            org_id: org.id,
            type: 'numbers.issued',
            actor_id: p.actorId,
            payload: { rangeId: row.id, year: b.year, prefix: b.prefix, count: b.count },
          },
          (tx) => insertRange(tx, row),
        );
      } catch (e) {
        if (e instanceof PrefixOverlap) throw overlapConflict(e.other);
        // The same prefix issued at the same moment by another API process (the unique index).
        if ((e as { code?: string }).code === '23505') throw overlapConflict(b.prefix);
        throw e;
      }
      const saved = await db.selectFrom('number_ranges').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
      return reply.code(201).send(rangeView(saved, { used: 0, voided: 0 }));
    },
  );
}

function listRoute(app: Api, { db, config }: AppDeps): void {
  app.get(
    '/numbers/ranges',
    {
      schema: {
        summary:
          "R19: the ranges issued in an organization's subtree, by prefix; with openOlderThanDays (or stale=true: the configured age) only those issued longer ago that still have open numbers",
        querystring: RangeQuery,
        response: { 200: RangePage, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const org = await statisticsOrg(db, req.principal, q.orgId, 'numbers.read');
      const olderThanMs = q.openOlderThanDays !== undefined ? q.openOlderThanDays * 86_400_000 : q.stale ? config.numbers.openAfterMs : undefined;
      const { rows } = await sql<RangeRow & { used: number; voided: number }>`
        select r.id, r.org_id, r.org_path, r.year, r.prefix, r.count, r.width, r.issued_at, u.used, v.voided
        from number_ranges r
        cross join lateral (select count(*)::int as used from members m where ${HOLDS_NUMBER_OF_R}) u
        cross join lateral (select count(*)::int as voided from number_voids nv where nv.range_id = r.id) v
        where r.org_path like ${likePrefix(org.path)}
          ${q.year !== undefined ? sql`and r.year = ${q.year}` : sql``}
          ${q.cursor !== undefined ? sql`and r.prefix > ${q.cursor}` : sql``}
          ${olderThanMs !== undefined ? sql`and r.issued_at < ${new Date(Date.now() - olderThanMs)} and r.count - u.used - v.voided > 0` : sql``}
        order by r.prefix
        limit ${q.limit}`.execute(db);
      const items = rows.map((r) => rangeView(r, r));
      return { items, nextCursor: rows.length === q.limit ? rows[rows.length - 1]!.prefix : null };
    },
  );
}

function detailRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/numbers/ranges/:id',
    {
      schema: {
        summary: 'R19: every number of a range accounted for: used (the member holding it), voided (with the reason) and open',
        params: UuidParams,
        response: { 200: RangeDetail, ...errorResponses },
      },
    },
    async (req) => {
      const r = (await db.selectFrom('number_ranges').selectAll().where('id', '=', req.params.id).executeTakeFirst()) ?? notFound('range');
      authorize(req.principal, 'numbers.read', { orgPath: r.org_path });
      const [used, voided] = await Promise.all([
        sql<{ number: string; member_id: string }>`
          select m.development_number as number, m.id as member_id
          from number_ranges r join members m on ${HOLDS_NUMBER_OF_R}
          where r.id = ${r.id}
          order by m.development_number`.execute(db),
        db.selectFrom('number_voids').select(['number', 'reason', 'voided_at']).where('range_id', '=', r.id).orderBy('number').execute(),
      ]);
      const taken = [...used.rows.map((u) => u.number), ...voided.map((v) => v.number)];
      return {
        ...rangeView(r, { used: used.rows.length, voided: voided.length }),
        used: used.rows.map((u) => ({ number: u.number, memberId: u.member_id })),
        voided: voided.map((v) => ({ number: v.number, reason: v.reason, voidedAt: iso(v.voided_at)! })),
        open: openNumbers(r, taken),
      };
    },
  );
}

function voidRoute(app: Api, { db }: AppDeps): void {
  app.post(
    '/numbers/void',
    {
      schema: {
        summary: 'R19: a number that will not be used is voided with a reason (by the organization it was issued to or a committee above)',
        body: NumberVoid,
        response: { 201: NumberVoided, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = req.principal;
      const { number, reason } = req.body;
      const refuse = (message: string) => DomainError.rule('R19', message, [{ field: 'body.number', message, rule: 'R19' }]);
      const range = await rangeOf(db, number);
      if (!range) throw refuse('not a number of any range');
      authorize(p, 'numbers.void', { orgPath: range.org_path });
      const used = 'this number is used by a member: it is accounted for';
      if (await numberHolder(db, number)) throw refuse(used);
      const r = await recordOnce(
        db,
        {
          idempotency_key: `numbers.voided:${number}`,
          org_id: range.org_id,
          type: 'numbers.voided',
          actor_id: p.actorId,
          payload: { rangeId: range.id, number, reason },
        },
        async (tx) => {
          // Checked again under the number's lock: a check-in taking it meanwhile wins, and the void is refused.
          await lockDevelopmentNumber(tx, number);
          if (await numberHolder(tx, number)) throw refuse(used);
          await tx.insertInto('number_voids').values({ number, range_id: range.id, reason, voided_by: p.actorId }).execute();
        },
      );
      if (!r.applied) throw DomainError.conflict('this number is already voided', 'R19');
      return reply.code(201).send({ number, rangeId: range.id });
    },
  );
}

/** The member record holding a development number, if any. */
function numberHolder(q: Db | Tx, number: string) {
  return q.selectFrom('members').select('id').where('development_number', '=', number).executeTakeFirst();
}

export function numbersRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    issueRoute(app, deps);
    listRoute(app, deps);
    detailRoute(app, deps);
    voidRoute(app, deps);
  };
}
