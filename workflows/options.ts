// The options of every workflow's activities: how long one may run and how it is retried.
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/** Activities retry until the database answers (nothing accepted is lost); bad data does not retry. */
export const ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: ['InvariantViolation'] },
};

/**
 * An update handler's first write (workflows/process.ts `update`): a regular activity, so the
 * update is recorded as accepted before the write runs. A worker lost while running it delays the decision until
 * this timeout, so it is the 10 s a lost workflow task took when the write was local, not the 30 s above; a slow
 * attempt that is retried writes nothing twice (the append is keyed).
 */
export const UPDATE_WRITE_OPTIONS: ActivityOptions = { ...ACTIVITY_OPTIONS, startToCloseTimeout: '10 seconds' };

/** Local activities for the writes a caller waits on: they run inside the workflow task, saving round trips. */
export const LOCAL_ACTIVITY_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
  retry: ACTIVITY_OPTIONS.retry,
};
