// R22: the API's side of a campaign: open it (update-with-start: answers once the campaign's row is written),
// extend a phase for one city, close it. Refusals keep their kind and rule.
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Db } from '../db';
import { pathIds } from '../domain/orgs';
import type { Config } from '../domain/config';
import { DomainError } from '../domain/errors';
import type { CampaignOpen, Due, Phase } from '../domain/campaigns';
import { campaignWorkflowId } from '../domain/workflow-ids';
import { campaignBranchesCreatedSignal, campaignCloseUpdate, campaignExtendUpdate, campaignOpenedUpdate, type CampaignInput } from '../processes/campaign';
import { signalIfOpen } from '../temporal/campaigns';
import { toDomainError } from '../temporal/errors';

export interface CampaignDeps {
  client: Client;
  config: Pick<Config, 'taskQueue' | 'campaign'>;
}

/** R22: the province opens the year's campaign; one per province and year, ever (the workflow ID). */
export async function openCampaign(
  { client, config }: CampaignDeps,
  o: { province: { id: string; path: string }; plan: CampaignOpen; actorId: string },
): Promise<{ campaignId: string; workflowId: string }> {
  const { plan } = o;
  const workflowId = campaignWorkflowId(o.province.id, plan.year);
  const input: CampaignInput = {
    campaignId: randomUUID(),
    workflowId,
    provinceId: o.province.id,
    provincePath: o.province.path,
    year: plan.year,
    phases: { evaluation: plan.evaluation, registration: plan.registration },
    excellentCap: plan.excellentCap === undefined ? config.campaign.excellentCap : plan.excellentCap,
    openedBy: o.actorId,
    timing: { reminderOffsetsMs: config.campaign.reminderOffsetsMs, escalationIntervalMs: config.campaign.escalationIntervalMs },
    fanOutPage: config.campaign.fanOutPage,
    concurrency: config.campaign.startConcurrency,
  };
  try {
    return await client.workflow.executeUpdateWithStart(campaignOpenedUpdate, {
      // An update ID of its own: a second open of the same year fails on the workflow ID (409), never answers the first's.
      updateId: randomUUID(),
      startWorkflowOperation: new WithStartWorkflowOperation('campaign', {
        workflowId,
        taskQueue: config.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }),
    });
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError || (e instanceof Error && e.cause instanceof WorkflowExecutionAlreadyStartedError))
      throw DomainError.conflict(`the ${plan.year} campaign of this province is already open (or was)`, 'R22');
    throw toDomainError(e, 'campaign');
  }
}

/** R22: the province extends a phase for one city (the API checked it is a city of the province). */
export async function extendCampaign(
  { client }: Pick<CampaignDeps, 'client'>,
  c: { workflow_id: string },
  e: { city: { id: string; path: string }; phase: Phase; until: Due; reason: string; actorId: string },
): Promise<{ extensionId: string }> {
  const cmd = { extensionId: randomUUID(), cityId: e.city.id, cityPath: e.city.path, phase: e.phase, until: e.until, reason: e.reason, actorId: e.actorId };
  try {
    return await client.workflow.getHandle(c.workflow_id).executeUpdate(campaignExtendUpdate, { args: [cmd], updateId: cmd.extensionId });
  } catch (err) {
    throw toDomainError(err, 'campaign');
  }
}

/** R22: the province closes the campaign; answers how many branches were left unfinished. */
export async function closeCampaign(
  { client }: Pick<CampaignDeps, 'client'>,
  c: { workflow_id: string },
  e: { reason?: string; actorId: string },
): Promise<{ unfinished: number }> {
  try {
    return await client.workflow
      .getHandle(c.workflow_id)
      .executeUpdate(campaignCloseUpdate, { args: [{ ...(e.reason ? { reason: e.reason } : {}), actorId: e.actorId }] });
  } catch (err) {
    throw toDomainError(err, 'campaign');
  }
}

/**
 * R22: organizations were created (imported, or moved in, R30): the open campaigns of their provinces hear of the
 * branches among them, and give each its task with the phase's deadlines (workflows/campaign.ts). Called once the
 * creating transaction committed; a repeated call starts nothing twice (the task's workflow ID is the branch's).
 */
export async function tellCampaignsOfNewBranches({ db, client }: { db: Db; client: Client }, orgIds: Iterable<string>): Promise<void> {
  const ids = [...new Set(orgIds)];
  if (ids.length === 0) return;
  const branches = await db.selectFrom('organizations').select(['id', 'path']).where('id', 'in', ids).where('kind', '=', 'branch').execute();
  const byProvince = new Map<string, string[]>();
  for (const b of branches) {
    const province = pathIds(b.path)[0]!;
    byProvince.set(province, [...(byProvince.get(province) ?? []), b.id]);
  }
  if (byProvince.size === 0) return;
  const open = await db
    .selectFrom('campaigns')
    .select(['workflow_id', 'province_id'])
    .where('province_id', 'in', [...byProvince.keys()])
    .where('status', '=', 'open')
    .execute();
  for (const c of open)
    await signalIfOpen(() => client.workflow.getHandle(c.workflow_id).signal(campaignBranchesCreatedSignal, { branchIds: byProvince.get(c.province_id)! }));
}
