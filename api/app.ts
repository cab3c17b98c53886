// The thin HTTP API: validate with zod, authorize, call Temporal or read the read model, map to HTTP.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { isDatabaseUnavailable } from '../db';
import type { Principal } from '../domain/authz';
import { DomainError, HTTP_STATUS, causes } from '../domain/errors';
import { principalFromHeader } from './auth';
import { loggerOptions } from './logging';
import { problemBody, type AppDeps } from './deps';
import { bootstrapRoutes } from './bootstrap';
import { organizationRoutes } from './organizations';
import { checkInRoutes } from './check-ins';
import { processRoutes } from './processes';
import { memberRoutes } from './members';
import { codecRoutes } from './codec';
import { opsRoutes } from './ops';
import { transferRoutes } from './transfers';
import { peerTransferRoutes } from './transfers/peer';
import { duesRoutes } from './dues';
import { deletionRoutes } from './deletions';
import { disciplineRoutes } from './discipline';
import { metricsRoutes } from './metrics';
import { consoleApiRoutes, consoleRoutes } from './console';
import { statsRoutes } from './stats';
import { reportRoutes } from './reports';
import { memberDataRoutes } from './member-data';
import { cadresRoutes } from './cadres';
import { healthRoutes } from './health';
import { campaignsRoutes } from './campaigns';
import { awardsRoutes } from './awards';
import { numbersRoutes } from './numbers';
import { applicationFormsRoutes } from './application-forms';
import { ageOutRoutes } from './age-out';
import { refuseControlCharacters, strictRouteInput } from './validation';

/** Temporal is down, unreachable or busy for a moment, anywhere in the cause chain. */
function isTemporalUnavailable(e: unknown): boolean {
  // gRPC UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (a rate limit), ABORTED (e.g. an update aborted while a
  // worker restarts): the request may be sent again.
  for (const c of causes(e, 5)) if (c.code === 14 || c.code === 4 || c.code === 8 || c.code === 10) return true;
  return false;
}

/** True once `check()` succeeds within `ms`; false if it fails or takes longer (its late failure is ignored). */
async function answers(check: () => Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(check)
        .then(
          () => true,
          () => false,
        ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every error becomes a problem body: 400 with field paths, the domain's kinds, 503 when a dependency is down, else a logged 500. */
function errorHandler(err: FastifyError | Error, _req: FastifyRequest, reply: FastifyReply) {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as { validationContext?: string }).validationContext ?? 'body';
    const fields = err.validation.flatMap((v) => {
      const path = [where, ...v.instancePath.split('/').filter(Boolean)];
      // A field the schema does not declare (api/validation.ts, strictRouteInput): named itself, one entry each.
      if (v.keyword === 'unrecognized_keys' && Array.isArray(v.params.keys))
        return (v.params.keys as unknown[]).map((k) => ({ field: [...path, String(k)].join('.'), message: 'unknown field' }));
      return [{ field: path.join('.'), message: v.message ?? 'invalid' }];
    });
    return reply.code(400).send(problemBody({ kind: 'invalid', message: `invalid ${where}`, fields }));
  }
  if (err instanceof DomainError) {
    // A 503 of ours (Temporal not confirming in time): the operators see its cause, the caller is told to send again.
    if (err.problem.kind === 'unavailable') reply.log.warn({ err: err.cause }, err.message);
    return reply.code(HTTP_STATUS[err.problem.kind]).send(problemBody(err.problem));
  }
  // Fastify's own refusals (a body too large, an unsupported content type, a JSON body that does not parse).
  const status = (err as { statusCode?: number }).statusCode;
  if (status && status >= 400 && status < 500) {
    const message = (err as Error).message;
    const field = (err as { code?: string }).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'headers.content-type' : 'body';
    return reply.code(status).send(problemBody({ kind: 'invalid', message, fields: [{ field, message }] }, status));
  }
  if (isTemporalUnavailable(err)) {
    reply.log.warn('Temporal unavailable');
    return reply
      .code(503)
      .header('retry-after', '2')
      .send(problemBody({ kind: 'unavailable', message: 'Temporal is unavailable for a moment; send the request again' }));
  }
  if (isDatabaseUnavailable(err)) {
    reply.log.warn({ code: (err as { code?: string }).code }, 'database unavailable');
    return reply
      .code(503)
      .header('retry-after', '2')
      .send(problemBody({ kind: 'unavailable', message: 'the database is unavailable for a moment; send the request again' }));
  }
  reply.log.error({ err }, 'unhandled error');
  return reply.code(500).send({ status: 500, kind: 'internal', error: 'internal', message: 'internal error' });
}

