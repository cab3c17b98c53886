// Members: read (ID number masked unless the reader may see it whole) and edit (R4-R6).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from './deps';
import { authorize, mayReadFullIdNumber } from '../domain/authz';
import { DomainError, type FieldProblem } from '../domain/errors';
import { maskIdNumber } from '../domain/identifiers';
import { LOCKED_FIELDS, MemberPatch, REVIEWED_FIELDS } from '../domain/members';
import { recordOnce, type Db } from '../db';
import { errorResponses, iso, notFound, UuidParams } from './schemas';

const MemberView = z.object({
  id: z.uuid(),
  name: z.string(),
  idNumber: z.string(),
  idNumberMasked: z.boolean(),
  joinDate: z.string(),
  developmentNumber: z.string().nullable(),
  branchId: z.string().nullable(),
  status: z.string(),
  locked: z.boolean(),
  lockedFields: z.array(z.string()),
  details: z.record(z.string(), z.unknown()),
  updatedAt: z.string(),
  /** The member's history, newest first: every event about them (processes, edits), without payloads (PII). */
  history: z.array(z.object({ at: z.string(), type: z.string(), orgId: z.string().nullable(), processId: z.string().nullable() })),
});

/** How many of a member's events the record shows (newest first). */
const HISTORY_LIMIT = 200;

async function loadMember(db: Db, id: string) {
  const row = await db
    .selectFrom('members')
    .leftJoin('organizations', 'organizations.id', 'members.branch_id')
    .selectAll('members')
    .select('organizations.path as branch_path')
    .where('members.id', '=', id)
    .executeTakeFirst();
  return row ?? notFound('member');
}

export function memberRoutes({ db }: AppDeps): FastifyPluginAsyncZod {
  const view = async (id: string, reader: Parameters<typeof mayReadFullIdNumber>[0]) => {
    const m = await loadMember(db, id);
    const target = { orgPath: m.branch_path ?? '', memberId: m.id };
    authorize(reader, 'member.read', target);
    const full = mayReadFullIdNumber(reader, target);
    const events = await db
      .selectFrom('events')
      .select(['occurred_at', 'type', 'org_id', 'process_id'])
      .where('member_id', '=', m.id)
      .orderBy('id', 'desc')
      .limit(HISTORY_LIMIT)
      .execute();
    return {
      id: m.id,
      name: m.name,
      idNumber: full ? m.id_number : maskIdNumber(m.id_number),
      idNumberMasked: !full,
      joinDate: m.join_date,
      developmentNumber: m.development_number,
      branchId: m.branch_id,
      status: m.status,
      locked: m.locked_at !== null,
      lockedFields: m.locked_at !== null ? [...LOCKED_FIELDS] : [],
      details: m.details as Record<string, unknown>,
      updatedAt: iso(m.updated_at)!,
      history: events.map((e) => ({ at: iso(e.occurred_at)!, type: e.type, orgId: e.org_id, processId: e.process_id })),
    };
  };

  return async (app) => {
    app.get('/members/:id', { schema: { summary: 'A member record', params: UuidParams, response: { 200: MemberView, ...errorResponses } } }, async (req) =>
      view(req.params.id, req.principal),
    );

    app.patch(
      '/members/:id',
      {
        schema: {
          summary: 'Edit a member: other personal data directly (R6); the four approved fields are locked (R4)',
          params: UuidParams,
          body: MemberPatch,
          response: { 200: MemberView, ...errorResponses },
        },
      },
      async (req) => {
        const m = await loadMember(db, req.params.id);
        authorize(req.principal, 'member.update', { orgPath: m.branch_path ?? '', memberId: m.id });
        const patch = req.body;
        const problems: FieldProblem[] = [];
        for (const f of LOCKED_FIELDS) {
          if (patch[f] === undefined) continue;
          problems.push(
            m.locked_at
              ? { field: `body.${f}`, rule: 'R4', message: `${f} is locked since the check-in was approved` }
              : { field: `body.${f}`, rule: 'R2', message: `${f} is corrected by submitting the check-in again` },
          );
        }
        if (m.locked_at) {
          for (const f of REVIEWED_FIELDS) {
            if (patch[f] !== undefined) problems.push({ field: `body.${f}`, rule: 'R5', message: `${f} changes need the branch's review` });
          }
        }
        if (problems.length > 0) throw DomainError.rule(problems[0]!.rule!, problems.map((p) => p.message).join('; '), problems);
        const changed = Object.keys(patch);
        if (changed.length > 0) {
          const details = { ...(m.details as Record<string, unknown>), ...patch };
          await recordOnce(
            db,
            {
              idempotency_key: `member:${m.id}:updated:${randomUUID()}`,
              member_id: m.id,
              org_id: m.branch_id,
              type: 'member.updated',
              actor_id: req.principal.actorId,
              // Field names only: values may be personal data.
              payload: { fields: changed },
            },
            async (tx) => {
              await tx
                .updateTable('members')
                .set({ details: JSON.stringify(details), updated_at: new Date() })
                .where('id', '=', m.id)
                .execute();
            },
          );
        }
        return view(m.id, req.principal);
      },
    );
  };
}
