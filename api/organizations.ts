// R20 organization data: import (or re-import) the tree, read one organization, edit one organization. Both
// writes go through db/queries/org-data.ts: a field left out keeps its value, every change is an event.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Api, AppDeps } from './deps';
import { authorize } from '../domain/authz';
import { DomainError } from '../domain/errors';
import { childPath, CONTACT_FIELDS, CreditCode, ORG_FIELDS, OrgPatch, orderForImport, type OrgChanges } from '../domain/orgs';
import { errorResponses, IdParams, notFound } from './schemas';
import { ImportAnswer, ImportBody, OrganizationView, OrgPatched, type ImportRow, type Rejected } from '../contract/organizations';
import { wakeTransfersWaitingFor } from '../services/transfers';
import { tellCampaignsOfNewBranches } from '../services/campaigns';
import { createOrganization, orgDataOf, updateOrganization } from '../db/queries/org-data';

/**
 * R20: the rows not imported: those with a bad credit code, and the new organizations below one of them (their
 * parent is not created, so neither are they). Rows are reported by their index in the request.
 */
function rejectedRows(orgs: ImportRow[], known: ReadonlySet<string>): Rejected[] {
  const rejected = new Map<string, Rejected>();
  orgs.forEach((o, index) => {
    if (typeof o.creditCode !== 'string') return;
    const checked = CreditCode.safeParse(o.creditCode);
    if (!checked.success)
      rejected.set(o.id, { index, id: o.id, field: `body.organizations.${index}.creditCode`, rule: 'R20', message: checked.error.issues[0]!.message });
  });
  // Below a rejected new organization, breadth first: a child's parent that is not created leaves it without one.
  let parents = [...rejected.keys()].filter((id) => !known.has(id));
  while (parents.length > 0) {
    const next: string[] = [];
    orgs.forEach((o, index) => {
      if (o.parentId === null || !parents.includes(o.parentId) || rejected.has(o.id)) return;
      const message = `R20: not imported: its parent ${o.parentId} was not imported (bad credit code)`;
      rejected.set(o.id, { index, id: o.id, field: `body.organizations.${index}.parentId`, rule: 'R20', message });
      if (!known.has(o.id)) next.push(o.id);
    });
    parents = next;
  }
  return [...rejected.values()].sort((a, b) => a.index - b.index);
}

/** An import row's data fields, as given (left out: undefined, kept; null: cleared). */
function changesOf(o: ImportRow): OrgChanges {
  return {
    name: o.name,
    specialKind: o.specialKind,
    contactPhone: o.contactPhone,
    creditCode: o.creditCode,
    industryCategory: o.industryCategory,
    schoolType: o.schoolType,
    graduationDate: o.graduationDate,
  };
}

