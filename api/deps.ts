// What every route module shares: the dependencies a route plugin is built with, the instance it is given,
// and the problem body of an error answer. Imports no route (api/app.ts imports the routes).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Client } from '@temporalio/client';
import type { Db } from '../db';
import type { Config } from '../domain/config';
import type { Principal } from '../domain/authz';
import { HTTP_STATUS, type Problem } from '../domain/errors';
import type { PayloadKeys } from '../temporal/codec';

export interface AppDeps {
  db: Db;
  client: Client;
  config: Config;
  /** With keys, the API serves the codec endpoint for the Temporal Web UI. */
  payloadKeys?: PayloadKeys;
}

/** The Fastify instance a route plugin registers its routes on (zod type provider). */
export type Api = Parameters<FastifyPluginAsyncZod>[0];

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/**
 * The body of an error answer: its HTTP status and kind (what the console reads), `error` (the same kind, as
 * clients before the console read it), the message, and the rule and fields when known.
 */
export function problemBody(p: Problem, status: number = HTTP_STATUS[p.kind]) {
  return {
    status,
    kind: p.kind,
    error: p.kind,
    message: p.message,
    ...(p.rule ? { rule: p.rule } : {}),
    ...(p.fields ? { fields: p.fields } : {}),
  };
}
