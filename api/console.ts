// The web console (issue 12): what it asks the API besides the other routes (who am I, how many processes are
// open below me), and its own static files under /console/, served from console/dist.
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { authorize } from '../domain/authz';
import { DomainError } from '../domain/errors';
import { pathIds } from '../domain/orgs';
import { likePrefix } from '../db';
import { problemBody, type Api, type AppDeps } from './deps';
import { errorResponses, notFound } from './schemas';
import { CountsQuery, Me, ProcessCounts } from '../contract/console';

/** GET /me: the caller as the token says, with their organization. */
function meRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/me',
    {
      schema: {
        summary: 'The caller: role, label, member record and organization (the console shows what the role may do)',
        response: { 200: Me, ...errorResponses },
      },
    },
    async (req) => {
      const p = req.principal;
      const [actor, org] = await Promise.all([
        p.role === 'system' ? undefined : db.selectFrom('actors').select('label').where('id', '=', p.actorId).executeTakeFirst(),
        p.orgId ? db.selectFrom('organizations').select(['id', 'name', 'kind', 'path', 'parent_id']).where('id', '=', p.orgId).executeTakeFirst() : undefined,
      ]);
      return {
        actorId: p.actorId,
        role: p.role,
        label: p.role === 'system' ? 'bootstrap token' : (actor?.label ?? ''),
        memberId: p.memberId,
        org: org ? { id: org.id, name: org.name, kind: org.kind, path: org.path, parentId: org.parent_id } : null,
      };
    },
  );
}

/**
 * GET /processes/counts: open and overdue processes acting at an organization itself and in each direct child's
 * subtree, in one query over the subtree (grouped by the child's segment of the acting organization's path).
 */
function countsRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/processes/counts',
    {
      schema: {
        summary: "Open and overdue processes acting at an organization and in each direct child's subtree (the caller's organization by default)",
        querystring: CountsQuery,
        response: {
          200: ProcessCounts,
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const p = req.principal;
      const id = req.query.orgId ?? p.orgId;
      if (p.role === 'member' || p.role === 'system' || !id) throw DomainError.forbidden('counts are for the secretaries and admins of an organization');
      const org = await db.selectFrom('organizations').select(['id', 'name', 'kind', 'path']).where('id', '=', id).executeTakeFirst();
      if (!org) notFound('organization');
      authorize(p, 'process.read', { orgPath: org.path });
      // The child a process acts under is this segment of its organization's path ('' at the organization itself).
      const segment = pathIds(org.path).length + 1;
      const kind = req.query.kind;
      const { rows } = await sql<{ id: string; name: string; kind: string; open: number; overdue: number }>`
        with counts as (
          select split_part(p.org_path, '/', ${segment}) as child, count(*)::int as open, (count(*) filter (where p.overdue))::int as overdue
          from processes p
          where p.closed_at is null and p.org_path like ${likePrefix(org.path)} ${kind ? sql`and p.kind = ${kind}` : sql``}
          group by 1
        )
        select s.id, s.name, s.kind, coalesce(c.open, 0)::int as open, coalesce(c.overdue, 0)::int as overdue
        from organizations s
        left join counts c on c.child = case when s.id = ${org.id} then '' else s.id end
        where s.id = ${org.id} or s.parent_id = ${org.id}
        order by s.id = ${org.id} desc, s.id`.execute(db);
      const [own, ...children] = rows;
      return {
        org: { id: org.id, name: org.name, kind: org.kind },
        self: { open: own?.open ?? 0, overdue: own?.overdue ?? 0 },
        children: children.map((c) => ({ id: c.id, name: c.name, kind: c.kind, open: c.open, overdue: c.overdue })),
      };
    },
  );
}

export function consoleApiRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    meRoute(app, deps);
    countsRoute(app, deps);
  };
}

/** Where `npm run console:build` writes the console (console/vite.config.ts). */
export const CONSOLE_DIR = fileURLToPath(new URL('../console/dist', import.meta.url));

/**
 * The console's files under /console/ (registered with that prefix, outside /api: no bearer token, the page asks
 * for one). Hashed assets (/console/assets/) are cached for good; index.html is revalidated each time, and answers
 * every other path (the console routes itself). Not built: 503, saying how to build it. Checked per request, so
 * a console built while the API runs is served at once.
 */
export function consoleRoutes(dir: string = CONSOLE_DIR): FastifyPluginAsync {
  const indexFile = join(dir, 'index.html');
  const assets = join(dir, 'assets') + sep;
  return async (app) => {
    app.addHook('onRequest', async (_req, reply) => {
      if (existsSync(indexFile)) return;
      return reply
        .code(503)
        .send(problemBody({ kind: 'unavailable', message: 'the console is not built: run `npm run console:build` (npm start builds it when it is missing)' }));
    });
    await app.register(fastifyStatic, {
      root: dir,
      prefix: '/',
      wildcard: true,
      index: false,
      cacheControl: false,
      suppressWarning: true,
      setHeaders: (reply, path) => {
        reply.header('cache-control', path.startsWith(assets) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    const page = (reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html');
    app.get('/', { schema: { hide: true } }, async (_req, reply) => page(reply));
    app.setNotFoundHandler(async (req, reply) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply.code(404).send(problemBody({ kind: 'not-found', message: 'not found' }));
      return page(reply);
    });
  };
}
