// R22: a branch's task in the campaign as the branch and the committees above it read it: its step and deadline,
// its members with what was recorded for each, its cadres, and the decisions the caller may take.
import { errorResponses } from '../../contract/common';
import { BranchOrgParams, BranchTaskView } from '../../contract/campaigns';
import { branchMembers } from '../../db/queries/campaign-members';
import { cadresInCampaign } from '../../db/queries/campaign-records';
import { taskProcess } from '../../db/queries/campaigns';
import type { Api, AppDeps } from '../deps';
import { availableActions } from '../process-steps';
import { iso } from '../schemas';
import { campaignBranch } from './access';

/** GET /campaigns/:id/branches/:orgId. */
export function branchRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/campaigns/:id/branches/:orgId',
    {
      schema: {
        summary:
          "R22: a branch's task in the campaign: its step and deadline, its members with their grade and registration (no ID numbers), its cadres, the decisions the caller may take",
        params: BranchOrgParams,
        response: { 200: BranchTaskView, ...errorResponses },
      },
    },
    async (req) => {
      const { campaign, org, task } = await campaignBranch(db, req.principal, req.params.id, req.params.orgId, 'campaign.read');
      const [members, cadres, process] = await Promise.all([
        branchMembers(db, campaign, org.id),
        cadresInCampaign(db, campaign.id, org.id),
        taskProcess(db, task.process_id),
      ]);
      return {
        processId: task.process_id,
        step: task.step,
        deadline: iso(task.deadline)!,
        overdue: task.overdue,
        returnedReason: task.returned_reason,
        members: members.map((m) => ({
          memberId: m.id,
          name: m.name,
          grade: m.grade,
          registration: m.decision === null ? null : { decision: m.decision, reason: m.reason, followUpOn: m.follow_up_on },
          turns28: m.turns28,
        })),
        cadres: cadres.map((c) => ({ cadreId: c.id, name: c.name, post: c.post, registered: c.registered })),
        excellentCap: campaign.excellent_cap,
        availableActions: process ? availableActions(req.principal, process) : [],
      };
    },
  );
}
