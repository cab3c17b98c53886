import { z } from 'zod';
import { Profile } from './members';
import { OrgId } from './orgs';
import { StepTiming } from './durations';

/** Body of POST /api/check-ins (R1). `memberId` resubmits an earlier, returned or withdrawn, check-in. */
export const CheckInSubmission = z.object({
  branchId: OrgId,
  memberId: z.uuid().optional(),
  profile: Profile,
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
});
export type CheckInInput = z.infer<typeof CheckInInput>;

export { checkInWorkflowId } from './workflow-ids';
