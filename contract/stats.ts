// Statistics of a subtree beside the graduates' (contract/transfers.ts) and the dues' (contract/dues.ts).
import { z } from 'zod';
import { OrgId } from '../domain/orgs';

export { OrgQuery } from './common';
export { AwardStatistics } from './awards';

export const OverdueQuery = z.object({ orgId: OrgId.optional(), days: z.coerce.number().int().min(1).max(366).default(30) });
export type OverdueQuery = z.input<typeof OverdueQuery>;
/** GET /stats/overdue. */
export const OverdueStatistics = z.object({ orgId: z.string(), days: z.array(z.object({ day: z.string(), overdue: z.number() })) });
export type OverdueStatistics = z.infer<typeof OverdueStatistics>;

export const DeletionStatisticsQuery = z.object({ orgId: OrgId.optional(), months: z.coerce.number().int().min(1).max(24).default(12) });
export type DeletionStatisticsQuery = z.input<typeof DeletionStatisticsQuery>;
/** GET /stats/deletions (R17). */
export const DeletionStatistics = z.object({
  orgId: z.string(),
  months: z.array(z.object({ month: z.string(), approved: z.number(), graduates: z.number() })),
  flags: z.array(z.object({ orgId: z.string(), orgName: z.string().nullable(), deletions: z.number(), graduates: z.number(), flaggedAt: z.string() })),
});
export type DeletionStatistics = z.infer<typeof DeletionStatistics>;
