// R23: rewards (表彰) and punishments (处分): record one, list a member's, revoke one, count a subtree's.
import { z } from 'zod';
import { AwardBody, RevocationBody } from '../domain/campaigns';
import { IdempotencyHeaders } from './common';

export { AwardBody, RevocationBody, IdempotencyHeaders };

export const AwardView = z.object({
  id: z.uuid(),
  type: z.enum(['reward', 'punishment']),
  kind: z.string(),
  level: z.string(),
  decidedOn: z.string(),
  decidingOrg: z.string(),
  documentNumber: z.string(),
  /** The organization that recorded it (revoked there or above). */
  orgId: z.string(),
  /** The R18 disciplinary case that recorded it, if any. */
  sourceProcessId: z.uuid().nullable(),
  recordedAt: z.string(),
  revokedAt: z.string().nullable(),
  revokeReason: z.string().nullable(),
});
export type AwardView = z.infer<typeof AwardView>;

export const AwardList = z.object({ items: z.array(AwardView) });
export type AwardList = z.infer<typeof AwardList>;

export const AwardRecorded = z.object({ id: z.uuid() });
export type AwardRecorded = z.infer<typeof AwardRecorded>;
export type AwardBodyInput = z.input<typeof AwardBody>;

export const AwardStatistics = z.object({
  orgId: z.string(),
  rewards: z.number(),
  /** Every punishment recorded, revoked ones included (the record stays). */
  punishments: z.number(),
  revoked: z.number(),
  byKind: z.array(z.object({ type: z.enum(['reward', 'punishment']), kind: z.string(), count: z.number() })),
});
export type AwardStatistics = z.infer<typeof AwardStatistics>;
