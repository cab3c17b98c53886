// R19 age-out: the branch records an exception, with a reason, before the member's 28th birthday; the sweep
// (workflows/age-out.ts) then leaves the member in the league.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from './deps';
import { authorize } from '../domain/authz';
import { DomainError } from '../domain/errors';
import { birthDateOf } from '../domain/identifiers';
import { AgeOutException, ageOutDate } from '../domain/numbers';
import { officeDay } from '../domain/office-day';
import { recordOnce } from '../db';
import { errorResponses, notFound, UuidParams } from './schemas';
import { AgeOutRecorded } from '../contract/age-out';

export function ageOutRoutes({ db }: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/members/:id/age-out-exception',
      {
        schema: {
          summary: "R19 age-out: the member's branch records an exception, with a reason, before the 28th birthday (超龄离团 does not apply)",
          params: UuidParams,
          body: AgeOutException,
          response: { 201: AgeOutRecorded, ...errorResponses },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        const { reason } = req.body;
        const m =
          (await db
            .selectFrom('members')
            .innerJoin('organizations', 'organizations.id', 'members.branch_id')
            .select(['members.id', 'members.status', 'members.id_number', 'members.branch_id', 'organizations.path'])
            .where('members.id', '=', req.params.id)
            .executeTakeFirst()) ?? notFound('member');
        authorize(p, 'age-out.exception', { orgPath: m.path, memberId: m.id });
        const refuse = (message: string) => DomainError.rule('R19', message, [{ field: 'params.id', message, rule: 'R19' }]);
        if (m.status !== 'active' && m.status !== 'probation') throw refuse(`the member is ${m.status}: age-out concerns members in the league`);
        const date = ageOutDate(birthDateOf(m.id_number));
        // The offices' day (Asia/Shanghai), as the sweep counts it.
        if (officeDay() >= date) throw refuse(`the member reached 28 on ${date}: an exception is recorded before that date`);
        const r = await recordOnce(
          db,
          {
            idempotency_key: `age-out.exception:${m.id}`,
            member_id: m.id,
            org_id: m.branch_id,
            type: 'member.age-out-exception',
            actor_id: p.actorId,
            payload: { reason, ageOutDate: date },
          },
          async (tx) => {
            await tx.insertInto('age_out_exceptions').values({ member_id: m.id, reason, recorded_by: p.actorId }).execute();
          },
        );
        if (!r.applied) throw DomainError.conflict('an age-out exception is already recorded for this member', 'R19');
        return reply.code(201).send({ memberId: m.id, reason });
      },
    );
  };
}
