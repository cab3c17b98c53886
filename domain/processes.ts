// What every process shares: kinds, statuses, the decision command and the read-model shape.
import { z } from 'zod';

export const ProcessKind = z.enum(['check-in']);
export type ProcessKind = z.infer<typeof ProcessKind>;

export const ProcessStatus = z.enum(['pending', 'approved', 'returned', 'withdrawn', 'rejected', 'lapsed']);
export type ProcessStatus = z.infer<typeof ProcessStatus>;

export const DecisionAction = z.enum(['approve', 'return', 'withdraw', 'extend']);
export type DecisionAction = z.infer<typeof DecisionAction>;

/** The body of POST /api/processes/{id}/decisions. */
export const DecisionBody = z
  .object({
    action: DecisionAction,
    reason: z.string().trim().min(1).max(500).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
  })
  .superRefine((d, ctx) => {
    if ((d.action === 'return' || d.action === 'extend') && !d.reason)
      ctx.addIssue({ code: 'custom', path: ['reason'], message: `R2/R3: "${d.action}" needs a reason` });
    if (d.action === 'extend' && !d.until)
      ctx.addIssue({ code: 'custom', path: ['until'], message: 'R3: "extend" needs the new deadline' });
    if (d.action !== 'extend' && d.until)
      ctx.addIssue({ code: 'custom', path: ['until'], message: 'only "extend" takes a deadline' });
  });
export type DecisionBody = z.infer<typeof DecisionBody>;

/** A decision as the workflow receives it: the body, who made it, and when the API accepted it. */
export const DecisionCommand = z.object({
  action: DecisionAction,
  reason: z.string().optional(),
  until: z.string().optional(),
  actorId: z.string(),
});
export type DecisionCommand = z.infer<typeof DecisionCommand>;

export interface DecisionResult {
  status: ProcessStatus;
  deadline: string;
}

/** The workflow's own view, returned by its `state` query. */
export interface ProcessState {
  processId: string;
  status: ProcessStatus;
  step: string;
  deadline: string;
  overdue: boolean;
  remindersSent: number;
  escalations: number;
}
