// Bootstrap: import the organization tree, create actors (who get their token once).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from './app';
import { authorize, Role } from '../domain/authz';
import { DomainError } from '../domain/errors';
import { childPath, OrgId, OrgImport, orderForImport } from '../domain/orgs';
import { errorResponses, IdParams, notFound } from './schemas';
import { singleLine } from '../domain/text';
import { hashToken, newToken } from './auth';
import { wakeTransfersWaitingFor } from './transfers';
import { MISSING_PHONE, resolveDataProblems } from '../activities/data-problems';

export const ActorInput = z.object({
  role: Role,
  orgId: OrgId.nullable().optional(),
  memberId: z.uuid().nullable().optional(),
  label: singleLine(100),
});

/** Which organization kinds each role sits in. */
const ROLE_ORG: Record<Role, { kinds: string[] | null; root?: true }> = {
  member: { kinds: null },
  branch_secretary: { kinds: ['branch'] },
  committee_admin: { kinds: ['committee', 'general_branch'] },
  province_admin: { kinds: ['committee'], root: true },
};

export function bootstrapRoutes({ db, client }: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/organizations/import',
      {
        schema: {
          summary: 'Import (or re-import) part of the organization tree; parents may come after children',
          body: OrgImport,
          response: { 200: z.object({ imported: z.number(), created: z.number() }), ...errorResponses },
        },
      },
      async (req) => {
        const orgs = req.body.organizations;
        const ids = [...new Set(orgs.flatMap((o) => [o.id, ...(o.parentId ? [o.parentId] : [])]))];
        const known = await db.selectFrom('organizations').select(['id', 'parent_id', 'path']).where('id', 'in', ids).execute();
        const knownById = new Map(known.map((k) => [k.id, k]));
        const { ordered, problems } = orderForImport(orgs, new Set(known.map((k) => k.id)));
        const moved = orgs
          .map((o, i) => ({ o, i }))
          .filter(({ o }) => knownById.has(o.id) && knownById.get(o.id)!.parent_id !== o.parentId);
        const fieldProblems = [
          ...problems.map((p) => ({ field: `body.organizations.${p.index}.parentId`, message: p.message, rule: 'R20' })),
          ...moved.map(({ i }) => ({ field: `body.organizations.${i}.parentId`, message: 'an organization cannot change its parent by import', rule: 'R20' })),
        ];
        if (fieldProblems.length > 0) throw DomainError.rule('R20', 'the organization tree is not consistent', fieldProblems);

        const paths = new Map(known.map((k) => [k.id, k.path]));
        for (const o of ordered) paths.set(o.id, childPath(o.parentId ? paths.get(o.parentId)! : null, o.id));
        // R20: "the direct superior edits its subordinates' data" — a province admin imports within its tree.
        for (const o of ordered) authorize(req.principal, 'org.import', { orgPath: paths.get(o.id)! });

        let created = 0;
        await db.transaction().execute(async (tx) => {
          for (const o of ordered) {
            const path = paths.get(o.id)!;
            const values = {
              name: o.name,
              kind: o.kind,
              special_kind: o.specialKind,
              contact_phone: o.contactPhone ?? null,
              credit_code: o.creditCode ?? null,
              graduation_date: o.graduationDate ?? null,
            };
            const r = await tx
              .insertInto('organizations')
              .values({ id: o.id, parent_id: o.parentId, path, depth: path.split('/').length - 2, ...values })
              .onConflict((oc) => oc.column('id').doUpdateSet(values))
              .returning(({ ref }) => [ref('organizations.id').as('id'), ref('organizations.created_at').as('created_at')])
              .executeTakeFirst();
            if (r && !knownById.has(r.id)) created += 1;
          }
          await tx
            .insertInto('events')
            .values({
              idempotency_key: `org-import:${randomUUID()}`,
              type: 'organizations.imported',
              actor_id: req.principal.actorId,
              payload: JSON.stringify({ count: ordered.length, ids: ordered.slice(0, 50).map((o) => o.id) }),
            })
            .execute();
        });
        // R13: a phone entered fixes the data problem; R12: a created branch wakes the transfers waiting for it.
        await resolveDataProblems(db, ordered.filter((o) => o.contactPhone).map((o) => o.id), MISSING_PHONE.kind);
        await wakeTransfersWaitingFor({ db, client }, new Set(ordered.map((o) => o.id)));
        return { imported: ordered.length, created };
      },
    );

    app.get(
      '/organizations/:id',
      {
        schema: {
          summary: 'One organization, with its health (R21) and direct children',
          params: IdParams,
          response: {
            200: z.object({
              id: z.string(),
              parentId: z.string().nullable(),
              path: z.string(),
              name: z.string(),
              kind: z.string(),
              specialKind: z.string(),
              contactPhone: z.string().nullable(),
              creditCode: z.string().nullable(),
              members: z.number(),
              hasSecretary: z.boolean(),
              children: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string() })),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const org = await db.selectFrom('organizations').selectAll().where('id', '=', req.params.id).executeTakeFirst();
        if (!org) notFound('organization');
        authorize(req.principal, 'org.read', { orgPath: org.path });
        const [children, members, secretary] = await Promise.all([
          db.selectFrom('organizations').select(['id', 'name', 'kind']).where('parent_id', '=', org.id).orderBy('id').execute(),
          db.selectFrom('members').select((eb) => eb.fn.countAll<number>().as('n')).where('branch_id', '=', org.id).where('status', '=', 'active').executeTakeFirstOrThrow(),
          db.selectFrom('actors').select('id').where('org_id', '=', org.id).where('role', '=', 'branch_secretary').executeTakeFirst(),
        ]);
        return {
          id: org.id,
          parentId: org.parent_id,
          path: org.path,
          name: org.name,
          kind: org.kind,
          specialKind: org.special_kind,
          contactPhone: org.contact_phone,
          creditCode: org.credit_code,
          members: Number(members.n),
          hasSecretary: !!secretary,
          children,
        };
      },
    );

    app.post(
      '/actors',
      {
        schema: {
          summary: 'Create an actor; the response carries its bearer token, shown only this once',
          body: ActorInput,
          response: { 201: z.object({ id: z.uuid(), role: Role, orgId: z.string().nullable(), token: z.string() }), ...errorResponses },
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
        if (req.principal.role !== 'system') {
          if (!org) throw DomainError.forbidden('only the bootstrap admin creates actors outside an organization');
          authorize(req.principal, 'actor.create', { orgPath: org.path });
          if (role === 'province_admin' && req.principal.role !== 'province_admin') throw DomainError.forbidden('only a province admin creates province admins');
        }
        if (memberId) {
          const m = await db.selectFrom('members').select('id').where('id', '=', memberId).executeTakeFirst();
          if (!m) throw DomainError.rule('R8', 'no such member', [{ field: 'body.memberId', message: 'unknown member' }]);
        }
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
