// Transfers (R9-R13): the route a destination would take, a start, the graduates' roster, their statistics, and
// the data problems that hold transfers up.
import { z } from 'zod';
import { OrgId } from '../domain/orgs';
import { Destination } from '../domain/routing';
import { freeText } from '../domain/text';
import { TransferStart } from '../domain/transfers';
import { PiiString } from './common';

export { Destination, TransferStart };
export { IdempotencyHeaders, OrgQuery } from './common';

/** POST /transfers/route-preview (R11). */
export const RoutePreview = z.object({
  outcome: z.enum(['org', 'wait', 'stay', 'none']),
  case: z.string(),
  reason: z.string(),
  orgId: z.string().optional(),
  awaitOrgId: z.string().optional(),
  problems: z.array(z.object({ rule: z.string(), message: z.string() })),
});
export type RoutePreview = z.infer<typeof RoutePreview>;
export type DestinationInput = z.input<typeof Destination>;

export const StartResponse = z.object({
  processId: z.uuid(),
  memberId: z.uuid(),
  step: z.string(),
  deadline: z.string().nullable(),
  route: z.object({ case: z.string(), reason: z.string() }).optional(),
});
export type TransferStarted = z.infer<typeof StartResponse>;
export type TransferStartInput = z.input<typeof TransferStart>;

/** A roster is sent again under its key: a batch starts each graduate once. */
export const RosterHeaders = z.object({ 'idempotency-key': z.string().min(1).max(200) });
/** The line of the whole roster this part starts at (the console and the CLI send a big roster in parts). */
export const RosterQuery = z.object({ firstLine: z.coerce.number().int().min(1).default(1) });
export type RosterQuery = z.input<typeof RosterQuery>;

export const RosterRow = z.object({
  line: z.number(),
  /** As domain/privacy.ts shows it to the filer (a committee above the graduate: masked). */
  idNumber: PiiString('idNumber').optional(),
  status: z.enum(['started', 'already-started', 'failed']),
  processId: z.string().optional(),
  route: z.string().optional(),
  error: z
    .object({
      status: z.number(),
      message: z.string(),
      rule: z.string().optional(),
      fields: z.array(z.object({ field: z.string(), message: z.string(), rule: z.string().optional() })).optional(),
    })
    .optional(),
});
export type RosterRow = z.infer<typeof RosterRow>;

/** POST /transfers/graduates/import (R12): a report per line. */
export const RosterReport = z.object({
  batch: z.string(),
  started: z.number(),
  alreadyStarted: z.number(),
  failed: z.number(),
  rows: z.array(RosterRow),
});
export type RosterReport = z.infer<typeof RosterReport>;

export const GraduateStatisticsQuery = z.object({
  orgId: OrgId.optional(),
  cohort: z.coerce.number().int().min(2000).max(2100),
  asOf: z.iso.date().optional(),
});
export type GraduateStatisticsQuery = z.input<typeof GraduateStatisticsQuery>;

/** GET /stats/graduate-transfers (R12). */
export const GraduateStatistics = z.object({
  cohort: z.number(),
  asOf: z.string(),
  /** The day the cohort's graduates are counted; `fixed: false` while it has not passed (the base follows the roster until then). */
  base: z.object({ date: z.string(), fixed: z.boolean() }),
  target: z.object({ date: z.string(), share: z.number() }).nullable(),
  /** Every dated target of the cohort's year (R12: 30/60/80/100 % by default), the one in force among them. */
  targets: z.array(z.object({ date: z.string(), share: z.number() })),
  total: z.object({ graduates: z.number(), transferred: z.number(), deleted: z.number(), share: z.number() }),
  cities: z.array(
    z.object({
      orgId: z.string(),
      name: z.string(),
      graduates: z.number(),
      transferred: z.number(),
      deleted: z.number(),
      share: z.number(),
      behind: z.boolean(),
    }),
  ),
  schools: z.array(
    z.object({
      orgId: z.string(),
      name: z.string(),
      cityId: z.string(),
      graduates: z.number(),
      transferred: z.number(),
      deleted: z.number(),
      share: z.number(),
      behind: z.boolean(),
    }),
  ),
});
export type GraduateStatistics = z.infer<typeof GraduateStatistics>;

export const BaseCorrection = z
  .object({
    cohort: z.number().int().min(2000).max(2100),
    schoolId: OrgId,
    memberId: z.uuid(),
    /** add: a graduate the base missed; remove: one it counted wrongly. */
    change: z.enum(['add', 'remove']),
    reason: freeText(500),
  })
  .strict();
export type BaseCorrection = z.infer<typeof BaseCorrection>;

export const BaseCorrected = z.object({
  id: z.uuid(),
  cohort: z.number(),
  schoolId: z.string(),
  memberId: z.string(),
  change: z.enum(['add', 'remove']),
  occurredAt: z.string(),
});
export type BaseCorrected = z.infer<typeof BaseCorrected>;

export const DataProblem = z.object({
  orgId: z.string(),
  rule: z.string(),
  kind: z.string(),
  message: z.string(),
  occurrences: z.number(),
  firstSeen: z.string(),
  lastSeen: z.string(),
});
export type DataProblem = z.infer<typeof DataProblem>;

/** GET /data-problems (R13, R21). */
export const DataProblems = z.object({ items: z.array(DataProblem) });
export type DataProblems = z.infer<typeof DataProblems>;
