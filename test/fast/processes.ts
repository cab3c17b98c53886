// Helpers for the fast tests of the real processes (workflows/index.ts on the time-skipping test server, their
// writes stubbed): start a process as the API does, decide, read what it wrote, and read a refusal.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, type Workflow } from '@temporalio/common';
import type { ProcessEventInput } from '../../activities/processes';
import type { DecisionCommand, DecisionResult, ProcessState } from '../../domain/processes';
import { decideUpdate, stateQuery } from '../../processes/messages';
import { recordedUpdate } from '../../processes/messages';
import type { Recorded } from '../../processes/definition';
import { DAY, HOUR, type FastEnv } from './env';

/**
 * Starts a process as the API does (temporal/start-process.ts): update-with-start of the "recorded" update,
 * answered once the first write is done. `startedAt` is the workflow's own start time, from the first
 * step's deadline (`firstDeadlineMs` after it).
 */
export async function startProcess<A>(
  t: FastEnv,
  workflow: (input: A) => Promise<unknown>,
  input: A,
  firstDeadlineMs: number,
): Promise<{ h: WorkflowHandle<Workflow>; recorded: Recorded; startedAt: number }> {
  const start = new WithStartWorkflowOperation(workflow as Workflow, {
    workflowId: `fast-${randomUUID()}`,
    taskQueue: t.taskQueue,
    workflowIdConflictPolicy: 'FAIL',
    args: [input],
  });
  const recorded = await t.client.workflow.executeUpdateWithStart(recordedUpdate, { startWorkflowOperation: start });
  const h = await start.workflowHandle();
  return { h, recorded, startedAt: Date.parse(recorded.deadline) - firstDeadlineMs };
}

export const decide = (h: WorkflowHandle<Workflow>, cmd: Omit<DecisionCommand, 'actorId'> & { actorId?: string }): Promise<DecisionResult> =>
  h.executeUpdate(decideUpdate, { args: [{ actorId: 'actor-1', ...cmd }] });

export const stateOf = (h: WorkflowHandle<Workflow>): Promise<ProcessState> => h.query(stateQuery);

/** The events the process appended so far (`recordProcessEvent`, local and remote), in order. */
export const eventsOf = (t: FastEnv, h: WorkflowHandle<Workflow>): ProcessEventInput[] =>
  t.callsOf(h.workflowId, 'recordProcessEvent').map((c) => c.input as ProcessEventInput);

/** Every write of the process in order: an event by its type, any other activity (the first write) by its name. */
export const writesOf = (t: FastEnv, h: WorkflowHandle<Workflow>): string[] =>
  t.callsOf(h.workflowId).map((c) => (c.activity === 'recordProcessEvent' ? (c.input as ProcessEventInput).type : c.activity));

/** Days from `startedAt` to `at`, to the hour (the test server's clock also runs on in real time between time skips). */
export const dayOf = (at: number | string, startedAt: number): number => Math.round(((typeof at === 'string' ? Date.parse(at) : at) - startedAt) / HOUR) / 24;

/** The deadline watch's own events (reminders, overdue, escalations; not an extension, which is a decision), each with the day (since `startedAt`) it was scheduled on. */
export function deadlineEvents(t: FastEnv, h: WorkflowHandle<Workflow>, startedAt: number): (ProcessEventInput & { day: number })[] {
  return t
    .callsOf(h.workflowId, 'recordProcessEvent')
    .filter((c) => (c.input as ProcessEventInput).type.startsWith('deadline.') && (c.input as ProcessEventInput).type !== 'deadline.extended')
    .map((c) => ({ ...(c.input as ProcessEventInput), day: dayOf(c.scheduledAt, startedAt) }));
}

/** An ISO date-time `days` after `startedAt`. */
export const dayAt = (startedAt: number, days: number): string => new Date(startedAt + days * DAY).toISOString();

/** The refusal an update's validator threw, as the caller sees it: its kind (type), message and rule. */
export async function refusal(p: Promise<unknown>): Promise<{ kind: string | undefined; message: string; rule: unknown }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (e as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  const f = cause as ApplicationFailure;
  return { kind: f.type ?? undefined, message: f.message, rule: (f.details?.[0] as { rule?: unknown } | undefined)?.rule };
}

/** Polls (in real time) until `check` answers a value: for what a workflow does on its own after a client call returns. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
