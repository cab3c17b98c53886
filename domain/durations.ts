import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "10d", "36h", "1500ms", "2s" into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: "${text}" (use e.g. 10d, 36h, 90s, 500ms)`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

export const DurationText = z.string().transform((s, ctx) => {
  try {
    return parseDuration(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

/**
 * The timing of one waiting step: its deadline, reminders before it, and repeated escalation after it.
 * Captured in the workflow input at start, so a change of configuration never changes an open process.
 */
export const StepTiming = z.object({
  deadlineMs: z.number().int().positive(),
  /** R3: a deadline of whole days ends at 24:00 Shanghai of the last natural day (domain/calendar.ts stepDeadline). */
  naturalDays: z.boolean().optional(),
  /** R18: the deadline is the same day this many calendar months later (a probation); deadlineMs where absent. */
  calendarMonths: z.number().int().positive().optional(),
  reminderOffsetsMs: z.array(z.number().int().positive()),
  escalationIntervalMs: z.number().int().positive(),
});
export type StepTiming = z.infer<typeof StepTiming>;

/** What a waiting step does when its deadline passes (R9: the sources disagree, so it is configuration). */
export const TimeoutEffect = z.enum(['remind', 'approve', 'lapse']);
export type TimeoutEffect = z.infer<typeof TimeoutEffect>;

export const StepPolicy = StepTiming.extend({ onTimeout: TimeoutEffect });
export type StepPolicy = z.infer<typeof StepPolicy>;

const DAY = 86_400_000;

/** R3: 10 natural days; reminders 3 days and 1 day before; escalation repeated daily while overdue. */
export const DEFAULT_CHECK_IN_TIMING: StepTiming = {
  deadlineMs: 10 * DAY,
  naturalDays: true,
  reminderOffsetsMs: [3 * DAY, 1 * DAY],
  escalationIntervalMs: 1 * DAY,
};

/** Reads a step's timing from the environment: PREFIX_DEADLINE, PREFIX_REMINDERS (comma list), PREFIX_ESCALATION_INTERVAL. */
export function stepTimingFromEnv(prefix: string, defaults: StepTiming, env: NodeJS.ProcessEnv = process.env): StepTiming {
  const deadline = env[`${prefix}_DEADLINE`];
  const reminders = env[`${prefix}_REMINDERS`];
  const interval = env[`${prefix}_ESCALATION_INTERVAL`];
  const deadlineMs = deadline ? parseDuration(deadline) : defaults.deadlineMs;
  const timing: StepTiming = {
    deadlineMs,
    // R3: whole days stay natural days; a duration in hours or seconds is counted as such.
    ...(defaults.naturalDays && deadlineMs % DAY === 0 ? { naturalDays: true } : {}),
    reminderOffsetsMs:
      reminders !== undefined
        ? reminders
            .split(',')
            .filter((s) => s.trim() !== '')
            .map(parseDuration)
        : defaults.reminderOffsetsMs,
    escalationIntervalMs: interval ? parseDuration(interval) : defaults.escalationIntervalMs,
  };
  const bad = timing.reminderOffsetsMs.find((r) => r >= timing.deadlineMs);
  if (bad !== undefined) throw new Error(`${prefix}_REMINDERS: a reminder ${bad}ms before a ${timing.deadlineMs}ms deadline`);
  return StepTiming.parse(timing);
}
