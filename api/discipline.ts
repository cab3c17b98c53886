// Disciplinary handling (R18): open a case, upload its materials, record the talk and the meeting's decision.
// Verification, approval, the spot check and the probation review are decisions on /api/processes/{id}/decisions.
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { sql } from 'kysely';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from './app';
import { authorize, type Principal } from '../domain/authz';
import { DomainError } from '../domain/errors';
import { singleLine } from '../domain/text';
import { DisciplineStart, MeetingDecision, TalkRecord } from '../domain/discipline';
import type { DecisionBody, DecisionCommand } from '../domain/processes';
import type { Db } from '../db';
import type { ProcessRow } from '../db/schema';
import { disciplineStarter } from '../activities/discipline';
import { disciplineRecordedUpdate, meetingUpdate, talkUpdate } from '../workflows/discipline';
import { loadProcess } from './processes';
import { errorResponses, notFound, UuidParams } from './schemas';
import { toDomainError } from './temporal-errors';

/** Materials are scans and documents; a case's file is at most this large. */
export const MAX_MATERIAL_BYTES = 5 * 1024 * 1024;
const MATERIAL_TYPES = ['application/pdf', 'image/jpeg', 'image/png', 'application/octet-stream'];

async function caseOf(db: Db, id: string) {
  const row = await loadProcess(db, id);
  if (row.kind !== 'discipline') notFound('disciplinary case');
  const member = await db
    .selectFrom('members')
    .innerJoin('organizations', 'organizations.id', 'members.branch_id')
    .select(['organizations.path as branch_path'])
    .where('members.id', '=', row.member_id!)
    .executeTakeFirstOrThrow();
  return { row, branchPath: member.branch_path };
}

/** R18: dues paid in full (every month from the last six complete ones, since activation) before the decision. */
async function duesPaidInFull(db: Db, memberId: string, now = new Date()): Promise<boolean> {
  const r = await sql<{ missing: number }>`
    with m as (select date_trunc('month', coalesce(locked_at, created_at)) as since from members where id = ${memberId}),
    months as (
      select generate_series(
        greatest((select since from m), date_trunc('month', ${now}::timestamptz) - interval '6 months'),
        date_trunc('month', ${now}::timestamptz) - interval '1 month',
        interval '1 month') as month
    )
    select count(*)::int as missing from months
    where not exists (select 1 from dues_payments p where p.member_id = ${memberId} and p.month = months.month::date)`.execute(db);
  return (r.rows[0]?.missing ?? 1) === 0;
}

/** For a decision on a case: the step the caller saw, the caller's role; "resolve" only once dues are paid in full. */
export async function prepareDisciplineDecision(db: Db, row: ProcessRow, body: DecisionBody, p: Principal): Promise<Partial<DecisionCommand>> {
  if (body.action === 'resolve' && !(await duesPaidInFull(db, row.member_id!))) {
    throw DomainError.rule('R18', 'the dues are not paid in full: the case cannot be closed as resolved', [{ field: 'body.action', message: 'unpaid months remain', rule: 'R18' }]);
  }
  return { step: row.step, actorRole: p.role, ...(body.toStep ? { toStep: body.toStep } : {}) };
}

const StepAnswer = z.object({ processId: z.uuid(), step: z.string() });