export async function buildApp(
  deps: AppDeps,
  opts: { logger?: boolean; logStream?: NodeJS.WritableStream; logFormat?: 'json' | 'pretty'; consoleDir?: string } = {},
): Promise<FastifyInstance> {
  // JSON lines (production, the default), or readable lines in a terminal: TUANWU_LOG_FORMAT=pretty (api/logging.ts).
  const app = Fastify({
    ...loggerOptions(opts),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Before any route: every body and query schema refuses fields it does not declare, 400 naming them (issue 20).
  app.addHook('onRoute', strictRouteInput);
  // Before any route: every route registered below is counted (GET /metrics, no auth: see api/metrics.ts).
  metricsRoutes(app, deps.db);
  // Every route, every input: a control character is a 400 naming the field, before any handler (api/validation.ts).
  app.addHook('preHandler', refuseControlCharacters);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Tuanwu', description: 'Youth-league membership processes', version: '0.1.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler(errorHandler);

  // Liveness: the process answers; no I/O (a database outage must not get the API restarted).
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  // Readiness: PostgreSQL and Temporal each answer within 2 s; otherwise 503 naming which is down (never 500).
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const [postgres, temporal] = await Promise.all([
      answers(() => sql`select 1`.execute(deps.db), 2000),
      answers(() => deps.client.connection.withDeadline(Date.now() + 2000, () => deps.client.connection.workflowService.getSystemInfo({})), 2000),
    ]);
    return reply
      .code(postgres && temporal ? 200 : 503)
      .send({ ok: postgres && temporal, postgres: postgres ? 'up' : 'down', temporal: temporal ? 'up' : 'down' });
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  if (deps.payloadKeys) await app.register(codecRoutes(deps, deps.payloadKeys));
  app.decorateRequest('principal', null as unknown as Principal);
  await app.register(
    async (api) => {
      api.addHook('onRequest', async (req: FastifyRequest) => {
        req.principal = await principalFromHeader(deps.db, req.headers.authorization, deps.config.adminToken);
      });
      await api.register(bootstrapRoutes(deps));
      await api.register(organizationRoutes(deps));
      await api.register(checkInRoutes(deps));
      await api.register(processRoutes(deps));
      await api.register(memberRoutes(deps));
      await api.register(opsRoutes(deps));
      await api.register(transferRoutes(deps));
      await api.register(duesRoutes(deps));
      await api.register(deletionRoutes(deps));
      await api.register(disciplineRoutes(deps));
      await api.register(consoleApiRoutes(deps));
      await api.register(statsRoutes(deps));
      await api.register(reportRoutes(deps));
      await api.register(memberDataRoutes(deps));
      await api.register(cadresRoutes(deps));
      await api.register(healthRoutes(deps));
      await api.register(campaignsRoutes(deps));
      await api.register(awardsRoutes(deps));
      await api.register(numbersRoutes(deps));
      await api.register(applicationFormsRoutes(deps));
      await api.register(ageOutRoutes(deps));
    },
    { prefix: '/api' },
  );
  // The other provinces' systems (R10): signed requests, no bearer token.
  await app.register(peerTransferRoutes(deps), { prefix: '/peer/v1' });
  // The web console's static files (no bearer token: the page asks for one and sends it to /api).
  await app.register(consoleRoutes(opts.consoleDir), { prefix: '/console' });

  return app;
}
