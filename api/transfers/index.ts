// Transfers (R9-R13): route preview, start, graduates' roster, graduate statistics and data problems, in one
// plugin (its text/csv parser serves them all). The endpoints the other provinces' systems call (R10) are
// api/transfers/peer.ts.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps';
import { startRoutes } from './start';
import { rosterRoutes } from './roster';
import { statisticsRoutes } from './statistics';

export function transferRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 64 * 1024 * 1024 }, (_req, body, done) => done(null, body));

    startRoutes(app, deps);
    rosterRoutes(app, deps);
    statisticsRoutes(app, deps);
  };
}
