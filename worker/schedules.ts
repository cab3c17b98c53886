// Schedules the worker owns. Created at start-up; a restart with another configuration updates them in place.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Config } from '../domain/config';
import { duesCheck, type DuesCheckInput } from '../workflows/dues-check';

/**
 * R18: the dues check, every `config.dues.checkEveryMs`, on this task queue; never two at once. Returns its id.
 * `scope.orgPath` limits the check to a subtree (tests use it to keep to their own tree).
 */
export async function ensureDuesSchedule(client: Client, config: Config, scope: Pick<DuesCheckInput, 'orgPath'> = {}): Promise<string> {
  const scheduleId = `dues-check:${config.taskQueue}`;
  const spec = { intervals: [{ every: config.dues.checkEveryMs }] };
  const args: [DuesCheckInput] = [scope.orgPath ? { orgPath: scope.orgPath } : {}];
  const action = { type: 'startWorkflow' as const, workflowType: duesCheck, workflowId: scheduleId, taskQueue: config.taskQueue, args };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
  } catch (e) {
    if (!(e instanceof ScheduleAlreadyRunning)) throw e;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, ...policies } }));
  }
  return scheduleId;
}
