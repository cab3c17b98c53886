// R22: what a branch records on its task (its members' grades, their registrations) and what an organization
// registers (its cadres, 团干部注册), while the campaign is open. The rules and the writes: services/campaign-records.ts.
import { errorResponses } from '../../contract/common';
import {
  BranchOrgParams,
  CadreRegistrationBody,
  CadresRegistered,
  GradesBody,
  GradesRecorded,
  IdempotencyHeaders,
  RegistrationsBody,
  RegistrationsRecorded,
} from '../../contract/campaigns';
import { closedCampaign } from '../../domain/campaign-records';
import { recordGrades, recordRegistrations, registerOrgCadres } from '../../services/campaign-records';
import type { Api, AppDeps } from '../deps';
import { campaignBranch, campaignOrg } from './access';

/** PUT /campaigns/:id/branches/:orgId/grades and PUT /campaigns/:id/branches/:orgId/registrations. */
export function branchRecordRoutes(app: Api, { db }: AppDeps): void {
  app.put(
    '/campaigns/:id/branches/:orgId/grades',
    {
      schema: {
        summary:
          "R22: the branch records its members' grades (优秀, 合格, 基本合格, 不合格) at its evaluation step; the cap on 优秀 is checked when it hands them in",
        params: BranchOrgParams,
        headers: IdempotencyHeaders,
        body: GradesBody,
        response: { 200: GradesRecorded, ...errorResponses },
      },
    },
    async (req) => {
      const p = req.principal;
      const { campaign, org, task } = await campaignBranch(db, p, req.params.id, req.params.orgId, 'campaign.record');
      if (campaign.status !== 'open') throw closedCampaign();
      return recordGrades(db, { campaign, org, task, actorId: p.actorId, key: req.headers['idempotency-key'], grades: req.body.grades });
    },
  );
  app.put(
    '/campaigns/:id/branches/:orgId/registrations',
    {
      schema: {
        summary:
          'R22: the branch registers its members: 准予注册, 暂缓注册 (reason, follow-up date) or 不予注册 (reason; the deletion follows, R14); 不合格 registered only with a reason; a member turning 28 this year is not registered (R19)',
        params: BranchOrgParams,
        headers: IdempotencyHeaders,
        body: RegistrationsBody,
        response: { 200: RegistrationsRecorded, ...errorResponses },
      },
    },
    async (req) => {
      const p = req.principal;
      const { campaign, org, task } = await campaignBranch(db, p, req.params.id, req.params.orgId, 'campaign.record');
      if (campaign.status !== 'open') throw closedCampaign();
      return recordRegistrations(db, { campaign, org, task, actorId: p.actorId, key: req.headers['idempotency-key'], entries: req.body.entries });
    },
  );
}

/** PUT /campaigns/:id/cadres/:orgId (团干部注册). */
export function cadresRoute(app: Api, { db }: AppDeps): void {
  app.put(
    '/campaigns/:id/cadres/:orgId',
    {
      schema: {
        summary: 'R22 (团干部注册): an organization registers its current cadres (the R8 registry) in the campaign, while it is open',
        params: BranchOrgParams,
        body: CadreRegistrationBody,
        response: { 200: CadresRegistered, ...errorResponses },
      },
    },
    async (req) => {
      const p = req.principal;
      const { campaign, org } = await campaignOrg(db, p, req.params.id, req.params.orgId, 'campaign.cadres');
      if (campaign.status !== 'open') throw closedCampaign();
      return registerOrgCadres(db, { campaign, org, actorId: p.actorId, cadreIds: req.body.cadreIds });
    },
  );
}
