// R21: an organization's health and its subtree's: counts, and one kind's organizations a page at a time.
import { z } from 'zod';
import { HealthCounts, HealthItem, HealthKind, HealthQuery } from '../domain/health';

export { HealthCounts, HealthItem, HealthKind, HealthQuery };

export const HealthView = z.object({
  orgId: z.string(),
  counts: HealthCounts,
  list: z.object({ kind: HealthKind, items: z.array(HealthItem), nextCursor: z.string().nullable() }).optional(),
});
export type HealthView = z.infer<typeof HealthView>;
