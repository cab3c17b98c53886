// R22: the province's decisions on its campaign: a phase extended for one city, the campaign closed (both sent to
// the campaign workflow by services/campaigns.ts), and its consent to a re-check-in after 不予注册 (R14).
import { errorResponses, UuidParams } from '../../contract/common';
import { CampaignClosed, CloseBody, ExtensionBody, ExtensionCreated, RefusalConsentBody, RefusalConsented, RefusalParams } from '../../contract/campaigns';
import { campaignOrgById, recordRefusalConsent, refusalOf } from '../../db/queries/campaigns';
import { authorize } from '../../domain/authz';
import { closedCampaign } from '../../domain/campaign-records';
import { DomainError } from '../../domain/errors';
import { closeCampaign, extendCampaign } from '../../services/campaigns';
import type { Api, AppDeps } from '../deps';
import { asProvince, campaignOf, orgOf } from './access';

/** POST /campaigns/:id/extensions and POST /campaigns/:id/close. */
export function provinceRoutes(app: Api, { db, client }: AppDeps): void {
  app.post(
    '/campaigns/:id/extensions',
    {
      schema: {
        summary: "R22: the province extends a phase for one city, with a reason: the deadlines of the city's branches' tasks move later",
        params: UuidParams,
        body: ExtensionBody,
        response: { 201: ExtensionCreated, ...errorResponses },
      },
    },
    async (req, reply) => {
      asProvince(req.principal);
      const campaign = await campaignOf(db, req.params.id, req.principal);
      if (campaign.status !== 'open') throw closedCampaign();
      const city = await campaignOrgById(db, req.body.cityId);
      if (!city || city.parent_id !== campaign.province_id)
        throw DomainError.rule('R22', 'a phase is extended for a city: an organization directly below the province', [
          { field: 'body.cityId', rule: 'R22', message: city ? 'not a city-level organization of the province' : 'unknown organization' },
        ]);
      const { phase, until, reason } = req.body;
      const extended = await extendCampaign({ client }, campaign, {
        city: { id: city.id, path: city.path },
        phase,
        until,
        reason,
        actorId: req.principal.actorId,
      });
      reply.code(201);
      return extended;
    },
  );
  app.post(
    '/campaigns/:id/close',
    {
      schema: {
        summary: 'R22: the province closes its campaign; every branch not done is recorded as unfinished, none dropped',
        params: UuidParams,
        body: CloseBody,
        response: { 200: CampaignClosed, ...errorResponses },
      },
    },
    async (req) => {
      asProvince(req.principal);
      const campaign = await campaignOf(db, req.params.id, req.principal);
      if (campaign.status !== 'open') throw closedCampaign();
      return closeCampaign({ client }, campaign, { ...(req.body.reason ? { reason: req.body.reason } : {}), actorId: req.principal.actorId });
    },
  );
}

/** POST /campaigns/:id/refusals/:memberId/consent. */
export function refusalConsentRoute(app: Api, { db }: AppDeps): void {
  app.post(
    '/campaigns/:id/refusals/:memberId/consent',
    {
      schema: {
        summary:
          'R22: a member deleted after 不予注册 in this campaign is not checked in again until the deciding committee (the province, which alone decides deletions, R14) consents, with a reason',
        params: RefusalParams,
        body: RefusalConsentBody,
        response: { 201: RefusalConsented, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = req.principal;
      const campaign = await campaignOf(db, req.params.id, p);
      const province = await orgOf(db, campaign.province_id);
      authorize(p, 'campaign.review', { orgPath: province.path });
      if (!(await refusalOf(db, campaign.id, req.params.memberId)))
        throw DomainError.notFound('no refusal of registration (不予注册) in this campaign waits for consent for this member');
      const consented = await recordRefusalConsent(db, {
        campaignId: campaign.id,
        memberId: req.params.memberId,
        orgId: province.id,
        actorId: p.actorId,
        reason: req.body.reason,
      });
      if (!consented) throw DomainError.conflict('R22: the consent was recorded meanwhile', 'R22');
      reply.code(201);
      return consented;
    },
  );
}
