// The codec endpoint the Temporal Web UI calls to show decoded payloads, for province admins only.
// The UI sends no bearer token by default, so the token may also be part of the endpoint URL that a user
// sets in the UI's codec settings: http://host:port/codec/t/<token>.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Payload } from '@temporalio/common';
import type { AppDeps } from './deps';
import { principalFromHeader } from './auth';
import { DomainError } from '../domain/errors';
import { EncryptionCodec, type PayloadKeys } from '../temporal/codec';

// Open on purpose (issue 20): a payload is Temporal's (its Web UI sends what its API version has); only these are read.
const JsonPayload = z.looseObject({ metadata: z.record(z.string(), z.string()).nullish(), data: z.string().nullish() });
const Body = z.object({ payloads: z.array(JsonPayload).max(1000) });

function fromJson(p: z.infer<typeof JsonPayload>): Payload {
  return {
    metadata: p.metadata ? Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])) : {},
    data: p.data ? Buffer.from(p.data, 'base64') : undefined,
  };
}

function toJson(p: Payload) {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: p.data ? Buffer.from(p.data).toString('base64') : undefined,
  };
}

export function codecRoutes({ db, config }: AppDeps, keys: PayloadKeys): FastifyPluginAsyncZod {
  const codec = new EncryptionCodec(keys);
  const origins = new Set(config.uiOrigins);
  const cors = (req: FastifyRequest, reply: FastifyReply) => {
    const origin = req.headers.origin;
    if (origin && origins.has(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-allow-credentials', 'true');
      reply.header('access-control-allow-headers', 'content-type,x-namespace,authorization');
      reply.header('access-control-allow-methods', 'POST,OPTIONS');
      reply.header('vary', 'origin');
    }
  };
  const admit = async (req: FastifyRequest, token?: string) => {
    const p = await principalFromHeader(db, token ? `Bearer ${token}` : req.headers.authorization, config.adminToken);
    if (p.role !== 'province_admin' && p.role !== 'system') throw DomainError.forbidden('only province admins decode histories');
  };
  return async (app) => {
    for (const prefix of ['/codec', '/codec/t/:token']) {
      for (const op of ['decode', 'encode'] as const) {
        app.options(`${prefix}/${op}`, { schema: { hide: true } }, async (req, reply) => {
          cors(req, reply);
          return reply.code(204).send();
        });
        app.post(
          `${prefix}/${op}`,
          {
            schema: {
              summary: `Codec endpoint for the Temporal Web UI: ${op} payloads (province admins)`,
              body: Body,
              params: z.object({ token: z.string().optional() }),
            },
          },
          async (req, reply) => {
            cors(req, reply);
            await admit(req, req.params.token);
            const payloads = req.body.payloads.map(fromJson);
            const out = op === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
            return { payloads: out.map(toJson) };
          },
        );
      }
    }
  };
}
