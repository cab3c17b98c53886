// Transfers (R9-R13): route preview, start, graduates' roster, graduate statistics and data problems, in one
// plugin (its parsers of uploaded files serve them all). The endpoints the other provinces' systems call (R10) are
// api/transfers/peer.ts.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps';
import { acceptUploads } from '../schemas';
import { startRoutes } from './start';
import { rosterRoutes } from './roster';
import { statisticsRoutes } from './statistics';

export function transferRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    acceptUploads(app, 64 * 1024 * 1024);

    startRoutes(app, deps);
    rosterRoutes(app, deps);
    statisticsRoutes(app, deps);
  };
}
