// The one start of a process, whatever its kind, for the API and the activities alike: the workflow type and ID from
// the declaration, at most one open process of a kind per member, the search attributes it starts with, and the
// early return once the workflow has recorded it (update-with-start on `recordedUpdate`), or a plain start when the
// caller does not wait. By the workflow TYPE NAME: the client side never imports workflow code.
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, type Client, type WorkflowStartOptions } from '@temporalio/client';
import type { Config } from '../domain/config';
import { DomainError, causes } from '../domain/errors';
import type { ProcessDefinition, Recorded, StartDeclaration } from '../processes/definition';
import { recordedUpdate } from '../processes/messages';
import { startAttributes } from '../domain/search-attributes';
import { toDomainError } from './errors';

export type { Recorded };

/** What starting needs of a declaration: its kind, how refusals name it and the rule they cite, its workflow ID. */
export type StartableProcess = StartDeclaration & Pick<ProcessDefinition<string, never>, 'rule'>;

export interface StartProcessDeps {
  client: Client;
  config: Pick<Config, 'taskQueue'>;
}

export interface ProcessStart<I> {
  /** Started as its `workflowType`, under its `workflowId`. */
  process: StartableProcess;
  /** The workflow function where the caller has it (the API): it only types the input against the workflow. */
  workflow?: (input: I) => Promise<unknown>;
  memberId: string;
  input: I;
  /** The organization that acts first, and the first step's deadline: what the process is found by at once. */
  org: { id: string; path: string };
  deadline: Date;
  memo?: Record<string, unknown>;
  /** `false`: answer once Temporal has accepted the start (durable), without waiting for the worker to record it. */
  wait?: boolean;
  /** The refusal when one is already open for the member (default: "a <noun> is already open for this member"). */
  alreadyOpen?: string;
}

/** One process of this kind is already open for the member: the workflow ID refused the start (a 409). */
export class ProcessAlreadyOpen extends DomainError {
  constructor(
    message: string,
    rule: string,
    readonly workflowId: string,
  ) {
    super({ kind: 'conflict', message, rule });
  }
}

/**
 * Starts a process. Waiting (the default), answers what the workflow recorded: the process, its first step and
 * that step's deadline, readable at once; refusals keep their kind and rule.
 */
export async function startProcess<I>(deps: StartProcessDeps, start: ProcessStart<I> & { wait: false }): Promise<void>;
export async function startProcess<I>(deps: StartProcessDeps, start: ProcessStart<I>): Promise<Recorded>;
export async function startProcess<I>({ client, config }: StartProcessDeps, start: ProcessStart<I>): Promise<Recorded | void> {
  const { process } = start;
  const workflowId = process.workflowId(start.memberId);
  const workflow = process.workflowType;
  const options: WorkflowStartOptions & { workflowIdConflictPolicy: 'FAIL' } = {
    workflowId,
    taskQueue: config.taskQueue,
    args: [start.input],
    ...(start.memo ? { memo: start.memo } : {}),
    // At most one open process of a kind per member, enforced by the workflow ID; a closed one may be followed.
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: startAttributes(process.kind, start.org, start.deadline),
  };
  const refused = (e: unknown) =>
    e instanceof WorkflowExecutionAlreadyStartedError
      ? new ProcessAlreadyOpen(start.alreadyOpen ?? `a ${process.noun} is already open for this member`, process.rule, workflowId)
      : toDomainError(e, process.noun);
  if (start.wait === false) {
    try {
      await client.workflow.start(workflow, options);
      return;
    } catch (e) {
      throw refused(e);
    }
  }
  // One update ID for every attempt: the server answers a repeated one with the first one's outcome.
  const updateId = randomUUID();
  const attempt = (workflowIdConflictPolicy: 'FAIL' | 'USE_EXISTING') =>
    client.workflow.executeUpdateWithStart(recordedUpdate, {
      updateId,
      startWorkflowOperation: new WithStartWorkflowOperation(workflow, { ...options, workflowIdConflictPolicy }),
    });
  try {
    return await attempt('FAIL');
  } catch (e) {
    const problem = refused(e);
    // Refused, or Temporal not reached at all (nothing started: the API answers 503 and the caller sends again).
    if (problem instanceof DomainError || unreachable(e)) throw problem;
    return await recoverStart(attempt, (start.input as { processId?: string }).processId, problem, refused, () =>
      refused(new WorkflowExecutionAlreadyStartedError('', workflowId, '')),
    );
  }
}

/** gRPC UNAVAILABLE or DEADLINE_EXCEEDED anywhere in the cause chain: Temporal was not reached, or not in time. */
function unreachable(e: unknown): boolean {
  for (const c of causes(e, 5)) if (c.code === 14 || c.code === 4) return true;
  return false;
}

/**
 * The start may have happened with its answer lost (the update aborted while a worker restarted, a deadline on
 * the way back): ask again for this run only. The same update ID on the run now open under the workflow ID
 * answers the first attempt's outcome, or delivers the update once more; a run that is not this process's
 * (another opened meanwhile) is the usual conflict. Nothing accepted is reported as failed, nothing twice.
 */
async function recoverStart(
  attempt: (policy: 'USE_EXISTING') => Promise<Recorded>,
  processId: string | undefined,
  first: unknown,
  refused: (e: unknown) => unknown,
  alreadyOpen: () => unknown,
): Promise<Recorded> {
  let last = first;
  for (const ms of [250, 500, 1000, 2000, 4000]) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    try {
      const recorded = await attempt('USE_EXISTING');
      if (processId !== undefined && recorded.processId !== processId) throw alreadyOpen();
      return recorded;
    } catch (e) {
      const problem = e instanceof DomainError ? e : refused(e);
      if (problem instanceof DomainError) throw problem;
      last = e;
    }
  }
  // Still no answer from Temporal after the retries (an overloaded server, workers restarting): not a defect of the
  // request. 503: the caller sends it again; a start that did happen meanwhile then answers 409 (one is open).
  const message = `Temporal has not confirmed the start in time (${errorName(last)}): send it again`;
  throw Object.assign(new DomainError({ kind: 'unavailable', message }), { cause: last });
}

function errorName(e: unknown): string {
  return e instanceof Error ? e.name : typeof e;
}
