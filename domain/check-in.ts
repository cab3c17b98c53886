import { z } from 'zod';
import { Profile } from './members';
import { OrgId } from './orgs';
import { StepTiming } from './durations';

/** Body of POST /api/check-ins (R1). `memberId` resubmits an earlier, returned or withdrawn, check-in. */
export const CheckInSubmission = z.object({
  branchId: OrgId,
  memberId: z.uuid().optional(),
  profile: Profile,
  /** R19: the date of the branch meeting that admitted the member (domain/numbers.ts meetingDateProblem). */
  meetingDate: z.iso.date().optional(),
});
export type CheckInSubmission = z.infer<typeof CheckInSubmission>;

/** Workflow input: everything the process needs, fixed at start (timing included). */
export const CheckInInput = z.object({
  processId: z.uuid(),
  memberId: z.uuid(),
  branchId: z.string(),
  branchPath: z.string(),
  parentOrgId: z.string().nullable(),
  submittedBy: z.string(),
  /** A member actor checking in for the first time is linked to the new member record. */
  linkActorId: z.string().nullable(),
  profile: Profile,
  timing: StepTiming,
  /**
   * R19: the admitting meeting, and whether the entry came more than a month after it (decided by the API, so the
   * activity needs no configuration). Optional: histories recorded before they existed replay unchanged.
   */
  meetingDate: z.iso.date().optional(),
  lateEntry: z.boolean().optional(),
});
export type CheckInInput = z.infer<typeof CheckInInput>;

/** The workflow input of a new check-in at this branch (a new process ID); the API's start and the tests build it here. */
export function checkInInput(
  branch: { id: string; path: string; parent_id: string | null },
  rest: Omit<CheckInInput, 'processId' | 'branchId' | 'branchPath' | 'parentOrgId'>,
): CheckInInput {
  return { processId: crypto.randomUUID(), branchId: branch.id, branchPath: branch.path, parentOrgId: branch.parent_id, ...rest };
}

export { checkInWorkflowId } from './workflow-ids';
