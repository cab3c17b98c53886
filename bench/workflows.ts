// Workflows for the benchmarks: the real ones, and a bare workflow with the same shape as the check-in
// (start with an early-return update, one activity, a decision update, one activity) but no domain work.
import { allHandlersFinished, condition, defineUpdate, proxyLocalActivities, setHandler } from '@temporalio/workflow';

export { campaign, campaignFanOut, campaignTask, checkIn } from '../workflows/index';

export const bareSubmitted = defineUpdate<string>('submitted');
export const bareDecide = defineUpdate<string, [string]>('decide');

// The same kind of activity as the check-in's recorded steps (local), doing nothing.
const { bareRecord } = proxyLocalActivities<{ bareRecord(step: string): Promise<void> }>({ startToCloseTimeout: '30 seconds' });

export async function bareProcess(): Promise<string> {
  let recorded = false;
  let decision: string | undefined;
  setHandler(bareSubmitted, async () => {
    await condition(() => recorded);
    return 'pending';
  });
  setHandler(bareDecide, async (d) => {
    decision = d;
    await bareRecord('decision');
    return d;
  });
  await bareRecord('submitted');
  recorded = true;
  await condition(() => decision !== undefined && allHandlersFinished());
  return decision!;
}
