// Members: read (personal data as domain/privacy.ts shows it to the reader), edit (R4-R6), and their whole history.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from './deps';
import { authorize, type Principal } from '../domain/authz';
import { DomainError, type FieldProblem } from '../domain/errors';
import { personalView, type PersonalView } from '../domain/privacy';
import { LOCKED_FIELDS, MemberPatch, REVIEWED_FIELDS } from '../domain/members';
import { PARTY_STATUSES, applicationFormRequired, fieldChanges, historyCategory, type FieldChange } from '../domain/member-data';
import { sql } from 'kysely';
import { recordOnce, type Db } from '../db';
import { currentPost } from '../db/queries/cadres';
import { officeDay } from '../domain/office-day';
import { errorResponses, iso, notFound, UuidParams } from './schemas';
import { HistoryPage, HistoryQuery, MemberView } from '../contract/members';
import { awardHistory } from '../db/queries/awards';
import type { Api } from './deps';

/** How many of a member's events the record shows (newest first). */
const HISTORY_LIMIT = 200;

/** A member record with its branch (404 if unknown). */
export async function loadMember(db: Db, id: string) {
  const row = await db
    .selectFrom('members')
    .leftJoin('organizations', 'organizations.id', 'members.branch_id')
    .selectAll('members')
    .select(['organizations.path as branch_path', 'organizations.parent_id as branch_parent_id', 'organizations.kind as branch_kind'])
    .where('members.id', '=', id)
    .executeTakeFirst();
  return row ?? notFound('member');
}

type Reader = Principal;

/** The issue-13 parts of the record: pending changes (R5/R7), Party membership, cadre posts (R8), R19 and R24. */
async function memberData(db: Db, m: Awaited<ReturnType<typeof loadMember>>, view: PersonalView) {
  const [pending, cadrePosts, form] = await Promise.all([
    db
      .selectFrom('member_changes')
      .select(['process_id', 'kind', 'fields', 'submitted_at'])
      .where('member_id', '=', m.id)
      .where('status', '=', 'pending')
      .orderBy('submitted_at')
      .execute(),
    db
      .selectFrom('cadres')
      .select(['org_id', 'role', 'post'])
      .where('id_number', '=', m.id_number)
      .where(currentPost('cadres', officeDay()))
      .orderBy('term_start')
      .execute(),
    db.selectFrom('application_forms').select(['uploaded_at', 'sha256']).where('member_id', '=', m.id).executeTakeFirst(),
  ]);
  const details = m.details as Record<string, unknown>;
  return {
    pending: pending.map((c) => ({
      processId: c.process_id,
      kind: c.kind,
      fields: view.fields(c.fields as Record<string, unknown>),
      submittedAt: iso(c.submitted_at)!,
    })),
    partyMember: typeof details.politicalStatus === 'string' && PARTY_STATUSES.includes(details.politicalStatus),
    cadrePosts: cadrePosts.map((c) => ({ orgId: c.org_id, role: c.role, post: c.post })),
    meetingDate: m.meeting_date,
    lateEntry: m.late_entry,
    applicationForm: { required: applicationFormRequired(m.join_date), uploadedAt: iso(form?.uploaded_at ?? null), sha256: form?.sha256 ?? null },
  };
}

async function memberView(db: Db, id: string, reader: Reader) {
  const m = await loadMember(db, id);
  const target = { orgPath: m.branch_path ?? '', memberId: m.id };
  authorize(reader, 'member.read', target);
  // One privacy policy (issue 20): the record shows what the history and the lists show this reader.
  const view = personalView(reader, target);
  const [events, data] = await Promise.all([
    db
      .selectFrom('events')
      .select(['occurred_at', 'type', 'org_id', 'process_id'])
      .where('member_id', '=', m.id)
      .orderBy('id', 'desc')
      .limit(HISTORY_LIMIT)
      .execute(),
    memberData(db, m, view),
  ]);
  return {
    id: m.id,
    name: m.name,
    idNumber: view.show('idNumber', m.id_number),
    idNumberMasked: !view.whole,
    joinDate: m.join_date,
    developmentNumber: m.development_number,
    branchId: m.branch_id,
    status: m.status,
    locked: m.locked_at !== null,
    lockedFields: m.locked_at !== null ? [...LOCKED_FIELDS] : [],
    details: view.fields(m.details as Record<string, unknown>),
    updatedAt: iso(m.updated_at)!,
    history: events.map((e) => ({ at: iso(e.occurred_at)!, type: e.type, orgId: e.org_id, processId: e.process_id })),
    ...data,
  };
}

/** R4-R6: why a patch is refused, naming each field; R5 fields go through the branch's review instead. */
function patchProblems(patch: MemberPatch, locked: boolean): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const f of LOCKED_FIELDS) {
    if (patch[f] === undefined) continue;
    problems.push(
      locked
        ? {
            field: `body.${f}`,
            rule: 'R4',
            message: `${f} is locked since the check-in was approved${f === 'joinDate' ? ' (R7: POST /api/members/{id}/join-date)' : ''}`,
          }
        : { field: `body.${f}`, rule: 'R2', message: `${f} is corrected by submitting the check-in again` },
    );
  }
  if (locked) {
    for (const f of REVIEWED_FIELDS) {
      if (patch[f] !== undefined)
        problems.push({ field: `body.${f}`, rule: 'R5', message: `${f} changes need the branch's review: POST /api/members/{id}/changes` });
    }
  }
  return problems;
}

