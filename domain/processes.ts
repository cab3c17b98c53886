// What every process shares: kinds, statuses, the decision command and the read-model shape.
import { z } from 'zod';
import { OrgId } from './orgs';
import { freeText } from './text';

export const ProcessKind = z.enum(['check-in', 'transfer', 'deletion', 'discipline', 'member-change', 'join-date', 'campaign']);
export type ProcessKind = z.infer<typeof ProcessKind>;

/** `void`: the process's effect on the member was no longer legal (R25: another process changed the member meanwhile). */
export const ProcessStatus = z.enum(['pending', 'approved', 'returned', 'withdrawn', 'rejected', 'lapsed', 'resolved', 'void']);
export type ProcessStatus = z.infer<typeof ProcessStatus>;

/**
 * approve / return / withdraw (R1-R2), extend (R3), reject and place (R9: a committee places the member into a branch),
 * submit (R22: a branch hands in its campaign step).
 */
export const DecisionAction = z.enum(['approve', 'return', 'withdraw', 'extend', 'reject', 'place', 'resolve', 'expel', 'submit']);
export type DecisionAction = z.infer<typeof DecisionAction>;

/** The body of POST /api/processes/{id}/decisions. */
export const DecisionBody = z
  .object({
    action: DecisionAction,
    reason: freeText(500).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    branchId: OrgId.optional(),
    /** R18: a spot check returns a case to the step whose procedure or materials are missing. */
    toStep: z.enum(['verification', 'talk', 'meeting']).optional(),
  })
  .superRefine((d, ctx) => {
    if ((d.action === 'return' || d.action === 'extend') && !d.reason)
      ctx.addIssue({ code: 'custom', path: ['reason'], message: `R2/R3: "${d.action}" needs a reason` });
    if (d.action === 'reject' && !d.reason) ctx.addIssue({ code: 'custom', path: ['reason'], message: 'R9: a rejection needs a reason' });
    if (d.action === 'place' && !d.branchId) ctx.addIssue({ code: 'custom', path: ['branchId'], message: 'R9: "place" needs the branch' });
    if (d.action !== 'place' && d.branchId) ctx.addIssue({ code: 'custom', path: ['branchId'], message: 'only "place" takes a branch' });
    if (d.action === 'extend' && !d.until) ctx.addIssue({ code: 'custom', path: ['until'], message: 'R3: "extend" needs the new deadline' });
    if (d.action !== 'extend' && d.until) ctx.addIssue({ code: 'custom', path: ['until'], message: 'only "extend" takes a deadline' });
  });
export type DecisionBody = z.infer<typeof DecisionBody>;

/** A decision as the workflow receives it: the body, who made it, and when the API accepted it. */
export const DecisionCommand = z.object({
  action: DecisionAction,
  reason: z.string().optional(),
  until: z.string().optional(),
  actorId: z.string(),
  /** The step the caller saw (read model); a workflow that moved on refuses the decision instead of applying it elsewhere. */
  step: z.string().optional(),
  /** For "place": the branch, resolved and checked (R13) by the API. */
  branch: z.object({ id: z.string(), path: z.string(), parentId: z.string().nullable(), kind: z.string() }).optional(),
  toStep: z.string().optional(),
  /** The caller's role: a step that only one role decides (R14: only the province approves) checks it again. */
  actorRole: z.string().optional(),
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
