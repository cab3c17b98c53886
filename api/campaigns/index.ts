// R22: yearly campaigns. The province opens its year's campaign (education evaluation, then annual registration),
// extends a phase for one city, closes it (services/campaigns.ts sends these to the campaign workflow). Every
// branch's task is a `campaign` process decided through POST /processes/{id}/decisions; here the branch records
// its members' grades and registrations, each organization registers its cadres, and everybody above reads the
// progress of their subtree. The contract of these routes is contract/campaigns.ts.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps';
import { branchRoute } from './branch';
import { campaignRoutes } from './campaigns';
import { progressRoute } from './progress';
import { provinceRoutes, refusalConsentRoute } from './province';
import { branchRecordRoutes, cadresRoute } from './records';

export function campaignsRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    campaignRoutes(app, deps);
    progressRoute(app, deps);
    branchRoute(app, deps);
    branchRecordRoutes(app, deps);
    cadresRoute(app, deps);
    provinceRoutes(app, deps);
    refusalConsentRoute(app, deps);
  };
}
