// R14-R17: deletion (除名/退团): apply, return applications in bulk, and who deletes an unusual share of graduates.
import { z } from 'zod';
import { BulkReturn, DeletionApplication } from '../domain/deletions';

export { BulkReturn, DeletionApplication };
export { IdempotencyHeaders, OrgQuery } from './common';

export const DeletionCreated = z.object({ processId: z.uuid(), memberId: z.uuid(), step: z.string(), deadline: z.string() });
export type DeletionCreated = z.infer<typeof DeletionCreated>;

export const BulkReturned = z.object({ matched: z.number(), returned: z.number(), processIds: z.array(z.uuid()) });
export type BulkReturned = z.infer<typeof BulkReturned>;

/** GET /deletions/abuse (R17). */
export const AbuseView = z.object({
  orgId: z.string(),
  windowDays: z.number(),
  threshold: z.number(),
  minDeletions: z.number(),
  flags: z.array(z.object({ orgId: z.string(), windowStart: z.string(), flaggedAt: z.string(), deletions: z.number(), graduates: z.number() })),
  current: z.array(z.object({ orgId: z.string(), name: z.string(), deletions: z.number(), graduates: z.number(), share: z.number(), above: z.boolean() })),
});
export type AbuseView = z.infer<typeof AbuseView>;
