// R1/R2: a member's check-in (报到): submitted once (Idempotency-Key), reviewed by the branch.
import { z } from 'zod';
import { CheckInSubmission } from '../domain/check-in';

export { CheckInSubmission };
export { IdempotencyHeaders } from './common';

export const CheckInCreated = z.object({
  processId: z.uuid(),
  memberId: z.uuid(),
  status: z.literal('pending'),
  deadline: z.string(),
});
export type CheckInCreated = z.infer<typeof CheckInCreated>;
