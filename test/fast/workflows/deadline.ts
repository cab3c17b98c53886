// A test workflow around one DeadlineWatch (workflows/deadline.ts): its hooks call the stub activity `note` with the
// workflow's time, an update extends the deadline, another ends the watch; the workflow itself stays open until
// `close`, so a watch that kept firing after it was done would show.
import { condition, defineQuery, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { StepTiming } from '../../../domain/durations';
import { DeadlineWatch } from '../../../workflows/deadline';

export type Note =
  | { hook: 'reminder'; at: number; round: number; index: number; offsetMs: number }
  | { hook: 'overdue'; at: number; round: number; escalation: number }
  | { hook: 'escalate'; at: number; escalation: number };

export interface NoteActivities {
  note(n: Note): Promise<void>;
}

export interface WatchView {
  startedAt: number;
  deadline: number;
  round: number;
  overdue: boolean;
  remindersSent: number;
  escalations: number;
  running: boolean;
}

/** Moves the deadline to `untilMs` after the workflow started. */
export const extendUpdate = defineUpdate<WatchView, [number]>('extend');
/** The step is done: the watch should stop (`running` in the view says whether it did). */
export const finishUpdate = defineUpdate<void>('finish');
/** The workflow completes (ending the watch too, if it still runs). */
export const closeUpdate = defineUpdate<void>('close');
export const watchQuery = defineQuery<WatchView>('watch');

const { note } = proxyActivities<NoteActivities>({ startToCloseTimeout: '10 seconds' });

export async function deadlineWatchWorkflow(input: { deadlineMs: number; timing: StepTiming }): Promise<WatchView> {
  const startedAt = Date.now();
  let done = false;
  let running = true;
  let closed = false;
  const watch = new DeadlineWatch(startedAt + input.deadlineMs, input.timing, {
    reminder: (round, index, offsetMs) => note({ hook: 'reminder', at: Date.now(), round, index, offsetMs }),
    overdue: (round, escalation) => note({ hook: 'overdue', at: Date.now(), round, escalation }),
    escalate: (escalation) => note({ hook: 'escalate', at: Date.now(), escalation }),
  });
  const view = (): WatchView => ({
    startedAt,
    deadline: watch.deadline,
    round: watch.round,
    overdue: watch.overdue,
    remindersSent: watch.remindersSent,
    escalations: watch.escalations,
    running,
  });
  setHandler(watchQuery, view);
  setHandler(extendUpdate, (untilMs) => {
    watch.extend(startedAt + untilMs);
    return view();
  });
  setHandler(finishUpdate, () => {
    done = true;
  });
  setHandler(closeUpdate, () => {
    done = true;
    closed = true;
  });

  await watch.run(() => done);
  running = false;
  await condition(() => closed);
  return view();
}
