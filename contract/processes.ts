// Processes of every kind: the list, one process with its timeline, a decision, the inbox, and the kinds with
// their steps and decisions (from the declarations, processes/). Only zod, domain/ and the declarations.
import { z } from 'zod';
import { DecisionAction, DecisionBody, ProcessKind, ProcessStatus } from '../domain/processes';
import { ALL_STEPS } from '../processes';

export { DecisionBody };

export const ProcessSummary = z.object({
  id: z.uuid(),
  kind: z.string(),
  memberId: z.string().nullable(),
  memberName: z.string().nullable(),
  orgId: z.string(),
  status: z.string(),
  step: z.string(),
  stepSince: z.string(),
  deadline: z.string().nullable(),
  overdue: z.boolean(),
  startedAt: z.string(),
  closedAt: z.string().nullable(),
  /** A process about an organization, not a member (R22: a branch's campaign task): that branch and its campaign. */
  campaignTask: z.object({ campaignId: z.uuid(), orgId: z.string(), orgName: z.string() }).nullable(),
});
export type ProcessSummary = z.infer<typeof ProcessSummary>;

export const TimelineEvent = z.object({
  type: z.string(),
  actorId: z.string().nullable(),
  orgId: z.string().nullable(),
  at: z.string(),
  payload: z.record(z.string(), z.unknown()),
});
export type TimelineEvent = z.infer<typeof TimelineEvent>;

/** GET /processes: filters, and the page. */
export const ProcessListQuery = z.object({
  kind: ProcessKind.optional(),
  status: ProcessStatus.optional(),
  orgId: z.string().max(63).optional(),
  overdue: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  acting: z.enum(['mine']).optional(),
  // The steps of every kind, listed in the OpenAPI spec; the kind's own are checked with `kind`.
  step: z.enum(ALL_STEPS as [string, ...string[]]).optional(),
  minDaysAtStep: z.coerce.number().int().min(0).max(3660).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});
export type ProcessListQuery = z.input<typeof ProcessListQuery>;

export const ProcessListItem = ProcessSummary.extend({ orgName: z.string().nullable(), stepLabel: z.string(), actions: z.array(z.string()) });
export type ProcessListItem = z.infer<typeof ProcessListItem>;

export const ProcessPage = z.object({ items: z.array(ProcessListItem), nextCursor: z.string().nullable() });
export type ProcessPage = z.infer<typeof ProcessPage>;

export const ProcessDetail = ProcessListItem.extend({ timeline: z.array(TimelineEvent) });
export type ProcessDetail = z.infer<typeof ProcessDetail>;

export const DecisionResponse = z.object({ processId: z.uuid(), status: z.string(), deadline: z.string() });
export type DecisionResponse = z.infer<typeof DecisionResponse>;

export const NotificationsQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });

export const Notification = z.object({
  id: z.string(),
  kind: z.string(),
  processId: z.string().nullable(),
  message: z.string(),
  createdAt: z.string(),
  recipientOrgId: z.string().nullable(),
  firstRead: z.boolean(),
});
export type Notification = z.infer<typeof Notification>;
export const Notifications = z.object({ items: z.array(Notification) });

/** GET /process-kinds: every kind's steps and the decisions each step takes, from the declarations. */
const Names = z.object({ 'zh-CN': z.string(), en: z.string() });
export const ProcessKinds = z.object({
  kinds: z.array(
    z.object({
      kind: ProcessKind,
      /** The kind's name in each language the console speaks. */
      names: Names,
      steps: z.array(z.object({ step: z.string(), names: Names, actions: z.array(DecisionAction) })),
    }),
  ),
});
export type ProcessKinds = z.infer<typeof ProcessKinds>;
