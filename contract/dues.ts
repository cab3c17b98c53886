// R18: dues: one payment, a file of them, and the subtree's payment rates.
import { z } from 'zod';
import { DuesPayment, Month } from '../domain/dues';
import { OrgId } from '../domain/orgs';

export { DuesPayment };

export const PaymentResponse = z.object({ memberId: z.uuid(), month: z.string(), amountCents: z.number(), branchId: z.string() });
export type PaymentResponse = z.infer<typeof PaymentResponse>;

/** A line of a file that was not recorded: the problem it met, as a problem answer would say it. */
export const RowError = z.object({
  status: z.number(),
  message: z.string(),
  rule: z.string().optional(),
  fields: z.array(z.object({ field: z.string(), message: z.string(), rule: z.string().optional() })).optional(),
});
export type RowError = z.infer<typeof RowError>;

export const RowResult = z.object({
  line: z.number(),
  memberId: z.string().optional(),
  month: z.string().optional(),
  status: z.enum(['recorded', 'already-paid', 'failed']),
  error: RowError.optional(),
});
export type RowResult = z.infer<typeof RowResult>;

/** A file is sent again under its key: a batch is recorded once. */
export const BatchHeaders = z.object({ 'idempotency-key': z.string().min(1).max(200) });
export const BatchReport = z.object({ batch: z.string(), recorded: z.number(), alreadyPaid: z.number(), failed: z.number(), rows: z.array(RowResult) });
export type BatchReport = z.infer<typeof BatchReport>;

export const RateRow = z.object({
  orgId: z.string(),
  name: z.string(),
  kind: z.string(),
  members: z.number(),
  paid: z.number(),
  /** Percent with one decimal; null without members. */
  rate: z.number().nullable(),
});
export type DuesRate = z.infer<typeof RateRow>;

export const DuesStatisticsQuery = z.object({ orgId: OrgId.optional(), month: Month.optional() });
export type DuesStatisticsQuery = z.input<typeof DuesStatisticsQuery>;
/** GET /stats/dues. */
export const DuesStatistics = z.object({ month: z.string(), organization: RateRow, children: z.array(RateRow) });
export type DuesStatistics = z.infer<typeof DuesStatistics>;
