// Operations: the workflow runs whose task keeps failing on nondeterminism.
import { z } from 'zod';

export const WorkflowProblem = z.object({
  runId: z.string(),
  kind: z.string(),
  message: z.string(),
  occurrences: z.number(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  processId: z.string().nullable(),
  processKind: z.string().nullable(),
  workflowId: z.string().nullable(),
  orgId: z.string().nullable(),
});
export type WorkflowProblem = z.infer<typeof WorkflowProblem>;

export const WorkflowProblems = z.object({ items: z.array(WorkflowProblem) });
export type WorkflowProblems = z.infer<typeof WorkflowProblems>;
