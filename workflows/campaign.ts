// R22: a yearly campaign over the whole province, as one durable process that fans out down the tree.
//
// Scale (50,000 branches): the campaign's own history holds one child per partition (a child of the province root
// with its subtree: about 20 cities), never a child per branch. Each partition's fan-out (`campaignFanOut`) walks
// its branches by path, a page at a time: one activity per page writes the page's rows in one transaction and
// starts the page's task workflows (one per branch, workflows/campaign-task.ts) under IDs derived from the branch,
// so a retried page or a re-run fan-out starts nothing twice. A fan-out continues as new before its history
// grows large. Closing and extending a city's phase reach the open tasks the same way, a page of signals at a time.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CampaignActivities } from '../activities/campaigns';
import {
  campaignBranchesCreatedSignal,
  campaignCloseUpdate,
  campaignExtendUpdate,
  campaignOpenedUpdate,
  campaignStateQuery,
  type CampaignInput,
  type CampaignRef,
  type CampaignState,
  type CloseCommand,
  type ExtendCommand,
  type FanOutCounts,
  type FanOutOp,
} from '../processes/campaign';
import { campaignFanOutWorkflowId } from '../domain/workflow-ids';
import { ACTIVITY_OPTIONS, LOCAL_ACTIVITY_OPTIONS } from './options';
import { refuse } from './refusals';

const local = proxyLocalActivities<CampaignActivities>(LOCAL_ACTIVITY_OPTIONS);
const remote = proxyActivities<CampaignActivities>(ACTIVITY_OPTIONS);
/** A page starts up to `fanOutPage` workflows: a longer timeout, with heartbeats so a lost worker is noticed soon. */
const pages = proxyActivities<CampaignActivities>({ ...ACTIVITY_OPTIONS, startToCloseTimeout: '10 minutes', heartbeatTimeout: '30 seconds' });

const zero = (): FanOutCounts => ({ branches: 0, reached: 0, existing: 0 });
const add = (a: FanOutCounts, b: FanOutCounts): FanOutCounts => ({
  branches: a.branches + b.branches,
  reached: a.reached + b.reached,
  existing: a.existing + b.existing,
});

