// A reviewed change of member data (R5): the member asks for a new political status, economic income or cadre
// flag; their branch approves or returns it with a reason, or the member withdraws it. Until then the values in
// force stay as they are and the new ones show as pending (member_changes). Reminded before and escalated after
// its deadline like the check-in (config timing.memberChange), which a committee above may extend.
// A single-step review (workflows/review.ts) of the declared kind (processes/member-change.ts).
import { proxyLocalActivities } from '@temporalio/workflow';
import type { MemberDataActivities } from '../activities/member-data';
import type { MemberChangeInput } from '../domain/member-data';
import { memberChangeProcess } from '../processes/member-change';
import type { ProcessResult } from './process';
import { review } from './review';
import { LOCAL_ACTIVITY_OPTIONS } from './options';

const local = proxyLocalActivities<MemberDataActivities>(LOCAL_ACTIVITY_OPTIONS);

export async function memberChange(input: MemberChangeInput): Promise<ProcessResult> {
  return review(memberChangeProcess, input, {
    outcomes: { approve: 'approved', return: 'returned', withdraw: 'withdrawn' },
    // The values before and after, as they stand in the record: the projection applies them with this event.
    payload: (status) =>
      status === 'approved'
        ? { changes: Object.entries(input.fields).map(([field, to]) => ({ field, from: input.previous[field as keyof typeof input.previous] ?? null, to })) }
        : {},
    notice: (status, reason) =>
      status === 'returned' ? `Your change of member data was returned: ${reason ?? ''}` : `Your change of member data was ${status}.`,
    open: (patch) => local.recordMemberChangeRequested({ input, patch }),
    // The member is no longer one whose data changes (R5), or the row is already there: nothing was written.
    refusals: ['rule', 'conflict'],
  });
}
