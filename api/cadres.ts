// R8: an organization's cadres (团干部): enter one, list them, end a term. Entering or ending writes its event
// (`cadre.entered`, `cadre.ended`: no name, no ID number) and the cadres row in one transaction (recordOnce; an end through endCadre, keyed the same). A
// cadre who is also a member stays a member: the two are linked by ID number and nothing in members changes.
// R21: a branch's current secretary is what clears its "no secretary" flag (api/health.ts, GET /organizations/{id}).
// R8/R25: "current" is one definition (db/queries/cadres.ts currentPost): not ended, term not passed, holder not left.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Api, AppDeps } from './deps';
import { authorize, type Principal } from '../domain/authz';
import { CadreBody, cadreEventPayload, cadreRoleProblem, EndCadreBody } from '../domain/cadres';
import { DomainError } from '../domain/errors';
import { personalView } from '../domain/privacy';
import { officeDay } from '../domain/office-day';
import { recordOnce, type Db } from '../db';
import type { CadresTable } from '../db/schema';
import { cadreEndedEvent, currentPost, endCadre, endLapsedPosts, isCurrentPost, ONE_CURRENT_POST } from '../db/queries/cadres';
import { errorResponses, IdParams, iso, notFound } from './schemas';
import { CadreList, CadreParams, CadreView } from '../contract/cadres';

type CadreRow = Omit<CadresTable, 'created_at' | 'ended_at'> & { ended_at: Date | null; member_id: string | null; current: boolean };

/** A cadre as `reader` sees them: the person's organization is the one holding the post (domain/privacy.ts). */
function viewOf(row: CadreRow, reader: Principal): CadreView {
  const view = personalView(reader, { orgPath: row.org_path, memberId: row.member_id });
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    idNumber: view.show('idNumber', row.id_number),
    role: row.role,
    post: row.post,
    termStart: row.term_start,
    termEnd: row.term_end,
    endedAt: iso(row.ended_at),
    current: row.current,
    memberId: row.member_id,
  };
}

/** The cadres of an organization with their linked member and whether each post is current on the office day `today`. */
function cadreRows(db: Db, orgId: string, today: string) {
  return db
    .selectFrom('cadres')
    .leftJoin('members', 'members.id_number', 'cadres.id_number')
    .select([
      'cadres.id',
      'cadres.org_id',
      'cadres.org_path',
      'cadres.name',
      'cadres.id_number',
      'cadres.role',
      'cadres.post',
      'cadres.term_start',
      'cadres.term_end',
      'cadres.entered_by',
      'cadres.ended_at',
      'members.id as member_id',
      currentPost('cadres', today).as('current'),
    ])
    .where('cadres.org_id', '=', orgId);
}

async function orgOf(db: Db, id: string) {
  const org = await db.selectFrom('organizations').select(['id', 'path', 'kind']).where('id', '=', id).executeTakeFirst();
  return org ?? notFound('organization');
}

/** The unique index that keeps one current secretary per organization (migration 0008). */
const ONE_SECRETARY = 'cadres_one_secretary';
const secondSecretary = () => DomainError.conflict('R8: the organization already has a current secretary; end their term first', 'R8');
const samePerson = () => DomainError.conflict('R8: this person already holds a current post here', 'R8');

