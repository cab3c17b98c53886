// R22: the yearly campaign's messages and their shapes, declared once: the province's updates to the campaign
// (services/campaigns.ts sends them, workflows/campaign.ts handles them), the fan-out's signals to each branch's task
// (activities/campaigns/fan-out.ts sends them, workflows/campaign-task.ts handles them). Only definitions.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CampaignPhases, CampaignTaskInput, Due, Phase } from '../domain/campaign-plan';

/** A campaign as the fan-out and its tasks know it. */
export interface CampaignRef {
  campaignId: string;
  workflowId: string;
  provinceId: string;
  year: number;
  phases: CampaignPhases;
  timing: CampaignTaskInput['timing'];
}

/** What a fan-out does to each branch of a page: open its task, tell it the campaign closed, or move a phase's deadline. */
export type FanOutOp = { op: 'open' } | { op: 'close' } | { op: 'extend'; phase: Phase; until: Due; reason: string; actorId: string };

export interface FanOutCounts {
  branches: number;
  /** Task workflows started (open), or signalled (close, extend). */
  reached: number;
  /** Already started (a retried page, a re-run fan-out), or gone (closed meanwhile). */
  existing: number;
}

/** What the campaign workflow starts with (R22). */
export interface CampaignOpenInput extends CampaignRef {
  provincePath: string;
  excellentCap: number | null;
  openedBy: string;
}

export interface CampaignInput extends CampaignOpenInput {
  /** Branches per fan-out page, and task starts (or signals) in flight at once (config campaign.fanOutPage, startConcurrency). */
  fanOutPage: number;
  concurrency: number;
}

export interface ExtendCommand {
  extensionId: string;
  cityId: string;
  cityPath: string;
  phase: Phase;
  until: Due;
  reason: string;
  actorId: string;
}

export interface CloseCommand {
  reason?: string;
  actorId: string;
}

export interface CampaignState {
  campaignId: string;
  status: 'opening' | 'fanning-out' | 'open' | 'closing' | 'closed';
  partitions: number;
  fanOut: FanOutCounts;
  extensionsPending: number;
}

/** Answers once the campaign's row is written: the API's start waits for it (update-with-start). */
export const campaignOpenedUpdate = defineUpdate<{ campaignId: string; workflowId: string }>('opened');
/** R22: the province extends a phase for one city, with a reason. */
export const campaignExtendUpdate = defineUpdate<{ extensionId: string }, [ExtendCommand]>('extend');
/** R22: the province closes the campaign; every unfinished branch is recorded as unfinished. */
export const campaignCloseUpdate = defineUpdate<{ unfinished: number }, [CloseCommand]>('close');
export const campaignStateQuery = defineQuery<CampaignState>('state');
/** R22: branches created while the campaign is open (imported, moved in): each gets its task (services/campaigns.ts). */
export const campaignBranchesCreatedSignal = defineSignal<[{ branchIds: string[] }]>('branchesCreated');

/** The province moved a phase's deadline for the branch's city (R22). */
export const campaignExtendedSignal = defineSignal<[{ phase: Phase; until: Due; reason: string; actorId: string }]>('campaignExtended');
/** The province closed the campaign: the task ends unfinished (its row already says so). */
export const campaignClosedSignal = defineSignal('campaignClosed');
