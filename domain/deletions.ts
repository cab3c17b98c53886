// Deleting a member (R14-R17): applied for by the branch, verified by the city-level committee, decided
// only by the province; returned in bulk (R15); deletions of graduates watched for abuse (R17).
import { z } from 'zod';
import { DEFAULT_CHECK_IN_TIMING, parseDuration, stepTimingFromEnv, type StepTiming } from './durations';
import type { OrgRef } from './orgs';
import { freeText, singleLine } from './text';

/**
 * `registration-refused`: 不予注册 in a campaign (R22), started by the campaign only, never applied for by hand; final
 * for that year's registration: a re-check-in needs the deciding committee's consent (db/queries/campaigns.ts).
 */
export const DeletionCategory = z.enum(['wrong-branch', 'left', 'deceased', 'duplicate', 'other', 'registration-refused']);
export type DeletionCategory = z.infer<typeof DeletionCategory>;
/** The categories a branch applies with (R14); a refusal of registration comes from the campaign. */
export const AppliedCategory = DeletionCategory.exclude(['registration-refused']);

/** Body of POST /api/deletions. */
export const DeletionApplication = z
  .object({
    memberId: z.uuid(),
    category: AppliedCategory,
    reason: freeText(500),
    /** R16: a check-in approved in the wrong branch is undone only with a written explanation to the levels above. */
    explanation: freeText(2000).optional(),
  })
  .superRefine((d, ctx) => {
    if (d.category === 'wrong-branch' && !d.explanation)
      ctx.addIssue({
        code: 'custom',
        path: ['explanation'],
        message: 'R16: a deletion of a check-in approved in the wrong branch needs a written explanation',
      });
  });
export type DeletionApplication = z.infer<typeof DeletionApplication>;
/** An application as the one start takes it (temporal/deletion-start.ts): the campaign's refusal has its own category. */
export type DeletionStart = Omit<DeletionApplication, 'category'> & { category: DeletionCategory };

/** Body of POST /api/deletions/bulk-return (R15): every filter given must match. */
export const BulkReturn = z.object({
  reason: freeText(500),
  cityId: singleLine(63, 0).optional(),
  category: DeletionCategory.optional(),
  /** Only applications pending at their current step (city or province) for at least this many days. */
  olderThanDays: z.number().int().min(0).max(3650).optional(),
});
export type BulkReturn = z.infer<typeof BulkReturn>;

export type DeletionStep = 'city-review' | 'province-review' | 'branch-recheck';

export interface DeletionTiming {
  cityReview: StepTiming;
  provinceReview: StepTiming;
  branchRecheck: StepTiming;
}

export function deletionTimingFromEnv(env: NodeJS.ProcessEnv): DeletionTiming {
  return {
    cityReview: stepTimingFromEnv('TUANWU_DELETION_CITY_REVIEW', DEFAULT_CHECK_IN_TIMING, env),
    provinceReview: stepTimingFromEnv('TUANWU_DELETION_PROVINCE_REVIEW', DEFAULT_CHECK_IN_TIMING, env),
    branchRecheck: stepTimingFromEnv('TUANWU_DELETION_BRANCH_RECHECK', DEFAULT_CHECK_IN_TIMING, env),
  };
}

/** R17: within `windowMs`, an organization whose deletions are graduates above `threshold` (at least `minDeletions`) is flagged. */
export interface AbuseWatch {
  windowMs: number;
  threshold: number;
  minDeletions: number;
}

export function abuseWatchFromEnv(env: NodeJS.ProcessEnv): AbuseWatch {
  const threshold = Number(env.TUANWU_ABUSE_THRESHOLD ?? '0.3');
  if (!(threshold > 0 && threshold <= 1)) throw new Error('TUANWU_ABUSE_THRESHOLD: a share between 0 and 1');
  return {
    windowMs: parseDuration(env.TUANWU_ABUSE_WINDOW ?? '90d'),
    threshold,
    minDeletions: Number(env.TUANWU_ABUSE_MIN_DELETIONS ?? '3'),
  };
}

export interface DeletionInput {
  processId: string;
  memberId: string;
  category: DeletionCategory;
  reason: string;
  explanation?: string;
  appliedBy: string;
  branch: OrgRef;
  /** The city-level committee that verifies (R14), and the province that decides. */
  city: OrgRef;
  province: OrgRef;
  graduate: boolean;
  timing: DeletionTiming;
}

export { deletionWorkflowId } from './workflow-ids';
