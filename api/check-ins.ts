// POST /api/check-ins (R1, R2): validate, reserve the member record, start the review workflow.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from './deps';
import { authorize, checkInRecordRefusal } from '../domain/authz';
import { DomainError } from '../domain/errors';
import { CheckInSubmission, checkInInput } from '../domain/check-in';
import { LOCKED_FIELDS, lockedFieldProblems, profileRuleProblems } from '../domain/members';
import { checkInAdmission, isRefusal } from '../domain/member-status';
import { checkInContext } from '../db/queries/check-in';
import { checkInProcess } from '../processes/check-in';
import { errorResponses } from './schemas';
import { CheckInCreated, IdempotencyHeaders } from '../contract/check-ins';
import { answerOnce } from './idempotency';
import { startProcess } from '../temporal/start-process';
import { checkInNumberProblem } from './numbers';
import { isLateEntry, meetingDateProblem } from '../domain/numbers';
import { birthDateOf } from '../domain/identifiers';
import { stepDeadline } from '../domain/calendar';

/** The four profile fields (R4) the submission would change on the record. */
function profileRewrites(
  given: { name: string; idNumber: string; joinDate: string; developmentNumber?: string | null | undefined },
  record: { name: string; id_number: string; join_date: string; development_number: string | null },
): string[] {
  const recorded = { name: record.name, idNumber: record.id_number, joinDate: record.join_date, developmentNumber: record.development_number };
  return LOCKED_FIELDS.filter((f) => given[f] !== undefined && given[f] !== recorded[f]);
}

export function checkInRoutes({ db, client, config }: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/check-ins',
      {
        schema: {
          summary: 'A member checks in to a branch (R1); the branch reviews within 10 days (R3)',
          headers: IdempotencyHeaders,
          body: CheckInSubmission,
          response: { 201: CheckInCreated, 200: CheckInCreated, ...errorResponses },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        const body = req.body;
        const answer = await answerOnce(db, p.actorId, req.headers['idempotency-key'], body, async () => {
          const wanted = body.memberId ?? (p.role === 'member' ? p.memberId : null);
          // Independent lookups, in parallel: the branch, the record holding this ID number, the one asked for.
          const [branch, byIdNumber, asked] = await Promise.all([
            db.selectFrom('organizations').selectAll().where('id', '=', body.branchId).executeTakeFirst(),
            db.selectFrom('members').selectAll().where('id_number', '=', body.profile.idNumber).executeTakeFirst(),
            wanted ? db.selectFrom('members').selectAll().where('id', '=', wanted).executeTakeFirst() : Promise.resolve(undefined),
          ]);
          if (!branch) throw DomainError.rule('R1', 'no such branch', [{ field: 'body.branchId', message: 'unknown organization', rule: 'R1' }]);
          if (branch.kind !== 'branch') {
            throw DomainError.rule('R1', 'members check in to a branch, not to a committee', [
              { field: 'body.branchId', message: `${branch.id} is a ${branch.kind}`, rule: 'R1' },
            ]);
          }
          if (p.role === 'member') {
            if (body.memberId && body.memberId !== p.memberId) throw DomainError.forbidden('a member checks in only for themselves');
          } else {
            authorize(p, 'check-in.submit', { orgPath: branch.path });
          }
          const problems = profileRuleProblems(body.profile, new Date());
          if (problems.length > 0) throw DomainError.rule(problems[0]!.rule!, problems.map((x) => x.message).join('; '), problems);
          // R19: the admitting meeting: not in the future, not after the join date (domain/numbers.ts).
          const meeting = body.meetingDate && meetingDateProblem(body.meetingDate, body.profile.joinDate, birthDateOf(body.profile.idNumber), new Date());
          if (meeting) throw DomainError.rule('R19', meeting.message, [meeting]);

          const existing = wanted ? asked : byIdNumber;
          if (wanted && !existing && body.memberId) throw DomainError.notFound('member not found');
          if (byIdNumber && existing && byIdNumber.id !== existing.id) {
            throw DomainError.conflict('this ID number belongs to another member record', 'R2');
          }
          // Issue 20 (R1/R2): whose record this is decides whether the check-in may touch it (domain/authz.ts).
          if (existing) {
            const linked = await db.selectFrom('actors').select('id').where('member_id', '=', existing.id).where('role', '=', 'member').executeTakeFirst();
            const refusal = checkInRecordRefusal(
              p,
              branch.id,
              { id: existing.id, branchId: existing.branch_id, linked: !!linked },
              // A record approved once keeps its four fields by R4 (checked below, 422 naming them).
              existing.locked_at === null ? profileRewrites(body.profile, existing) : [],
            );
            if (refusal) throw refusal;
          }
          // Whether this record may check in again, and how, is the member-status table's (domain/member-status.ts);
          // the activity asks it again when it writes.
          const admission = checkInAdmission(existing?.status, existing ? await checkInContext(db, existing) : {});
          if (isRefusal(admission)) {
            if (admission.kind === 'conflict') throw DomainError.conflict(admission.message, admission.rule);
            const field = body.memberId ? 'body.memberId' : 'body.profile.idNumber';
            throw DomainError.rule(admission.rule, admission.message, [{ field, message: `the member is ${existing!.status}`, rule: admission.rule }]);
          }
          if (admission === 'again') {
            // R4: a former member (R10, R16) keeps the four locked fields.
            const locked = lockedFieldProblems(body.profile, existing!);
            if (locked.length > 0) throw DomainError.rule('R4', locked.map((x) => x.message).join('; '), locked);
          }
          if (body.profile.developmentNumber) {
            const taken = await db
              .selectFrom('members')
              .select('id')
              .where('development_number', '=', body.profile.developmentNumber)
              .$if(!!existing, (q) => q.where('id', '!=', existing!.id))
              .executeTakeFirst();
            if (taken) {
              throw DomainError.rule('R19', 'this development number is already used', [
                { field: 'body.profile.developmentNumber', message: 'already used by another member', rule: 'R19' },
              ]);
            }
          }
          if (admission === 'first') {
            // R19: a new member's number comes from a range of the branch or a committee above it (api/numbers.ts).
            const numbered = { branchPath: branch.path, joinDate: body.profile.joinDate, number: body.profile.developmentNumber };
            const outside = await checkInNumberProblem(db, numbered);
            if (outside) throw DomainError.rule('R19', outside.message, [outside]);
          }
          const memberId = existing?.id ?? wanted ?? randomUUID();
          const input = checkInInput(branch, {
            memberId,
            submittedBy: p.actorId,
            linkActorId: p.role === 'member' && !p.memberId ? p.actorId : null,
            profile: body.profile,
            timing: config.timing.checkIn,
            // R19: entered more than a month after the admitting meeting: accepted, flagged.
            ...(body.meetingDate ? { meetingDate: body.meetingDate, lateEntry: isLateEntry(body.meetingDate, new Date(), config.numbers.lateEntryMs) } : {}),
          });
          // R2: at most one open check-in per member, enforced by the workflow ID. Answers once the workflow has
          // recorded the submission, so the process is readable at once.
          const recorded = await startProcess(
            { client, config },
            {
              process: checkInProcess,
              memberId,
              input,
              org: branch,
              deadline: new Date(stepDeadline(config.timing.checkIn, Date.now())),
              alreadyOpen: 'check-in: one is already open for this member',
            },
          );
          return { statusCode: 201, response: { processId: recorded.processId, memberId, status: 'pending' as const, deadline: recorded.deadline } };
        });
        return reply.code(answer.statusCode).send(answer.response);
      },
    );
  };
}
