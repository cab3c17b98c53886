// A single-step review (the check-in, a change of member data, a join-date correction): the first write opens it,
// one decision closes it with an outcome, and the closing event carries the outcome, the reason and the notice to
// the member. The kinds differ only in what is below (`ReviewOf`); the rest is the skeleton's (workflows/process.ts).
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { ProcessPatch } from '../activities/processes';
import type { DecisionAction, DecisionCommand, ProcessStatus } from '../domain/processes';
import type { ProcessDefinition } from '../processes/definition';
import { ProcessRun, type ProcessResult } from './process';

/** What a review's kind adds to the skeleton. */
export interface ReviewOf {
  /** The outcome each decision closes the review with. */
  outcomes: Partial<Record<DecisionAction, ProcessStatus>>;
  /** The closing event's payload beside the reason (e.g. the values an approval changes). */
  payload?: (status: ProcessStatus) => Record<string, unknown>;
  /** The notice to the member once closed. */
  notice: (status: ProcessStatus, reason: string | undefined) => string;
  /** The first write (the request and its read-model row), and the refusals it ends the review with (nothing written). */
  open: (first: ProcessPatch) => Promise<unknown>;
  refusals: readonly string[];
  /** Cancelled by a parent process, the review closes as withdrawn with this reason (R10's inbound check-in). */
  cancelled?: string;
}

class Review<S extends string, C> extends ProcessRun<S, C> {
  constructor(
    definition: ProcessDefinition<S, C>,
    input: C & { processId: string; memberId: string },
    private readonly r: ReviewOf,
  ) {
    super(definition, input, { processId: input.processId, memberId: input.memberId });
  }

  /** Closed synchronously, so a second decision in the same moment fails validation (exactly one wins). */
  decide(cmd: DecisionCommand): Promise<void> {
    return this.closed(cmd, this.p.close(this.r.outcomes[cmd.action]!));
  }

  /** The outcome's event (`<kind>.<outcome>`); the kind's projection changes the member record with it. */
  private closed(cmd: Pick<DecisionCommand, 'actorId' | 'reason'>, patch: ProcessPatch): Promise<void> {
    const { p, r } = this;
    return p.record(`${p.definition.kind}.${p.status}`, {
      orgId: p.acting.id,
      actorId: cmd.actorId,
      payload: { ...(cmd.reason ? { reason: cmd.reason } : {}), ...r.payload?.(p.status) },
      patch,
      notifyMember: r.notice(p.status, cmd.reason),
    });
  }

  protected async execute(): Promise<ProcessResult> {
    const { p, r } = this;
    if (!(await p.open(r.open, r.refusals))) return p.finish();
    try {
      await p.run();
    } catch (e) {
      if (r.cancelled === undefined || !isCancellation(e) || !p.pending) throw e;
      const reason = r.cancelled;
      await CancellationScope.nonCancellable(() => this.closed({ actorId: 'system:cancelled', reason }, p.close('withdrawn')));
    }
    return p.finish();
  }
}

/** Runs a single-step review of the declared kind. */
export function review<S extends string, C>(
  definition: ProcessDefinition<S, C>,
  input: C & { processId: string; memberId: string },
  r: ReviewOf,
): Promise<ProcessResult> {
  return new Review(definition, input, r).run();
}
