// Bootstrap: create actors (who get their token once). The organization tree: api/organizations.ts.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from './deps';
import { authorizeBinding, type Role } from '../domain/authz';
import { DomainError } from '../domain/errors';
import { errorResponses } from './schemas';
import { ActorCreated, ActorInput } from '../contract/bootstrap';
import { hashToken, newToken } from './auth';

/** Which organization kinds each role sits in. */
const ROLE_ORG: Record<Role, { kinds: string[] | null; root?: true }> = {
  member: { kinds: null },
  branch_secretary: { kinds: ['branch'] },
  committee_admin: { kinds: ['committee', 'general_branch'] },
  province_admin: { kinds: ['committee'], root: true },
};

export function bootstrapRoutes({ db }: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/actors',
      {
        schema: {
          summary:
            "Create an actor; the response carries its bearer token, shown only this once. The caller's subtree holds the actor's organization and, for a member account, the member's branch (R1)",
          body: ActorInput,
          response: { 201: ActorCreated, ...errorResponses },
        },
      },
      async (req, reply) => {
        const { role, orgId, memberId, label } = req.body;
        const org = orgId ? await db.selectFrom('organizations').selectAll().where('id', '=', orgId).executeTakeFirst() : undefined;
        if (orgId && !org) throw DomainError.rule('R20', 'no such organization', [{ field: 'body.orgId', message: 'unknown organization' }]);
        const need = ROLE_ORG[role];
        if (need.kinds && (!org || !need.kinds.includes(org.kind) || (need.root && org.parent_id !== null))) {
          throw DomainError.rule('R8', `a ${role} belongs to ${need.root ? 'the province (root) committee' : `a ${need.kinds.join(' or ')}`}`, [
            { field: 'body.orgId', message: 'wrong kind of organization for this role', rule: 'R8' },
          ]);
        }
        // Issue 20: the member first (its branch is one end of the binding), then both ends against the caller's subtree.
        const member = memberId
          ? await db
              .selectFrom('members')
              .leftJoin('organizations', 'organizations.id', 'members.branch_id')
              .select(['members.id', 'organizations.path'])
              .where('members.id', '=', memberId)
              .executeTakeFirst()
          : undefined;
        if (memberId && !member) {
          if (req.principal.role !== 'system') throw DomainError.forbidden('no such member in your organization');
          throw DomainError.rule('R8', 'no such member', [{ field: 'body.memberId', message: 'unknown member' }]);
        }
        authorizeBinding(req.principal, { role, orgPath: org?.path ?? null, memberId: memberId ?? null, memberBranchPath: member?.path ?? null });
        const token = newToken();
        const id = randomUUID();
        await db
          .insertInto('actors')
          .values({ id, role, org_id: orgId ?? null, member_id: memberId ?? null, label, token_hash: hashToken(token) })
          .execute();
        return reply.code(201).send({ id, role, orgId: orgId ?? null, token });
      },
    );
  };
}
