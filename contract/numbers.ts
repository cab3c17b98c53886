// R19: development-number ranges: issue one, list them, read one with its numbers, void a number.
import { z } from 'zod';
import { NumberVoid, RangeIssue, RangeQuery } from '../domain/numbers';

export { NumberVoid, RangeIssue, RangeQuery };

export const RangeCounts = z.object({ used: z.number(), voided: z.number(), open: z.number() });
export const RangeView = z.object({
  id: z.uuid(),
  orgId: z.string(),
  year: z.number(),
  prefix: z.string(),
  count: z.number(),
  first: z.string(),
  last: z.string(),
  issuedAt: z.string(),
  counts: RangeCounts,
});
export type RangeView = z.infer<typeof RangeView>;
export const RangeDetail = RangeView.extend({
  used: z.array(z.object({ number: z.string(), memberId: z.uuid() })),
  voided: z.array(z.object({ number: z.string(), reason: z.string(), voidedAt: z.string() })),
  open: z.array(z.string()),
});
export type RangeDetail = z.infer<typeof RangeDetail>;

export const RangePage = z.object({ items: z.array(RangeView), nextCursor: z.string().nullable() });
export type RangePage = z.infer<typeof RangePage>;

export const NumberVoided = z.object({ number: z.string(), rangeId: z.uuid() });
export type NumberVoided = z.infer<typeof NumberVoided>;
