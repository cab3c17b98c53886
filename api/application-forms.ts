// Application forms (R24): for members who joined from 2020 on, the branch uploads the scanned 入团志愿书 after
// the check-in is approved (stored whole with its SHA-256, like the disciplinary materials: api/uploads.ts); the
// branch and every level above list the members whose form is still missing, with the days since approval.
import { sql } from 'kysely';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Api, AppDeps } from './deps';
import { authorize } from '../domain/authz';
import { DomainError } from '../domain/errors';
import { likePrefix, recordOnce, type Db } from '../db';
import { errorResponses, iso, notFound, statisticsOrg, UuidParams } from './schemas';
import { FormUploadHeaders, FormView, MissingPage, MissingQuery } from '../contract/application-forms';
import { decodeCursor, encodeCursor } from './cursor';
import { acceptFiles, decodedFilename, fileBody, receivedFile, type FilePolicy } from './uploads';

import { APPLICATION_FORMS_FROM } from '../domain/member-data';
import { OFFICE_ZONE } from '../domain/office-day';

/** R24: the largest scanned form accepted. */
export const MAX_FORM_BYTES = 10 * 1024 * 1024;
const FORMS: FilePolicy = { types: ['application/pdf', 'image/png', 'image/jpeg'], maxBytes: MAX_FORM_BYTES, checkSignature: { rule: 'R24' } };
const EXTENSIONS: Record<string, string> = { 'application/pdf': 'pdf', 'image/png': 'png', 'image/jpeg': 'jpg' };

async function memberOf(db: Db, id: string) {
  const row = await db
    .selectFrom('members')
    .leftJoin('organizations', 'organizations.id', 'members.branch_id')
    .select(['members.id', 'members.branch_id', 'members.join_date', 'members.locked_at', 'organizations.path as branch_path'])
    .where('members.id', '=', id)
    .executeTakeFirst();
  return row ?? notFound('member');
}

/** 422 R24 unless the member needs a form and may have one: joined from 2020 on, check-in approved. */
function requireEligible(m: { join_date: string; locked_at: Date | null }): void {
  const refuse = (message: string) => DomainError.rule('R24', message, [{ field: 'params.id', message, rule: 'R24' }]);
  if (m.join_date < APPLICATION_FORMS_FROM) throw refuse(`the member joined before ${APPLICATION_FORMS_FROM.slice(0, 4)} and needs no application form`);
  if (m.locked_at === null) throw refuse("the form is uploaded after the member's check-in is approved");
}

