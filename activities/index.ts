// The activities' composition: every activity the worker registers, built from its dependencies, and each
// process's projection (the worker only registers what is built here, worker/index.ts).
import { ApplicationFailure } from '@temporalio/common';
import { causes } from '../domain/errors';
import type { ProcessKind } from '../domain/processes';
import type { ActivityDeps } from './deps';
import { createCheckInActivities } from './check-in';
import { createProcessActivities, type Projection } from './processes';
import { createTransferActivities, transferProjection } from './transfer';
import { createDuesActivities } from './dues';
import { createDeletionActivities, deletionProjection } from './deletion';
import { createMemberDataActivities, memberDataProjection } from './member-data';
import { createHealthActivities } from './health';
import { createInvariantActivities } from './invariants';
import { createAgeOutActivities } from './age-out';
import { disciplineAwardsProjection } from './awards';
import { campaignProjection, createCampaignActivities } from './campaigns';

export type { ActivityDeps } from './deps';

/** Each process's own read-model change, applied by the one event append in the event's transaction. */
export const PROJECTIONS: Readonly<Record<ProcessKind, Projection | null>> = {
  // A check-in writes its member's rows in its own activities (activities/check-in.ts): no projection of its own.
  'check-in': null,
  transfer: transferProjection,
  deletion: deletionProjection,
  'member-change': memberDataProjection,
  'join-date': memberDataProjection,
  discipline: disciplineAwardsProjection,
  campaign: campaignProjection,
};

export function createActivities(deps: ActivityDeps) {
  return dataErrorsNonRetryable({
    ...createProcessActivities({ db: deps.db, projections: PROJECTIONS, client: deps.client }),
    ...createCheckInActivities(deps),
    ...createTransferActivities({ db: deps.db, province: deps.province ?? 'gd', peers: deps.peers ?? new Map() }),
    ...createDuesActivities(deps),
    ...createDeletionActivities({ db: deps.db, config: deps.config }),
    ...createMemberDataActivities(deps),
    ...createHealthActivities(deps),
    ...createInvariantActivities(deps),
    ...createAgeOutActivities(deps),
    ...createCampaignActivities(deps),
  });
}

/** The SQLSTATE of a PostgreSQL error (pg's DatabaseError), wherever it sits in the cause chain. */
function sqlState(e: unknown): string | undefined {
  for (const c of causes(e)) {
    const code = c.code;
    if (c instanceof Error && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && 'severity' in c) return code;
  }
  return undefined;
}

/**
 * Every activity: a PostgreSQL data exception (SQLSTATE class 22: a NUL byte 22021, a string too long 22001,
 * bad input syntax 22P02, ...) fails for good instead of retrying forever, as an 'InvalidData' failure. The
 * database's message is left out: it may quote the offending value (PII).
 */
export function dataErrorsNonRetryable<T extends object>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        try {
          return await (fn as (...a: unknown[]) => unknown)(...args);
        } catch (e) {
          const code = sqlState(e);
          if (code?.startsWith('22')) {
            throw ApplicationFailure.nonRetryable(
              `${name}: the database refused the data as invalid (SQLSTATE ${code}); the input must be corrected`,
              'InvalidData',
            );
          }
          throw e;
        }
      },
    ]),
  ) as T;
}
