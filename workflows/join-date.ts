// A join-date correction (R7). Inside the window the province opens, the member asks and the branch reviews
// (approve, return with a reason; the member withdraws). Outside it, only a city-level committee files a formal
// request with a reason, and the province decides (approve, reject with a reason). Approval is the only change
// of the join date after the check-in's approval (R4); the event records both dates.
// A single-step review (workflows/review.ts) of the declared kind (processes/join-date.ts): the route decides its step.
import { proxyLocalActivities } from '@temporalio/workflow';
import type { MemberDataActivities } from '../activities/member-data';
import type { JoinDateInput } from '../domain/member-data';
import { joinDateProcess } from '../processes/join-date';
import type { ProcessResult } from './process';
import { review } from './review';
import { LOCAL_ACTIVITY_OPTIONS } from './options';

const local = proxyLocalActivities<MemberDataActivities>(LOCAL_ACTIVITY_OPTIONS);

export async function joinDate(input: JoinDateInput): Promise<ProcessResult> {
  return review(joinDateProcess, input, {
    outcomes: { approve: 'approved', return: 'returned', withdraw: 'withdrawn', reject: 'rejected' },
    payload: (status) => ({ route: input.route, ...(status === 'approved' ? { from: input.previous, to: input.joinDate } : {}) }),
    notice: (status, reason) => `The correction of your join date was ${status}${reason ? `: ${reason}` : ''}.`,
    open: (patch) => local.recordJoinDateRequested({ input, patch }),
    // The member is no longer one whose data changes (R7), or the row is already there: nothing was written.
    refusals: ['rule', 'conflict'],
  });
}
