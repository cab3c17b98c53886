// R21: an organization's health and its subtree's (hollow committees, empty branches, branches without a
// secretary or a contact phone, R20 data missing or invalid, R19 late entries): counts in one query over the
// subtree, and each list a page at a time (keyset on the organization id). The queries are activities/health.ts's,
// which the daily check shares.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from './deps';
import { authorize } from '../domain/authz';
import { OrgId } from '../domain/orgs';
import { HealthQuery, HealthView } from '../contract/health';
import { healthCounts, healthList } from '../db/queries/health';
import { errorResponses, IdParams, notFound } from './schemas';
import { decodeCursor, encodeCursor } from './cursor';

export function healthRoutes({ db }: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/organizations/:id/health',
      {
        schema: {
          summary:
            "R21: the health of an organization and its subtree: counts (hollow committees, empty branches, branches without a secretary or a contact phone (R13), R20 data missing or invalid, R19 late entries) and, with `list`, one kind's organizations a page at a time (`cursor`, `limit` ≤ 500)",
          params: IdParams,
          querystring: HealthQuery,
          response: { 200: HealthView, ...errorResponses },
        },
      },
      async (req) => {
        const org = await db.selectFrom('organizations').select(['id', 'path']).where('id', '=', req.params.id).executeTakeFirst();
        if (!org) notFound('organization');
        authorize(req.principal, 'health.read', { orgPath: org.path });
        const { list, limit } = req.query;
        // A list's cursor: the last organization id of the page (keyset on the id).
        const after = req.query.cursor === undefined ? undefined : decodeCursor(OrgId, req.query.cursor);
        const [counts, page] = await Promise.all([
          healthCounts(db, org.path),
          list ? healthList(db, org.path, list, { ...(after !== undefined ? { after } : {}), limit }) : undefined,
        ]);
        return {
          orgId: org.id,
          counts,
          ...(list && page ? { list: { kind: list, items: page.items, nextCursor: page.next === null ? null : encodeCursor(page.next) } } : {}),
        };
      },
    );
  };
}