/** POST /organizations/:id/cadres (R8). */
function enterRoute(app: Api, { db }: AppDeps): void {
  app.post(
    '/organizations/:id/cadres',
    {
      schema: {
        summary: 'R8: enter a cadre: a committee its committee members and staff, a general branch its committee members, a branch only its secretary',
        params: IdParams,
        body: CadreBody,
        response: { 201: CadreView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const org = await orgOf(db, req.params.id);
      authorize(req.principal, 'cadre.write', { orgPath: org.path });
      const b = req.body;
      const problem = cadreRoleProblem(org.kind, b.role);
      if (problem) throw DomainError.rule('R8', problem.message, [problem]);
      const now = new Date();
      const current = await db
        .selectFrom('cadres')
        .select(['role', 'id_number'])
        .where('org_id', '=', org.id)
        .where(currentPost('cadres', officeDay(now)))
        .where((eb) => eb.or([eb('role', '=', 'secretary'), eb('id_number', '=', b.idNumber)]))
        .execute();
      if (current.some((c) => c.id_number === b.idNumber)) throw samePerson();
      if (b.role === 'secretary' && current.some((c) => c.role === 'secretary')) throw secondSecretary();
      const member = await db.selectFrom('members').select(['id', 'status']).where('id_number', '=', b.idNumber).executeTakeFirst();
      const row = {
        id: randomUUID(),
        org_id: org.id,
        org_path: org.path,
        name: b.name,
        id_number: b.idNumber,
        role: b.role,
        post: b.post,
        term_start: b.termStart,
        term_end: b.termEnd ?? null,
        entered_by: req.principal.actorId,
      };
      try {
        await recordOnce(
          db,
          {
            idempotency_key: `cadre:${row.id}:entered`,
            type: 'cadre.entered',
            org_id: org.id,
            member_id: member?.id ?? null,
            actor_id: req.principal.actorId,
            payload: cadreEventPayload({ id: row.id, role: row.role, post: row.post, termStart: row.term_start, termEnd: row.term_end }),
          },
          async (tx) => {
            // R8/R25: a post no longer current (term passed, holder left) that still holds the place is closed first.
            await endLapsedPosts(tx, org.id, b.idNumber, b.role, now, req.principal.actorId);
            await tx.insertInto('cadres').values(row).execute();
          },
        );
      } catch (e) {
        // Two entries at the same moment (two secretaries, or the same person twice): the indexes let one in, the other is the same 409.
        const err = e as { code?: string; constraint?: string };
        if (err.code === '23505' && err.constraint === ONE_SECRETARY) throw secondSecretary();
        if (err.code === '23505' && err.constraint === ONE_CURRENT_POST) throw samePerson();
        throw e;
      }
      reply.code(201);
      const isCurrent = isCurrentPost({ ended_at: null, term_end: row.term_end }, member?.status ?? null, officeDay(now));
      return viewOf({ ...row, ended_at: null, member_id: member?.id ?? null, current: isCurrent }, req.principal);
    },
  );
}

/** GET /organizations/:id/cadres (R8). */
function listRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/organizations/:id/cadres',
    {
      schema: {
        summary:
          "R8: an organization's cadres, current ones first, then those whose term ended; ID numbers whole for the organization itself, masked for every level above",
        params: IdParams,
        response: { 200: CadreList, ...errorResponses },
      },
    },
    async (req) => {
      const org = await orgOf(db, req.params.id);
      authorize(req.principal, 'cadre.read', { orgPath: org.path });
      const rows = await cadreRows(db, org.id, officeDay())
        .orderBy('current', 'desc')
        .orderBy('cadres.ended_at', (ob) => ob.desc().nullsFirst())
        .orderBy('cadres.term_start', 'desc')
        .orderBy('cadres.id')
        .limit(1000)
        .execute();
      return { items: rows.map((r) => viewOf(r, req.principal)) };
    },
  );
}

/** POST /organizations/:id/cadres/:cadreId/end (R8). */
function endRoute(app: Api, { db }: AppDeps): void {
  app.post(
    '/organizations/:id/cadres/:cadreId/end',
    {
      schema: {
        summary: "R8: end a cadre's term (on `endedOn`, today when left out); a branch whose secretary's term ended is flagged again (R21)",
        params: CadreParams,
        body: EndCadreBody,
        response: { 200: CadreView, ...errorResponses },
      },
    },
    async (req) => {
      const org = await orgOf(db, req.params.id);
      authorize(req.principal, 'cadre.write', { orgPath: org.path });
      const cadre = await cadreRows(db, org.id, officeDay()).where('cadres.id', '=', req.params.cadreId).executeTakeFirst();
      if (!cadre) notFound('cadre');
      if (cadre.ended_at !== null) throw DomainError.conflict("R8: this cadre's term has already ended", 'R8');
      const endedOn = req.body.endedOn ?? officeDay();
      if (endedOn < cadre.term_start)
        throw DomainError.rule('R8', 'a term cannot end before it starts', [
          { field: 'body.endedOn', rule: 'R8', message: `before the term's start, ${cadre.term_start}` },
        ]);
      const endedAt = new Date();
      // The same event and write as the ends that follow from the member (db/queries/cadres.ts endPostsOfMember).
      const event = cadreEndedEvent(cadre, { termEnd: endedOn, endedOn, memberId: cadre.member_id, actorId: req.principal.actorId });
      const applied = await db.transaction().execute((tx) => endCadre(tx, cadre, endedAt, event, endedOn));
      // Ended by someone else meanwhile: the event's key was taken, nothing was changed here.
      if (!applied) throw DomainError.conflict("R8: this cadre's term has already ended", 'R8');
      return viewOf({ ...cadre, ended_at: endedAt, term_end: endedOn, current: false }, req.principal);
    },
  );
}

export function cadresRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    enterRoute(app, deps);
    listRoute(app, deps);
    endRoute(app, deps);
  };
}
