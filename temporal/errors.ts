// Maps what Temporal answers to the API's problems: validator refusals keep their kind and rule.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DomainError, isProblemKind } from '../domain/errors';

export function toDomainError(e: unknown, what: string): unknown {
  if (e instanceof WorkflowExecutionAlreadyStartedError) return DomainError.conflict(`${what}: one is already open for this member`, 'R2');
  if (e instanceof WorkflowNotFoundError) return DomainError.conflict(`${what}: this process is already closed`);
  if (e instanceof WorkflowUpdateFailedError && e.cause instanceof ApplicationFailure) {
    const f = e.cause;
    if (isProblemKind(f.type)) {
      const detail = (f.details?.[0] ?? {}) as { rule?: string };
      return new DomainError({ kind: f.type, message: f.message, rule: detail.rule });
    }
  }
  // An update sent to a run that has just closed.
  if (e instanceof Error && /already completed|workflow execution already/i.test(e.message)) {
    return DomainError.conflict(`${what}: this process is already closed`);
  }
  return e;
}