/** PUT /members/:id/application-form (R24): the branch uploads the form; a new file replaces the one kept. */
function uploadRoute(app: Api, { db }: AppDeps): void {
  app.put(
    '/members/:id/application-form',
    {
      schema: {
        summary: `R24: the branch uploads the member's scanned application form (入团志愿书; PDF, PNG or JPEG, at most ${MAX_FORM_BYTES / 1024 / 1024} MiB), for members who joined from 2020 on after their check-in is approved; kept with its SHA-256, a new file replaces it`,
        consumes: [...FORMS.types],
        params: UuidParams,
        headers: FormUploadHeaders,
        body: fileBody('the scanned form: a PDF, PNG or JPEG file'),
        response: { 201: FormView, 200: FormView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = await memberOf(db, req.params.id);
      authorize(req.principal, 'form.upload', { orgPath: m.branch_path ?? '', memberId: m.id });
      requireEligible(m);
      const file = receivedFile(req, FORMS);
      const filename = decodedFilename(req.headers['x-filename'], 'x-filename') ?? `application-form.${EXTENSIONS[file.contentType]}`;
      const current = await db.selectFrom('application_forms').select(['sha256', 'uploaded_at']).where('member_id', '=', m.id).executeTakeFirst();
      const kept = async () => {
        const row = await db.selectFrom('application_forms').select(['sha256', 'size', 'uploaded_at']).where('member_id', '=', m.id).executeTakeFirstOrThrow();
        return reply.code(200).send({ memberId: m.id, sha256: row.sha256, size: row.size, uploadedAt: iso(row.uploaded_at)! });
      };
      if (current?.sha256 === file.sha256) return kept();
      const uploadedAt = new Date();
      // Keyed by the file replaced: the same upload sent twice at once writes one event; A, B, then A again writes three.
      const replaced = current ? iso(current.uploaded_at) : 'none';
      const { applied } = await recordOnce(
        db,
        {
          idempotency_key: `application-form.uploaded:${m.id}:${replaced}:${file.sha256}`,
          process_id: null,
          member_id: m.id,
          org_id: m.branch_id,
          type: 'application-form.uploaded',
          actor_id: req.principal.actorId,
          // No file name: it may carry the member's name (no PII in events' payloads and logs).
          payload: { sha256: file.sha256, size: file.size, contentType: file.contentType, replaced: current?.sha256 ?? null },
        },
        async (tx) => {
          const row = { filename, content_type: file.contentType, size: file.size, sha256: file.sha256, content: file.content };
          await tx
            .insertInto('application_forms')
            .values({ member_id: m.id, ...row, uploaded_by: req.principal.actorId, uploaded_at: uploadedAt })
            .onConflict((oc) => oc.column('member_id').doUpdateSet({ ...row, uploaded_by: req.principal.actorId, uploaded_at: uploadedAt }))
            .execute();
        },
      );
      if (!applied) return kept();
      return reply.code(201).send({ memberId: m.id, sha256: file.sha256, size: file.size, uploadedAt: uploadedAt.toISOString() });
    },
  );
}

/** A file name for `filename*=` (RFC 5987): percent-encoded UTF-8, with the characters that header keeps for itself encoded too. */
function rfc5987(name: string): string {
  return encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** GET /members/:id/application-form (R24): the file, for the member, the branch and every level above. */
function downloadRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/members/:id/application-form',
    {
      schema: {
        summary: "R24: the member's application form as uploaded (its content type; x-sha256 carries its SHA-256)",
        params: UuidParams,
      },
    },
    async (req, reply) => {
      const m = await memberOf(db, req.params.id);
      authorize(req.principal, 'form.read', { orgPath: m.branch_path ?? '', memberId: m.id });
      const f = await db.selectFrom('application_forms').selectAll().where('member_id', '=', m.id).executeTakeFirst();
      if (!f) notFound('application form');
      return reply
        .header('content-type', f.content_type)
        .header('x-sha256', f.sha256)
        .header('content-disposition', `attachment; filename*=UTF-8''${rfc5987(f.filename)}`)
        .send(f.content);
    },
  );
}

/** A page boundary: the approval time (to the microsecond, as PostgreSQL keeps it) and the member id. */
const Cursor = z.tuple([z.iso.datetime(), z.uuid()]);

/** A name in a list: its first character, then a star. */
export function maskName(name: string): string {
  return `${Array.from(name)[0] ?? ''}*`;
}

/** The members of the subtree who need a form and have none: active (or on probation), joined from 2020 on, approved. */
function missingForms(db: Db, path: string) {
  return db
    .selectFrom('members as m')
    .innerJoin('organizations as o', 'o.id', 'm.branch_id')
    .where('o.path', 'like', likePrefix(path))
    .where('m.status', 'in', ['active', 'probation'])
    .where('m.join_date', '>=', APPLICATION_FORMS_FROM)
    .where('m.locked_at', 'is not', null)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('application_forms as f').select('f.member_id').whereRef('f.member_id', '=', 'm.id'))));
}

/** GET /application-forms/missing (R24): who still needs a form, longest waiting first. */
function missingRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/application-forms/missing',
    {
      schema: {
        summary:
          'R24: members of the subtree (joined from 2020 on, check-in approved) whose application form is missing, longest waiting first, with the days since approval (Asia/Shanghai); names masked',
        querystring: MissingQuery,
        response: { 200: MissingPage, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const org = await statisticsOrg(db, req.principal, q.orgId, 'form.read');
      const after = q.cursor ? decodeCursor(Cursor, q.cursor, 'querystring.cursor') : undefined;
      const { total } = await missingForms(db, org.path)
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .executeTakeFirstOrThrow();
      const rows = await missingForms(db, org.path)
        .select(['m.id', 'm.name', 'm.branch_id', 'm.locked_at'])
        .select(sql<string>`to_char(m.locked_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('locked_key'))
        .select(sql<number>`(now() at time zone ${OFFICE_ZONE})::date - (m.locked_at at time zone ${OFFICE_ZONE})::date`.as('days'))
        .$if(!!after, (b) => b.where(sql<boolean>`(m.locked_at, m.id) > (${after![0]}::timestamptz, ${after![1]}::uuid)`))
        .orderBy('m.locked_at')
        .orderBy('m.id')
        .limit(q.limit + 1)
        .execute();
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return {
        total,
        items: page.map((r) => ({
          memberId: r.id,
          name: maskName(r.name),
          branchId: r.branch_id!,
          approvedAt: iso(r.locked_at)!,
          daysSinceApproval: r.days,
        })),
        nextCursor: rows.length > q.limit && last ? encodeCursor([last.locked_key, last.id]) : null,
      };
    },
  );
}

export function applicationFormsRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    acceptFiles(app, FORMS);
    uploadRoute(app, deps);
    downloadRoute(app, deps);
    missingRoute(app, deps);
  };
}
