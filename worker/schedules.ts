// Schedules the worker owns. Created at start-up; a restart with another configuration updates them in place.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Config } from '../domain/config';
import { duesCheck, type DuesCheckInput } from '../workflows/dues-check';
import { healthCheck } from '../workflows/health-check';
import { ageOutSweep } from '../workflows/age-out';
import { invariantCheck } from '../workflows/invariant-check';

/** A subtree a scheduled sweep keeps to (tests keep to their own tree); the whole province when absent. */
export interface ScheduleScope {
  orgPath?: string;
}

/**
 * One schedule of this task queue: `workflow` every `everyMs`, never two at once. Created, or updated in place
 * with the new interval and arguments. Returns its id (`<name>:<task queue>`).
 */
export async function ensureSchedule<W extends Workflow>(
  client: Client,
  config: Pick<Config, 'taskQueue'>,
  name: string,
  everyMs: number,
  workflow: W,
  args: Parameters<W>,
): Promise<string> {
  // Typed where the caller passes the arguments; from here on, any workflow.
  const workflowType: Workflow = workflow;
  const scheduleId = `${name}:${config.taskQueue}`;
  const spec = { intervals: [{ every: everyMs }] };
  const action = { type: 'startWorkflow' as const, workflowType, workflowId: scheduleId, taskQueue: config.taskQueue, args: args as unknown[] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
  } catch (e) {
    if (!(e instanceof ScheduleAlreadyRunning)) throw e;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, ...policies } }));
  }
  return scheduleId;
}

/** R18: the dues check, every `config.dues.checkEveryMs`. */
export function ensureDuesSchedule(client: Client, config: Config, scope: Pick<DuesCheckInput, 'orgPath'> = {}): Promise<string> {
  const args: [DuesCheckInput] = [scope.orgPath ? { orgPath: scope.orgPath } : {}];
  return ensureSchedule(client, config, 'dues-check', config.dues.checkEveryMs, duesCheck, args);
}

/** R21: the health check, every `config.health.checkEveryMs`: each committee hears once of each new problem below it. */
export function ensureHealthSchedule(client: Client, config: Config, scope: ScheduleScope = {}): Promise<string> {
  return ensureSchedule(client, config, 'health-check', config.health.checkEveryMs, healthCheck, [scope.orgPath ? { orgPath: scope.orgPath } : {}]);
}

/** R19: the age-out sweep, every `config.ageOut.checkEveryMs`. */
export function ensureAgeOutSchedule(client: Client, config: Config, scope: ScheduleScope = {}): Promise<string> {
  const input = { noticeMs: config.ageOut.noticeMs, ...(scope.orgPath ? { orgPath: scope.orgPath } : {}) };
  return ensureSchedule(client, config, 'age-out', config.ageOut.checkEveryMs, ageOutSweep, [input]);
}

/** R25: the invariant check, daily unless told otherwise (no setting of its own yet): every violation told to its province. */
export function ensureInvariantSchedule(client: Client, config: Config, scope: ScheduleScope = {}, everyMs = 86_400_000): Promise<string> {
  return ensureSchedule(client, config, 'invariant-check', everyMs, invariantCheck, [scope.orgPath ? { orgPath: scope.orgPath } : {}]);
}

/** Every schedule the worker owns. */
export async function ensureSchedules(client: Client, config: Config): Promise<void> {
  await ensureDuesSchedule(client, config);
  await ensureHealthSchedule(client, config);
  await ensureAgeOutSchedule(client, config);
  await ensureInvariantSchedule(client, config);
}
