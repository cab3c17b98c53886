// Disciplinary handling (R18): open a case, upload its materials, record the talk and the meeting's decision.
// Verification, approval, the spot check and the probation review are decisions on /api/processes/{id}/decisions.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Api, AppDeps } from './deps';
import { authorize } from '../domain/authz';
import { DomainError } from '../domain/errors';
import { DisciplineStart, MeetingDecision, TalkRecord } from '../domain/discipline';
import type { Db } from '../db';
import { disciplineStarter } from '../temporal/discipline-start';
import { loadProcess } from '../services/processes';
import { meetingUpdate, talkUpdate } from '../processes/messages';
import { errorResponses, notFound, UuidParams } from './schemas';
import { DisciplineOpened, MaterialHeaders, MaterialParams, MaterialStored, StepAnswer } from '../contract/discipline';
import { toDomainError } from '../temporal/errors';
import { acceptFiles, receivedFile, type FilePolicy } from './uploads';

/** Materials are scans and documents; a case's file is at most this large. */
export const MAX_MATERIAL_BYTES = 5 * 1024 * 1024;
/** Materials are stored as sent (their first bytes are not checked: any scan or document of the case). */
const MATERIALS: FilePolicy = { types: ['application/pdf', 'image/jpeg', 'image/png', 'application/octet-stream'], maxBytes: MAX_MATERIAL_BYTES };

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

/** POST /discipline (R18): the branch opens a case; answers once the case is recorded. */
function openRoute(app: Api, { db, client, config }: AppDeps): void {
  const start = disciplineStarter({ db, client, config });
  app.post(
    '/discipline',
    {
      schema: {
        summary: 'R18: the branch opens a disciplinary case (the daily dues check opens removal cases by itself)',
        body: DisciplineStart,
        response: { 201: DisciplineOpened, ...errorResponses },
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
      // Answers once the workflow has recorded the case, so it is readable at once.
      const r = await start({ ...req.body, startedBy: req.principal.actorId }, { wait: true });
      if ('refused' in r) throw DomainError.rule('R18', r.refused, [{ field: 'body.memberId', message: r.refused, rule: 'R18' }]);
      if (!r.created) throw DomainError.conflict('a disciplinary case is already open for this member', 'R18');
      return reply.code(201).send(r.recorded!);
    },
  );
}

/** POST /discipline/:id/materials (R18): one material of the case, stored with its SHA-256. */
function uploadRoute(app: Api, { db }: AppDeps): void {
  app.post(
    '/discipline/:id/materials',
    {
      schema: {
        summary: `R18: upload one material of the case (PDF or image, at most ${MAX_MATERIAL_BYTES / 1024 / 1024} MiB); stored with its SHA-256`,
        params: UuidParams,
        headers: MaterialHeaders,
        response: {
          201: MaterialStored,
          200: MaterialStored,
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const { row, branchPath } = await caseOf(db, req.params.id);
      authorize(req.principal, 'discipline.decide', { orgPath: branchPath });
      if (row.closed_at || !['verification', 'talk', 'meeting'].includes(row.step))
        throw DomainError.conflict('materials are uploaded before the meeting decides', 'R18');
      const { content: body, contentType, sha256 } = receivedFile(req, MATERIALS);
      const id = randomUUID();
      const inserted = await db
        .insertInto('discipline_materials')
        .values({
          id,
          process_id: row.id,
          filename: req.headers['x-filename'],
          content_type: contentType,
          size: body.length,
          sha256,
          content: body,
          uploaded_by: req.principal.actorId,
        })
        .onConflict((oc) => oc.columns(['process_id', 'sha256']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted) return reply.code(201).send({ id, sha256, size: body.length });
      // The same file again: the stored one.
      const existing = await db
        .selectFrom('discipline_materials')
        .select(['id', 'size'])
        .where('process_id', '=', row.id)
        .where('sha256', '=', sha256)
        .executeTakeFirstOrThrow();
      return reply.code(200).send({ id: existing.id, sha256, size: existing.size });
    },
  );
}

/** GET /discipline/:id/materials/:materialId (R18). */
function materialRoute(app: Api, { db }: AppDeps): void {
  app.get('/discipline/:id/materials/:materialId', { schema: { summary: "R18: one of the case's materials", params: MaterialParams } }, async (req, reply) => {
    const { branchPath, row } = await caseOf(db, req.params.id);
    authorize(req.principal, 'process.read', { orgPath: branchPath, memberId: row.member_id });
    const m = await db
      .selectFrom('discipline_materials')
      .selectAll()
      .where('id', '=', req.params.materialId)
      .where('process_id', '=', row.id)
      .executeTakeFirst();
    if (!m) notFound('material');
    return reply.header('content-type', m.content_type).header('x-sha256', m.sha256).send(m.content);
  });
}

/** POST /discipline/:id/talk (R18 step 2). */
function talkRoute(app: Api, { db, client }: AppDeps): void {
  app.post(
    '/discipline/:id/talk',
    {
      schema: {
        summary: 'R18 step 2: the talk with the member, recorded by the branch',
        params: UuidParams,
        body: TalkRecord,
        response: { 200: StepAnswer, ...errorResponses },
      },
    },
    async (req) => {
      const { row } = await caseOf(db, req.params.id);
      authorize(req.principal, 'discipline.decide', { orgPath: row.org_path });
      try {
        const r = await client.workflow
          .getHandle(row.workflow_id)
          .executeUpdate(talkUpdate, { args: [{ ...req.body, actorId: req.principal.actorId, actorRole: req.principal.role, step: row.step }] });
        return { processId: row.id, step: r.step };
      } catch (e) {
        throw toDomainError(e, 'disciplinary case');
      }
    },
  );
}

/** POST /discipline/:id/decision (R18 step 3). */
function meetingRoute(app: Api, { db, client }: AppDeps): void {
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
      const materials = await db
        .selectFrom('discipline_materials')
        .select(['id', 'sha256'])
        .where('process_id', '=', row.id)
        .where('id', 'in', req.body.materialIds)
        .execute();
      if (materials.length !== new Set(req.body.materialIds).size) {
        throw DomainError.rule('R18', 'every material must be uploaded to this case first', [
          { field: 'body.materialIds', message: 'unknown material for this case', rule: 'R18' },
        ]);
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
}

export function disciplineRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    acceptFiles(app, MATERIALS);

    openRoute(app, deps);
    uploadRoute(app, deps);
    materialRoute(app, deps);
    talkRoute(app, deps);
    meetingRoute(app, deps);
  };
}
