// The check-in review (R1-R4): pending until the branch approves or returns it, or the member withdraws it;
// reminded before and escalated after its 10-day deadline, which a committee above may extend.
// A single-step review (workflows/review.ts) of the declared kind (processes/check-in.ts).
import { proxyLocalActivities } from '@temporalio/workflow';
import type { CheckInActivities } from '../activities/check-in';
import type { CheckInInput } from '../domain/check-in';
import { checkInProcess } from '../processes/check-in';
import type { ProcessResult } from './process';
import { review } from './review';
import { LOCAL_ACTIVITY_OPTIONS } from './options';

const local = proxyLocalActivities<CheckInActivities>(LOCAL_ACTIVITY_OPTIONS);

export async function checkIn(input: CheckInInput): Promise<ProcessResult> {
  // R2/R4: the outcome; the member record changes by the member-status table (the check-in projection).
  return review(checkInProcess, input, {
    outcomes: { approve: 'approved', return: 'returned', withdraw: 'withdrawn' },
    notice: (status, reason) => (status === 'returned' ? `Your check-in was returned: ${reason ?? ''}` : `Your check-in was ${status}.`),
    open: (first) => local.recordCheckInSubmitted({ input, submittedAt: new Date().toISOString(), deadline: first.deadline! }),
    // The database refused it (e.g. a concurrent check-in took the ID number): nothing was written.
    refusals: ['conflict'],
    // Cancelled by a parent (an inbound transfer the other province called off, R10): closed as withdrawn.
    cancelled: 'the transfer it belonged to was called off',
  });
}
