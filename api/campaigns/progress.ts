// R22: everybody above a branch reads the progress of their subtree: one query over the read model
// (db/queries/campaign-progress.ts), turned into shares against the targets and deadlines (domain/campaign-progress.ts).
import { errorResponses, UuidParams } from '../../contract/common';
import { ProgressQuery, ProgressView } from '../../contract/campaigns';
import { cadreCounts, campaignExtensions, progressChildren, subtreeCounts } from '../../db/queries/campaign-progress';
import { latestExtensions, subtreeProgress } from '../../domain/campaign-progress';
import type { Api, AppDeps } from '../deps';
import { campaignOrg } from './access';

/** GET /campaigns/:id/progress. */
export function progressRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/campaigns/:id/progress',
    {
      schema: {
        summary:
          "R22: progress of an organization's subtree (default: the caller's): branches done, in progress, overdue; members evaluated and registered; cadres registered; each phase's share against its target and deadline, and which child organizations are behind",
        params: UuidParams,
        querystring: ProgressQuery,
        response: { 200: ProgressView, ...errorResponses },
      },
    },
    async (req) => {
      const p = req.principal;
      const { campaign, org } = await campaignOrg(db, p, req.params.id, req.query.orgId ?? p.orgId ?? '', 'campaign.read');
      const [rows, cadres, extensions] = await Promise.all([
        subtreeCounts(db, campaign.id, org.path),
        cadreCounts(db, campaign.id, org.path),
        campaignExtensions(db, campaign.id),
      ]);
      const children = await progressChildren(
        db,
        rows.map((r) => r.child).filter((c) => c !== ''),
      );
      return subtreeProgress({ phases: campaign.phases, org, rows, children, cadres, extensions: latestExtensions(extensions), now: Date.now() });
    },
  );
}