/** POST /organizations/import (R20): import or re-import part of the tree. */
function importRoute(app: Api, { db, client }: AppDeps): void {
  app.post(
    '/organizations/import',
    {
      schema: {
        summary:
          'Import (or re-import) part of the organization tree; parents may come after children. A field a row leaves out keeps its value; only null clears it. A row with a bad credit code (and the new organizations below it) is not imported and is listed in `rejected`; the rest is (R20)',
        body: ImportBody,
        response: {
          200: ImportAnswer,
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const orgs = req.body.organizations;
      const ids = [...new Set(orgs.flatMap((o) => [o.id, ...(o.parentId ? [o.parentId] : [])]))];
      const known = await db.selectFrom('organizations').select(['id', 'parent_id', 'path', 'kind']).where('id', 'in', ids).execute();
      const knownById = new Map(known.map((k) => [k.id, k]));
      const { ordered: consistent, problems } = orderForImport(orgs, new Set(known.map((k) => k.id)));
      const existing = orgs.map((o, i) => ({ o, i, k: knownById.get(o.id) })).filter((x) => x.k !== undefined);
      const fieldProblems = [
        ...problems.map((p) => ({ field: `body.organizations.${p.index}.parentId`, message: p.message, rule: 'R20' })),
        ...existing
          .filter(({ o, k }) => k!.parent_id !== o.parentId)
          .map(({ i }) => ({ field: `body.organizations.${i}.parentId`, message: 'an organization cannot change its parent by import', rule: 'R20' })),
        ...existing
          .filter(({ o, k }) => k!.kind !== o.kind)
          .map(({ i }) => ({ field: `body.organizations.${i}.kind`, message: 'an organization cannot change its kind by import', rule: 'R20' })),
      ];
      if (fieldProblems.length > 0) throw DomainError.rule('R20', 'the organization tree is not consistent', fieldProblems);

      const paths = new Map(known.map((k) => [k.id, k.path]));
      for (const o of consistent) paths.set(o.id, childPath(o.parentId ? paths.get(o.parentId)! : null, o.id));
      // R20: "the direct superior edits its subordinates' data" — a province admin imports within its tree.
      for (const o of consistent) authorize(req.principal, 'org.import', { orgPath: paths.get(o.id)! });
      const rejected = rejectedRows(orgs, new Set(known.map((k) => k.id)));
      const skipped = new Set(rejected.map((r) => r.id));
      const ordered = consistent.filter((o) => !skipped.has(o.id));

      const indexOf = new Map(orgs.map((o, i) => [o.id, i]));
      const counts = { created: 0, updated: 0, unchanged: 0 };
      const created: string[] = [];
      await db.transaction().execute(async (tx) => {
        for (const o of ordered) {
          const at = `body.organizations.${indexOf.get(o.id)!}.`;
          const changes = changesOf(o);
          const fresh = knownById.has(o.id)
            ? null
            : await createOrganization(
                tx,
                { id: o.id, parentId: o.parentId, path: paths.get(o.id)!, kind: o.kind, name: o.name },
                changes,
                req.principal.actorId,
                at,
              );
          if (fresh) {
            counts.created += 1;
            created.push(o.id);
            continue;
          }
          const { changed } = await updateOrganization(tx, o.id, changes, req.principal.actorId, at);
          counts[changed.length > 0 ? 'updated' : 'unchanged'] += 1;
        }
        await tx
          .insertInto('events')
          .values({
            idempotency_key: `org-import:${randomUUID()}`,
            type: 'organizations.imported',
            actor_id: req.principal.actorId,
            payload: JSON.stringify({ count: ordered.length, ...counts, rejected: rejected.length, ids: ordered.slice(0, 50).map((o) => o.id) }),
          })
          .execute();
      });
      // R12: a created branch (or one whose phone was entered) wakes the transfers waiting for it.
      await wakeTransfersWaitingFor({ db, client }, new Set(ordered.map((o) => o.id)));
      // R22: a branch created while its province's campaign is open gets its task with the phase's deadlines.
      await tellCampaignsOfNewBranches({ db, client }, created);
      return { imported: ordered.length, ...counts, rejected };
    },
  );
}

/** PATCH /organizations/:id (R20): edit an organization's data. */
function patchRoute(app: Api, { db, client }: AppDeps): void {
  app.patch(
    '/organizations/:id',
    {
      schema: {
        summary:
          "R20: edit an organization's data. Its contact phone: the organization itself or its direct superior; everything else: its direct superior (the parent committee) or the province. Never its place in the tree",
        params: IdParams,
        body: OrgPatch,
        response: { 200: OrgPatched, ...errorResponses },
      },
    },
    async (req) => {
      const org = await db.selectFrom('organizations').select(['id', 'path']).where('id', '=', req.params.id).executeTakeFirst();
      if (!org) notFound('organization');
      const changes: OrgChanges = req.body;
      const given = ORG_FIELDS.filter((f) => changes[f] !== undefined);
      const contactOnly = given.every((f) => CONTACT_FIELDS.includes(f));
      authorize(req.principal, contactOnly ? 'org.update-contact' : 'org.update', { orgPath: org.path });
      const { data, changed } = await db.transaction().execute((tx) => updateOrganization(tx, org.id, changes, req.principal.actorId));
      // R12/R13: a branch whose phone is entered can receive the transfers waiting for it.
      if (changed.includes('contactPhone') && data.contactPhone) await wakeTransfersWaitingFor({ db, client }, new Set([org.id]));
      return { id: org.id, ...data, changed };
    },
  );
}

/** GET /organizations/:id (R20, R21): one organization, its health and direct children. */
function readRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/organizations/:id',
    {
      schema: {
        summary:
          'One organization, with its data (R20), its health (R21: active members; `hasSecretary`: a current secretary entered as a cadre, R8) and direct children',
        params: IdParams,
        response: {
          200: OrganizationView,
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
        db
          .selectFrom('members')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('branch_id', '=', org.id)
          .where('status', '=', 'active')
          .executeTakeFirstOrThrow(),
        // R21: a secretary entered as a cadre (R8), whose term has not ended; not a secretary's login (actors).
        db.selectFrom('cadres').select('id').where('org_id', '=', org.id).where('role', '=', 'secretary').where('ended_at', 'is', null).executeTakeFirst(),
      ]);
      return {
        id: org.id,
        parentId: org.parent_id,
        path: org.path,
        kind: org.kind,
        ...orgDataOf(org),
        members: Number(members.n),
        hasSecretary: !!secretary,
        children,
      };
    },
  );
}

export function organizationRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    importRoute(app, deps);
    patchRoute(app, deps);
    readRoute(app, deps);
  };
}
