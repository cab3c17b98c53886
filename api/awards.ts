// R23: rewards (表彰) and punishments (处分) of members. The member's branch or a committee above records one
// (each entry and its `award.recorded` event in one transaction); the member, the branch and the levels above read
// them; the organization that recorded a punishment, or one above, revokes it (撤销) with a reason: an event, and
// the record stays. A disciplinary sanction is recorded by its R18 case (activities/awards.ts), never by hand.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Api, AppDeps } from './deps';
import { authorize } from '../domain/authz';
import { AwardBody, RevocationBody } from '../domain/campaigns';
import { Sanction } from '../domain/discipline';
import { DomainError } from '../domain/errors';
import { officeDay } from '../domain/office-day';
import { recordOnce, type Db } from '../db';
import { transitionMember } from '../db/member-state';
import type { Selectable } from 'kysely';
import type { AwardsTable } from '../db/schema';
import { awardCounts, awardFields, insertAward, revokedPayload } from '../db/queries/awards';
import { answerOnce } from './idempotency';
import { loadMember } from './members';
import { errorResponses, IdParams, iso, notFound, statisticsOrg, UuidParams } from './schemas';
import { AwardList, AwardRecorded, AwardStatistics, AwardView, IdempotencyHeaders } from '../contract/awards';

function viewOf(a: Selectable<AwardsTable>): AwardView {
  return {
    id: a.id,
    ...awardFields(a),
    orgId: a.org_id,
    sourceProcessId: a.source_process_id,
    recordedAt: iso(a.recorded_at)!,
    revokedAt: iso(a.revoked_at),
    revokeReason: a.revoke_reason,
  };
}

/** R18's sanctions (but none) by code and by their Chinese names: recorded by the disciplinary case, not by hand. */
const SANCTION_KINDS = new Set<string>([...Sanction.options.filter((s) => s !== 'none'), '警告', '严重警告', '撤销团内职务', '留团察看', '开除团籍', '除名']);

/** Whether a kind entered by hand names an R18 sanction (whatever its case or inner spaces). */
function isSanctionKind(kind: string): boolean {
  return SANCTION_KINDS.has(kind.toLowerCase().replace(/\s+/g, ''));
}

/** Members who were never admitted (a check-in pending, returned or withdrawn) have no rewards or punishments. */
const NOT_ADMITTED = ['pending', 'returned', 'withdrawn'];

function refuse(field: string, message: string): DomainError {
  return DomainError.rule('R23', `R23: ${message}`, [{ field, message, rule: 'R23' }]);
}

