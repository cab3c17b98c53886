// The deadline and escalation mechanism every waiting step uses (R3, R9): reminders before the deadline,
// overdue at it, escalation repeated while overdue, and a deadline that can move (an updatable timer).
import { condition } from '@temporalio/workflow';
import type { StepTiming } from '../domain/durations';

export interface DeadlineHooks {
  /** A reminder `offsetMs` before the deadline of the given round (a round starts with each extension). */
  reminder(round: number, index: number, offsetMs: number): Promise<void>;
  /** The deadline passed: the step is overdue; this is escalation number `escalation`. */
  overdue(round: number, escalation: number): Promise<void>;
  /** Still overdue after another interval. */
  escalate(escalation: number): Promise<void>;
}

type Due = { at: number; what: 'reminder'; index: number } | { at: number; what: 'overdue' } | { at: number; what: 'escalate' };

export class DeadlineWatch {
  round = 0;
  overdue = false;
  remindersSent = 0;
  escalations = 0;
  #deadline: number;
  #changed = false;
  #sent = new Set<number>();
  #nextEscalation = 0;
  readonly #offsets: number[];

  constructor(
    deadline: number,
    private readonly timing: StepTiming,
    private readonly hooks: DeadlineHooks,
  ) {
    this.#deadline = deadline;
    this.#offsets = [...timing.reminderOffsetsMs].sort((a, b) => b - a);
  }

  get deadline(): number {
    return this.#deadline;
  }

  /** Moves the deadline; reminders start over for the new one, and a step that is no longer late is no longer overdue. */
  extend(until: number): void {
    this.#deadline = until;
    this.round += 1;
    this.#sent.clear();
    if (until > Date.now()) this.overdue = false;
    this.#changed = true;
  }

  /** Runs until `isDone()`; an in-flight hook finishes first, so nothing is left half-written. */
  async run(isDone: () => boolean): Promise<void> {
    while (!isDone()) {
      const due = this.#nextDue(Date.now());
      this.#changed = false;
      const wait = due.at - Date.now();
      if (wait > 0 && (await condition(() => isDone() || this.#changed, wait))) continue;
      await this.#fire(due);
    }
  }

  #nextDue(now: number): Due {
    if (this.overdue) return { at: this.#nextEscalation, what: 'escalate' };
    if (now >= this.#deadline) return { at: now, what: 'overdue' };
    let latestDue = -1;
    let next: Due = { at: this.#deadline, what: 'overdue' };
    for (let i = 0; i < this.#offsets.length; i++) {
      if (this.#sent.has(i)) continue;
      const at = this.#deadline - this.#offsets[i]!;
      if (at <= now) latestDue = i;
      else if (at < next.at) next = { at, what: 'reminder', index: i };
    }
    if (latestDue >= 0) {
      // Several reminders already due (e.g. after a short extension): send only the latest of them.
      for (let j = 0; j < latestDue; j++) this.#sent.add(j);
      return { at: now, what: 'reminder', index: latestDue };
    }
    return next;
  }

  async #fire(due: Due): Promise<void> {
    if (due.what === 'reminder') {
      this.#sent.add(due.index);
      this.remindersSent += 1;
      await this.hooks.reminder(this.round, due.index, this.#offsets[due.index]!);
    } else if (due.what === 'overdue') {
      this.overdue = true;
      this.escalations += 1;
      this.#nextEscalation = Date.now() + this.timing.escalationIntervalMs;
      await this.hooks.overdue(this.round, this.escalations);
    } else {
      this.escalations += 1;
      this.#nextEscalation = Date.now() + this.timing.escalationIntervalMs;
      await this.hooks.escalate(this.escalations);
    }
  }
}
