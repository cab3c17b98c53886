// R22: the campaigns themselves: the province opens its year's campaign (services/campaigns.ts sends it to the
// campaign workflow), and the organizations of the province read their campaigns.
import { errorResponses, UuidParams } from '../../contract/common';
import { CampaignList, CampaignOpen, CampaignOpened, CampaignView } from '../../contract/campaigns';
import { campaignOfYear, campaignsOfProvince, type CampaignRow } from '../../db/queries/campaigns';
import { DomainError } from '../../domain/errors';
import { openCampaign } from '../../services/campaigns';
import type { Api, AppDeps } from '../deps';
import { iso } from '../schemas';
import { asProvince, callerProvince, campaignOf } from './access';

function campaignView(c: CampaignRow): CampaignView {
  return {
    id: c.id,
    provinceId: c.province_id,
    year: c.year,
    status: c.status,
    phases: c.phases,
    excellentCap: c.excellent_cap,
    openedAt: iso(c.opened_at)!,
    fannedOutAt: iso(c.fanned_out_at),
    tasks: c.tasks,
    closedAt: iso(c.closed_at),
  };
}

/** POST /campaigns, GET /campaigns, GET /campaigns/:id. */
export function campaignRoutes(app: Api, { db, client, config }: AppDeps): void {
  app.post(
    '/campaigns',
    {
      schema: {
        summary:
          "R22: the province opens its year's campaign: education evaluation then annual registration, their dates, a deadline per level, dated targets, the cap on 优秀",
        body: CampaignOpen,
        response: { 201: CampaignOpened, ...errorResponses },
      },
    },
    async (req, reply) => {
      const province = asProvince(req.principal);
      // One campaign per province and year (R22): refused here, before the workflow is asked (its update-with-start
      // answers a repeated open with the first campaign).
      if (await campaignOfYear(db, province.id, req.body.year))
        throw DomainError.conflict(`R22: the province's ${req.body.year} campaign is already open (or was)`, 'R22');
      const opened = await openCampaign({ client, config }, { province, plan: req.body, actorId: req.principal.actorId });
      reply.code(201);
      return { ...opened, year: req.body.year };
    },
  );
  app.get(
    '/campaigns',
    {
      schema: {
        summary: "R22: the campaigns of the caller's province, newest year first",
        response: { 200: CampaignList, ...errorResponses },
      },
    },
    async (req) => ({ items: (await campaignsOfProvince(db, callerProvince(req.principal))).map(campaignView) }),
  );
  app.get(
    '/campaigns/:id',
    { schema: { summary: "R22: a campaign of the caller's province", params: UuidParams, response: { 200: CampaignView, ...errorResponses } } },
    async (req) => campaignView(await campaignOf(db, req.params.id, req.principal)),
  );
}