/** POST /members/:id/awards (R23). */
function recordRoute(app: Api, db: Db): void {
  app.post(
    '/members/:id/awards',
    {
      schema: {
        summary: "R23: the member's branch or a committee above records a reward (表彰) or a punishment (处分); R18 sanctions are recorded by their case",
        params: UuidParams,
        headers: IdempotencyHeaders,
        body: AwardBody,
        response: { 201: AwardRecorded, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = req.principal;
      const answer = await answerOnce(db, p.actorId, req.headers['idempotency-key'], { id: req.params.id, ...req.body }, async () => {
        const m = await loadMember(db, req.params.id);
        authorize(p, 'award.record', { orgPath: m.branch_path ?? '', memberId: m.id });
        const b = req.body;
        if (isSanctionKind(b.kind)) throw refuse('body.kind', `"${b.kind}" is a disciplinary sanction (R18): it is recorded by the disciplinary case`);
        if (NOT_ADMITTED.includes(m.status)) throw refuse('params.id', `the member is ${m.status}: not admitted to the league`);
        if (b.decidedOn > officeDay()) throw refuse('body.decidedOn', 'the decision date is not in the future');
        // The recording organization: the caller's (the branch, or the committee above that decided to record it).
        const org = p.orgId && p.orgPath ? { id: p.orgId, path: p.orgPath } : { id: m.branch_id!, path: m.branch_path! };
        const id = randomUUID();
        await db.transaction().execute((tx) =>
          insertAward(tx, {
            id,
            member_id: m.id,
            org_id: org.id,
            org_path: org.path,
            type: b.type,
            kind: b.kind,
            level: b.level,
            decided_on: b.decidedOn,
            deciding_org: b.decidingOrg,
            document_number: b.documentNumber,
            source_process_id: null,
            recorded_by: p.actorId,
          }),
        );
        return { statusCode: 201, response: { id } };
      });
      return reply.code(answer.statusCode as 201).send(answer.response);
    },
  );
}

/** GET /members/:id/awards (R23): every entry, newest decision first, revoked ones with their revocation. */
function listRoute(app: Api, db: Db): void {
  app.get(
    '/members/:id/awards',
    {
      schema: {
        summary: "R23: the member's rewards and punishments (revoked punishments stay, with the revocation); the member, the branch and the levels above",
        params: UuidParams,
        response: { 200: AwardList, ...errorResponses },
      },
    },
    async (req) => {
      const m = await loadMember(db, req.params.id);
      authorize(req.principal, 'award.read', { orgPath: m.branch_path ?? '', memberId: m.id });
      const rows = await db
        .selectFrom('awards')
        .selectAll()
        .where('member_id', '=', m.id)
        .orderBy('decided_on', 'desc')
        .orderBy('recorded_at', 'desc')
        .limit(1000)
        .execute();
      return { items: rows.map(viewOf) };
    },
  );
}

/** POST /awards/:id/revocation (R23): a punishment, by the organization that recorded it or one above. */
function revokeRoute(app: Api, db: Db): void {
  app.post(
    '/awards/:id/revocation',
    {
      schema: {
        summary: 'R23: the organization that recorded a punishment, or one above, revokes it (撤销) with a reason; the record stays',
        params: UuidParams,
        body: RevocationBody,
        response: { 200: AwardView, ...errorResponses },
      },
    },
    async (req) => {
      const p = req.principal;
      const a = (await db.selectFrom('awards').selectAll().where('id', '=', req.params.id).executeTakeFirst()) ?? notFound('award');
      authorize(p, 'award.revoke', { orgPath: a.org_path });
      if (a.type !== 'punishment') throw refuse('params.id', 'only a punishment is revoked');
      const alreadyRevoked = () => DomainError.conflict('R23: this punishment is already revoked', 'R23');
      if (a.revoked_at) throw alreadyRevoked();
      const { reason } = req.body;
      const now = new Date();
      const r = await recordOnce(
        db,
        {
          idempotency_key: `award:${a.id}:revoked`,
          member_id: a.member_id,
          org_id: p.orgId,
          type: 'award.revoked',
          actor_id: p.actorId,
          payload: revokedPayload(a, reason),
        },
        async (tx) => {
          await tx.updateTable('awards').set({ revoked_at: now, revoked_by: p.actorId, revoke_reason: reason }).where('id', '=', a.id).execute();
          // R23/R25: revoking a case's sanction undoes what it did to the member (status and sanction), through the
          // transition table; posts ended by 撤销团内职务 are not given back (R8: a post is entered anew).
          if (a.source_process_id) {
            const undone = await transitionMember(tx, {
              memberId: a.member_id,
              effect: 'revoke',
              processId: a.source_process_id,
              revokes: { processId: a.source_process_id, sanction: a.kind },
              now,
            });
            await tx
              .insertInto('events')
              .values({
                idempotency_key: `award:${a.id}:member`,
                member_id: a.member_id,
                org_id: p.orgId,
                type: undone.ok ? 'member.restored' : 'member.not-restored',
                actor_id: p.actorId,
                payload: JSON.stringify(
                  undone.ok
                    ? { awardId: a.id, sanction: a.kind, from: undone.from, to: undone.to, rule: 'R23' }
                    : { awardId: a.id, sanction: a.kind, status: undone.status, reason: undone.message, rule: 'R25' },
                ),
              })
              .execute();
          }
        },
      );
      if (!r.applied) throw alreadyRevoked();
      return viewOf({ ...a, revoked_at: now, revoked_by: p.actorId, revoke_reason: reason });
    },
  );
}

/** GET /organizations/:id/awards/statistics (R23): the entries recorded in the subtree. */
function statisticsRoute(app: Api, db: Db): void {
  app.get(
    '/organizations/:id/awards/statistics',
    {
      schema: {
        summary: "R23: rewards and punishments recorded in the organization's subtree (revoked punishments counted apart), by kind",
        params: IdParams,
        response: { 200: AwardStatistics, ...errorResponses },
      },
    },
    async (req) => {
      const org = await statisticsOrg(db, req.principal, req.params.id, 'award.read');
      return { orgId: org.id, ...(await awardCounts(db, org.path)) };
    },
  );
}

export function awardsRoutes({ db }: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    recordRoute(app, db);
    listRoute(app, db);
    revokeRoute(app, db);
    statisticsRoute(app, db);
  };
}
