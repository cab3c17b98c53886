// R21: the daily health check, run by a Schedule (worker/schedules.ts): every committee hears once of each new
// problem below it (activities/health.ts). Organizations are taken a page at a time; a long check continues as
// new, carrying its place and its counts.
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { HealthActivities } from '../activities/health';
import { ACTIVITY_OPTIONS } from './options';

const { checkHealthPage } = proxyActivities<HealthActivities>(ACTIVITY_OPTIONS);

export interface HealthCheckResult {
  organizations: number;
  problems: number;
  /** Notifications written: one per new problem and committee above it. */
  notified: number;
  /** Notices of problems that went away, forgotten. */
  cleared: number;
}

export interface HealthCheckInput {
  /** Only this subtree (the whole province when absent). */
  orgPath?: string;
  /** Organizations per page (activities/health.ts HEALTH_PAGE when absent). */
  pageSize?: number;
  /** Set when a check continues as new: the same instant, the next organization, the counts so far. */
  resume?: { asOf: string; after: string; totals: HealthCheckResult };
}

export async function healthCheck(input: HealthCheckInput = {}): Promise<HealthCheckResult> {
  const { orgPath, pageSize, resume } = input;
  const scope = { ...(orgPath ? { orgPath } : {}), ...(pageSize ? { limit: pageSize } : {}) };
  const asOf = resume?.asOf ?? new Date(Date.now()).toISOString();
  const totals = { ...(resume?.totals ?? { organizations: 0, problems: 0, notified: 0, cleared: 0 }) };
  let after: string | null = resume?.after ?? null;
  for (;;) {
    const page = await checkHealthPage({ asOf, after, ...scope });
    totals.organizations += page.organizations;
    totals.problems += page.problems;
    totals.notified += page.notified;
    totals.cleared += page.cleared;
    if (page.next === null) return totals;
    after = page.next;
    if (workflowInfo().continueAsNewSuggested)
      await continueAsNew<typeof healthCheck>({ ...(orgPath ? { orgPath } : {}), ...(pageSize ? { pageSize } : {}), resume: { asOf, after, totals } });
  }
}
