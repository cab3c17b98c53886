// Issue 13 routes; to be written.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from './deps';

export function numbersRoutes(_deps: AppDeps): FastifyPluginAsyncZod {
  return async () => {};
}