export function disciplineRoutes({ db, client, config }: AppDeps): FastifyPluginAsyncZod {
  const start = disciplineStarter({ db, client, config });
  return async (app) => {
    app.addContentTypeParser(MATERIAL_TYPES, { parseAs: 'buffer', bodyLimit: MAX_MATERIAL_BYTES }, (_req, body, done) => done(null, body));

    app.post(
      '/discipline',
      {
        schema: {
          summary: 'R18: the branch opens a disciplinary case (the daily dues check opens removal cases by itself)',
          body: DisciplineStart,
          response: { 201: z.object({ processId: z.uuid(), step: z.string(), deadline: z.string() }), ...errorResponses },
        },
      },
      async (req, reply) => {
        const member = await db
          .selectFrom('members')
          .innerJoin('organizations', 'organizations.id', 'members.branch_id')
          .select(['organizations.path'])
          .where('members.id', '=', req.body.memberId)
          .executeTakeFirst();
        if (!member) throw DomainError.notFound('member not found');
        authorize(req.principal, 'discipline.start', { orgPath: member.path });
        const r = await start({ ...req.body, startedBy: req.principal.actorId });
        if ('refused' in r) throw DomainError.rule('R18', r.refused, [{ field: 'body.memberId', message: r.refused, rule: 'R18' }]);
        if (!r.created) throw DomainError.conflict('a disciplinary case is already open for this member', 'R18');
        const recorded = await client.workflow.getHandle(`discipline-${req.body.memberId}`).executeUpdate(disciplineRecordedUpdate);
        return reply.code(201).send(recorded);
      },
    );

    app.post(
      '/discipline/:id/materials',
      {
        schema: {
          summary: `R18: upload one material of the case (PDF or image, at most ${MAX_MATERIAL_BYTES / 1024 / 1024} MiB); stored with its SHA-256`,
          params: UuidParams,
          headers: z.object({ 'x-filename': singleLine(200) }),
          response: { 201: z.object({ id: z.uuid(), sha256: z.string(), size: z.number() }), 200: z.object({ id: z.uuid(), sha256: z.string(), size: z.number() }), ...errorResponses },
        },
      },
      async (req, reply) => {
        const { row, branchPath } = await caseOf(db, req.params.id);
        authorize(req.principal, 'discipline.decide', { orgPath: branchPath });
        if (row.closed_at || !['verification', 'talk', 'meeting'].includes(row.step)) throw DomainError.conflict('materials are uploaded before the meeting decides', 'R18');
        const body = req.body as unknown;
        if (!Buffer.isBuffer(body) || body.length === 0) {
          throw new DomainError({ kind: 'invalid', message: 'the body must be the file itself', fields: [{ field: 'body', message: `send the bytes with a content type among ${MATERIAL_TYPES.join(', ')}` }] });
        }
        const sha256 = createHash('sha256').update(body).digest('hex');
        const id = randomUUID();
        const inserted = await db
          .insertInto('discipline_materials')
          .values({ id, process_id: row.id, filename: req.headers['x-filename'], content_type: req.headers['content-type'] ?? 'application/octet-stream', size: body.length, sha256, content: body, uploaded_by: req.principal.actorId })
          .onConflict((oc) => oc.columns(['process_id', 'sha256']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (inserted) return reply.code(201).send({ id, sha256, size: body.length });
        // The same file again: the stored one.
        const existing = await db.selectFrom('discipline_materials').select(['id', 'size']).where('process_id', '=', row.id).where('sha256', '=', sha256).executeTakeFirstOrThrow();
        return reply.code(200).send({ id: existing.id, sha256, size: existing.size });
      },
    );

    app.get(
      '/discipline/:id/materials/:materialId',
      { schema: { summary: "R18: one of the case's materials", params: z.object({ id: z.uuid(), materialId: z.uuid() }) } },
      async (req, reply) => {
        const { branchPath, row } = await caseOf(db, req.params.id);
        authorize(req.principal, 'process.read', { orgPath: branchPath, memberId: row.member_id });
        const m = await db.selectFrom('discipline_materials').selectAll().where('id', '=', req.params.materialId).where('process_id', '=', row.id).executeTakeFirst();
        if (!m) notFound('material');
        return reply.header('content-type', m.content_type).header('x-sha256', m.sha256).send(m.content);
      },
    );

    app.post(
      '/discipline/:id/talk',
      { schema: { summary: 'R18 step 2: the talk with the member, recorded by the branch', params: UuidParams, body: TalkRecord, response: { 200: StepAnswer, ...errorResponses } } },
      async (req) => {
        const { row } = await caseOf(db, req.params.id);
        authorize(req.principal, 'discipline.decide', { orgPath: row.org_path });
        try {
          const r = await client.workflow.getHandle(row.workflow_id).executeUpdate(talkUpdate, { args: [{ ...req.body, actorId: req.principal.actorId, actorRole: req.principal.role, step: row.step }] });
          return { processId: row.id, step: r.step };
        } catch (e) {
          throw toDomainError(e, 'disciplinary case');
        }
      },
    );

    app.post(
      '/discipline/:id/decision',
      {
        schema: {
          summary: "R18 step 3: the branch meeting's decision, with the uploaded materials",
          params: UuidParams,
          body: MeetingDecision,
          response: { 200: StepAnswer, ...errorResponses },
        },
      },
      async (req) => {
        const { row } = await caseOf(db, req.params.id);
        authorize(req.principal, 'discipline.decide', { orgPath: row.org_path });
        const materials = await db.selectFrom('discipline_materials').select(['id', 'sha256']).where('process_id', '=', row.id).where('id', 'in', req.body.materialIds).execute();
        if (materials.length !== new Set(req.body.materialIds).size) {
          throw DomainError.rule('R18', 'every material must be uploaded to this case first', [{ field: 'body.materialIds', message: 'unknown material for this case', rule: 'R18' }]);
        }
        try {
          const r = await client.workflow
            .getHandle(row.workflow_id)
            .executeUpdate(meetingUpdate, { args: [{ ...req.body, materials, actorId: req.principal.actorId, actorRole: req.principal.role, step: row.step }] });
          return { processId: row.id, step: r.step };
        } catch (e) {
          throw toDomainError(e, 'disciplinary case');
        }
      },
    );
  };
}
