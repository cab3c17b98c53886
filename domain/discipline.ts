// Disciplinary handling (R18): verification, the talk, the branch meeting's decision with materials,
// approval by the committee above, the province's spot check; then the sanction applies.
import { z } from 'zod';
import { DEFAULT_CHECK_IN_TIMING, parseDuration, stepTimingFromEnv, type StepTiming } from './durations';
import type { OrgRef } from './orgs';
import { freeText } from './text';

export const Sanction = z.enum(['none', 'warning', 'serious-warning', 'removal-from-posts', 'probation', 'expulsion', 'removal-from-roll']);
export type Sanction = z.infer<typeof Sanction>;

export type DisciplineStep = 'verification' | 'talk' | 'meeting' | 'approval' | 'spot-check' | 'probation' | 'probation-review';

/** Body of POST /api/discipline (a branch opens a case). */
export const DisciplineStart = z.object({
  memberId: z.uuid(),
  grounds: z.enum(['unpaid-dues', 'misconduct']),
  details: freeText(2000),
});

/** The talk with the member, recorded (R18). */
export const TalkRecord = z.object({
  heldOn: z.iso.date(),
  summary: freeText(4000),
});
export type TalkRecord = z.infer<typeof TalkRecord>;

/** The branch meeting's decision (R18), with the materials uploaded before it. */
export const MeetingDecision = z
  .object({
    heldOn: z.iso.date(),
    sanction: Sanction,
    probationMonths: z.union([z.literal(6), z.literal(12)]).optional(),
    materialIds: z.array(z.uuid()).min(1).max(20),
    summary: freeText(4000),
  })
  .superRefine((d, ctx) => {
    if (d.sanction === 'probation' && !d.probationMonths)
      ctx.addIssue({ code: 'custom', path: ['probationMonths'], message: 'R18: probation is 6 or 12 months' });
    if (d.sanction !== 'probation' && d.probationMonths) ctx.addIssue({ code: 'custom', path: ['probationMonths'], message: 'only probation has a length' });
  });
export type MeetingDecision = z.infer<typeof MeetingDecision>;

export interface DisciplineTiming {
  verification: StepTiming;
  talk: StepTiming;
  meeting: StepTiming;
  approval: StepTiming;
  spotCheck: StepTiming;
  probationReview: StepTiming;
  /** One month of probation (R18: 6 or 12 months); in whole days, a calendar month (domain/calendar.ts); short in tests. */
  probationMonthMs: number;
  /** R18: a month of whole days is a calendar month (probation ends the same day months later). */
  calendarMonths?: boolean;
}

export function disciplineTimingFromEnv(env: NodeJS.ProcessEnv): DisciplineTiming {
  const step = (name: string) => stepTimingFromEnv(`TUANWU_DISCIPLINE_${name}`, DEFAULT_CHECK_IN_TIMING, env);
  return {
    verification: step('VERIFICATION'),
    talk: step('TALK'),
    meeting: step('MEETING'),
    approval: step('APPROVAL'),
    spotCheck: step('SPOT_CHECK'),
    probationReview: step('PROBATION_REVIEW'),
    probationMonthMs: parseDuration(env.TUANWU_PROBATION_MONTH ?? '30d'),
    calendarMonths: true,
  };
}

/** Which level approves an expulsion differs between sources (R18): configuration. */
export const ExpulsionApproval = z.enum(['parent', 'city', 'province']);
export type ExpulsionApproval = z.infer<typeof ExpulsionApproval>;

export interface DisciplineInput {
  processId: string;
  memberId: string;
  grounds: 'unpaid-dues' | 'misconduct';
  details: string;
  startedBy: string;
  /** The member's branch: verification, talk, meeting, probation review. */
  branch: OrgRef;
  /** The committee directly above the branch approves the decision (R18). */
  approver: OrgRef;
  /** Who approves an expulsion (configured level). */
  expulsionApprover: OrgRef;
  province: OrgRef;
  /** Whether the province spot-checks this case (sampled at start). */
  spotCheck: boolean;
  timing: DisciplineTiming;
}

export { disciplineWorkflowId } from './workflow-ids';
