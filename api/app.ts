// The thin HTTP API: validate with zod, authorize, call Temporal or read the read model, map to HTTP.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Client } from '@temporalio/client';
import type { Db } from '../activities/db';
import type { Config } from '../domain/config';
import type { Principal } from '../domain/authz';
import { DomainError, HTTP_STATUS, type Problem } from '../domain/errors';
import { redactIdNumbers } from '../domain/identifiers';
import { principalFromHeader } from './auth';
import { bootstrapRoutes } from './bootstrap';
import { checkInRoutes } from './check-ins';
import { processRoutes } from './processes';
import { memberRoutes } from './members';
import { codecRoutes } from './codec';
import { opsRoutes } from './ops';
import { peerTransferRoutes, transferRoutes } from './transfers';
import { duesRoutes } from './dues';
import { deletionRoutes } from './deletions';
import { disciplineRoutes } from './discipline';
import type { PayloadKeys } from '../worker/codec';

export interface AppDeps {
  db: Db;
  client: Client;
  config: Config;
  /** With keys, the API serves the codec endpoint for the Temporal Web UI. */
  payloadKeys?: PayloadKeys;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

export function problemBody(p: Problem) {
  return { error: p.kind, message: p.message, ...(p.rule ? { rule: p.rule } : {}), ...(p.fields ? { fields: p.fields } : {}) };
}

export async function buildApp(deps: AppDeps, opts: { logger?: boolean; logStream?: NodeJS.WritableStream } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger
      ? {
          ...(opts.logStream ? { stream: opts.logStream } : {}),
          // Logs never carry a full ID number: request bodies are not logged, and messages are redacted.
          hooks: { streamWrite: (line: string) => redactIdNumbers(line) },
        }
      : false,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Tuanwu', description: 'Youth-league membership processes', version: '0.1.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler((err, _req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = (err as { validationContext?: string }).validationContext ?? 'body';
      const fields = err.validation.map((v) => ({
        field: [where, ...v.instancePath.split('/').filter(Boolean)].join('.'),
        message: v.message ?? 'invalid',
      }));
      return reply.code(400).send(problemBody({ kind: 'invalid', message: `invalid ${where}`, fields }));
    }
    if (err instanceof DomainError) return reply.code(HTTP_STATUS[err.problem.kind]).send(problemBody(err.problem));
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply.code(status).send({ error: 'invalid', message: (err as Error).message });
    }
    reply.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });

  app.get('/healthz', { schema: { hide: true } }, async () => {
    await deps.db.selectFrom('organizations').select('id').limit(1).execute();
    return { ok: true };
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  if (deps.payloadKeys) await app.register(codecRoutes(deps, deps.payloadKeys));
  app.decorateRequest('principal', null as unknown as Principal);
  await app.register(async (api) => {
    api.addHook('onRequest', async (req: FastifyRequest) => {
      req.principal = await principalFromHeader(deps.db, req.headers.authorization, deps.config.adminToken);
    });
    await api.register(bootstrapRoutes(deps));
    await api.register(checkInRoutes(deps));
    await api.register(processRoutes(deps));
    await api.register(memberRoutes(deps));
    await api.register(opsRoutes(deps));
    await api.register(transferRoutes(deps));
    await api.register(duesRoutes(deps));
    await api.register(deletionRoutes(deps));
    await api.register(disciplineRoutes(deps));
  }, { prefix: '/api' });
  // The other provinces' systems (R10): signed requests, no bearer token.
  await app.register(peerTransferRoutes(deps), { prefix: '/peer/v1' });

  return app;
}