export async function campaign(input: CampaignInput): Promise<{ campaignId: string; tasks: number; unfinished: number }> {
  const { campaignId, workflowId } = input;
  const state: CampaignState = { campaignId, status: 'opening', partitions: 0, fanOut: zero(), extensionsPending: 0 };
  const extensions: ExtendCommand[] = [];
  // Branches created meanwhile, waiting for their tasks.
  const created: string[] = [];
  let closing: CloseCommand | undefined;
  // Set once the close is written: the close update answers with it.
  let unfinished: number | undefined = undefined;

  setHandler(campaignStateQuery, () => ({ ...state, extensionsPending: extensions.length }));
  setHandler(campaignBranchesCreatedSignal, ({ branchIds }) => {
    if (closing || state.status === 'closed' || !Array.isArray(branchIds)) return;
    for (const id of branchIds) if (typeof id === 'string' && !created.includes(id)) created.push(id);
  });
  setHandler(campaignOpenedUpdate, async () => {
    await condition(() => state.status !== 'opening');
    return { campaignId, workflowId };
  });
  setHandler(
    campaignExtendUpdate,
    async (cmd) => {
      await condition(() => state.status !== 'opening');
      await local.recordCampaignExtension({ campaignId, ...cmd });
      // The tasks hear of it once the fan-out has started them all (a task started later reads it at its start).
      extensions.push(cmd);
      return { extensionId: cmd.extensionId };
    },
    {
      validator: (cmd) => {
        if (closing || state.status === 'closed') refuse('conflict', 'the campaign is closed', 'R22');
        if (!cmd || typeof cmd.cityId !== 'string' || typeof cmd.reason !== 'string' || cmd.reason === '')
          refuse('invalid', 'an extension names the city and a reason', 'R22');
        if (cmd.phase !== 'evaluation' && cmd.phase !== 'registration') refuse('invalid', `no phase "${String(cmd.phase)}"`, 'R22');
        if (Number.isNaN(Date.parse(cmd.until))) refuse('invalid', 'until must be a date or an instant', 'R22');
      },
    },
  );
  setHandler(
    campaignCloseUpdate,
    async (cmd) => {
      closing = cmd;
      await condition(() => unfinished !== undefined);
      return { unfinished: unfinished! };
    },
    {
      validator: (_cmd) => {
        if (closing || state.status === 'closed') refuse('conflict', 'the campaign is already closed', 'R22');
      },
    },
  );

  await local.recordCampaignOpened(input);
  state.status = 'fanning-out';
  const ref: CampaignRef = { campaignId, workflowId, provinceId: input.provinceId, year: input.year, phases: input.phases, timing: input.timing };
  const partitions = await remote.campaignPartitions({ provinceId: input.provinceId });
  state.partitions = partitions.length;
  state.fanOut = await fanOutAll(input, ref, partitions, { op: 'open' }, 'open');
  await remote.recordFannedOut({ campaignId, tasks: state.fanOut.branches });
  state.status = 'open';

  // Extensions are handed on in the order given, each to its city's open tasks, until the province closes; the
  // branches created meanwhile get their tasks first (the fan-out may have passed them by).
  for (;;) {
    await condition(() => closing !== undefined || extensions.length > 0 || created.length > 0);
    if (created.length > 0) {
      const branchIds = created.splice(0, input.fanOutPage);
      await pages.openBranchTasks({ campaign: ref, branchIds, concurrency: input.concurrency });
      continue;
    }
    const ext = extensions.shift();
    if (!ext) break;
    const action: FanOutOp = { op: 'extend', phase: ext.phase, until: ext.until, reason: ext.reason, actorId: ext.actorId };
    await fanOutAll(input, ref, [{ id: ext.cityId, path: ext.cityPath }], action, `extend-${ext.extensionId}`);
  }
  state.status = 'closing';
  const closed = await remote.closeCampaignTasks({ campaignId, actorId: closing!.actorId, ...(closing!.reason ? { reason: closing!.reason } : {}) });
  unfinished = closed.unfinished;
  await fanOutAll(input, ref, partitions, { op: 'close' }, 'close');
  state.status = 'closed';
  await condition(allHandlersFinished);
  return { campaignId, tasks: state.fanOut.branches, unfinished };
}

/** One child fan-out per partition, all at once; their counts added up. */
async function fanOutAll(
  input: CampaignInput,
  campaign: CampaignRef,
  partitions: { id: string; path: string }[],
  action: FanOutOp,
  op: string,
): Promise<FanOutCounts> {
  const results = await Promise.all(
    partitions.map((partition) =>
      executeChild(campaignFanOut, {
        workflowId: campaignFanOutWorkflowId(input.workflowId, op, partition.id),
        args: [{ campaign, partition, action, limit: input.fanOutPage, concurrency: input.concurrency, after: null, totals: zero() }],
      }),
    ),
  );
  return results.reduce(add, zero());
}

export interface FanOutInput {
  campaign: CampaignRef;
  partition: { id: string; path: string };
  action: FanOutOp;
  limit: number;
  concurrency: number;
  /** Where a fan-out that continued as new goes on, and its counts so far. */
  after: string | null;
  totals: FanOutCounts;
}

/** Pages through one partition's branches; continues as new when Temporal suggests it, carrying its place. */
export async function campaignFanOut(input: FanOutInput): Promise<FanOutCounts> {
  let { after, totals } = input;
  for (;;) {
    const page = await pages.fanOutPage({
      campaign: input.campaign,
      partition: input.partition,
      action: input.action,
      after,
      limit: input.limit,
      concurrency: input.concurrency,
    });
    totals = add(totals, page);
    if (page.next === null) return totals;
    after = page.next;
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof campaignFanOut>({ ...input, after, totals });
  }
}