/** PATCH /members/:id (R6): other personal data changes at once; the event records each field's old and new value. */
function patchRoute(app: Api, db: Db): void {
  app.patch(
    '/members/:id',
    {
      schema: {
        summary: 'Edit a member: other personal data directly (R6); the four approved fields are locked (R4); R5 fields are reviewed (POST …/changes)',
        params: UuidParams,
        body: MemberPatch,
        response: { 200: MemberView, ...errorResponses },
      },
    },
    async (req) => {
      const m = await loadMember(db, req.params.id);
      authorize(req.principal, 'member.update', { orgPath: m.branch_path ?? '', memberId: m.id });
      const problems = patchProblems(req.body, m.locked_at !== null);
      if (problems.length > 0) throw DomainError.rule(problems[0]!.rule!, problems.map((p) => p.message).join('; '), problems);
      const current = m.details as Record<string, unknown>;
      const changes = fieldChanges(current, req.body);
      if (changes.length > 0) {
        const patch = Object.fromEntries(changes.map((c) => [c.field, c.to]));
        await recordOnce(
          db,
          {
            idempotency_key: `member:${m.id}:updated:${randomUUID()}`,
            member_id: m.id,
            org_id: m.branch_id,
            type: 'member.updated',
            actor_id: req.principal.actorId,
            // R6: who changed what, the old and new values (the history shows them through domain/privacy.ts).
            payload: { changes },
          },
          async (tx) => {
            await tx
              .updateTable('members')
              .set({ details: sql<string>`details || ${JSON.stringify(patch)}::jsonb`, updated_at: new Date() })
              .where('id', '=', m.id)
              .execute();
          },
        );
      }
      return memberView(db, m.id, req.principal);
    },
  );
}

/** The changes an event of the history shows: the payload's, or the join date's two dates (R7); personal values as the policy shows them. */
function historyChanges(type: string, payload: Record<string, unknown>, view: PersonalView): FieldChange[] | undefined {
  const raw = Array.isArray(payload.changes)
    ? (payload.changes as FieldChange[])
    : type === 'join-date.approved'
      ? [{ field: 'joinDate', from: payload.from, to: payload.to }]
      : undefined;
  if (!raw || view.whole) return raw;
  return raw.map((c) => ({ field: c.field, from: view.field(c.field, c.from), to: view.field(c.field, c.to) }));
}

/** GET /members/:id/history: the member's whole timeline, newest first, by category, with cursor paging. */
function historyRoute(app: Api, db: Db): void {
  app.get(
    '/members/:id/history',
    {
      schema: {
        summary: "R5/R6/R7: the member's whole timeline (check-in, changes, join date, transfers, sanctions …), newest first",
        params: UuidParams,
        querystring: HistoryQuery,
        response: { 200: HistoryPage, ...errorResponses },
      },
    },
    async (req) => {
      const m = await loadMember(db, req.params.id);
      const target = { orgPath: m.branch_path ?? '', memberId: m.id };
      authorize(req.principal, 'member.read', target);
      const view = personalView(req.principal, target);
      const { cursor, limit } = req.query;
      const rows = await db
        .selectFrom('events')
        .leftJoin('processes', 'processes.id', 'events.process_id')
        .select(['events.id', 'events.occurred_at', 'events.type', 'events.actor_id', 'events.org_id', 'events.process_id', 'events.payload', 'processes.kind'])
        .where('events.member_id', '=', m.id)
        .$if(cursor !== undefined, (q) => q.where('events.id', '<', cursor!))
        .orderBy('events.id', 'desc')
        .limit(limit + 1)
        .execute();
      const page = rows.slice(0, limit);
      return {
        items: page.map((e) => {
          const payload = e.payload as Record<string, unknown>;
          const changes = historyChanges(e.type, payload, view);
          const award = awardHistory(e.type, payload);
          return {
            id: String(e.id),
            at: iso(e.occurred_at)!,
            type: e.type,
            category: award?.category ?? historyCategory(e.type, e.kind),
            actorId: e.actor_id,
            orgId: e.org_id,
            processId: e.process_id,
            ...(changes ? { changes } : {}),
            ...(typeof payload.reason === 'string' ? { reason: view.text(payload.reason) } : {}),
            ...(award ? { award: award.award } : {}),
          };
        }),
        nextCursor: rows.length > limit ? String(page[page.length - 1]!.id) : null,
      };
    },
  );
}

export function memberRoutes({ db }: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/members/:id', { schema: { summary: 'A member record', params: UuidParams, response: { 200: MemberView, ...errorResponses } } }, async (req) =>
      memberView(db, req.params.id, req.principal),
    );
    patchRoute(app, db);
    historyRoute(app, db);
  };
}
