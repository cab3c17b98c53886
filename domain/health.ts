// R21 organization health (and the R20 data it checks): the kinds of problem, how each is counted, and the
// query of GET /api/organizations/{id}/health. The subtree query itself is in activities/health.ts, shared by
// the API and the daily check (workflows/health-check.ts).
import { z } from 'zod';

/**
 * The kinds, as the lists name them:
 * - hollow-committee: a committee or general branch with no branch anywhere below it (空心团委);
 * - empty-branch: a branch without an active member (空心团支部);
 * - no-secretary: a branch without a current secretary entered as a cadre (R8; 支部无团干): one whose post is not
 *   ended, whose term has not passed and who has not left (R25, db/queries/cadres.ts currentPost);
 * - no-phone: a branch without a contact phone (R13: transfers into it are blocked);
 * - invalid-data: R20 data missing or invalid (see INVALID_DATA);
 * - late-entry: a branch with members entered more than a month after the meeting that admitted them (R19).
 */
export const HEALTH_KINDS = ['hollow-committee', 'empty-branch', 'no-secretary', 'no-phone', 'invalid-data', 'late-entry'] as const;
export const HealthKind = z.enum(HEALTH_KINDS);
export type HealthKind = z.infer<typeof HealthKind>;

/**
 * The problems the daily check tells the committees above about. A late entry is a count of what happened (R19),
 * not something the organization can fix: it is shown, not notified.
 */
export const NOTIFIED_KINDS: readonly HealthKind[] = ['hollow-committee', 'empty-branch', 'no-secretary', 'no-phone', 'invalid-data'];

/**
 * R20's data, missing or invalid (what `invalid-data` lists, each as `field: missing|invalid`):
 * - contactPhone missing on a committee or general branch (a branch's missing phone is `no-phone`, R13);
 * - creditCode invalid on any organization (GB 32100-2015); missing on a committee ("of the organization or its
 *   unit": a branch or general branch is covered by its unit's committee);
 * - schoolType missing on a school: a committee whose industry category is education (GB/T 4754 section P, or
 *   naming 教育) or that has a graduate branch directly below it;
 * - graduationDate missing on a graduate branch (R12 needs it).
 */
export const INVALID_DATA_FIELDS = ['contactPhone', 'creditCode', 'schoolType', 'graduationDate'] as const;

export const HealthCounts = z.object({
  hollowCommittees: z.number(),
  emptyBranches: z.number(),
  branchesWithoutSecretary: z.number(),
  branchesWithoutPhone: z.number(),
  /** Organizations with at least one field missing or invalid. */
  invalidData: z.number(),
  /** Members flagged as entered late (R19), in the whole subtree. */
  lateEntries: z.number(),
});
export type HealthCounts = z.infer<typeof HealthCounts>;

export const HealthItem = z.object({
  orgId: z.string(),
  name: z.string(),
  kind: z.string(),
  path: z.string(),
  /** invalid-data: the fields (`creditCode: invalid; contactPhone: missing`); late-entry: how many members. */
  detail: z.string().optional(),
});
export type HealthItem = z.infer<typeof HealthItem>;

export const HEALTH_LIMIT = { default: 50, max: 500 } as const;

export const HealthQuery = z.object({
  list: HealthKind.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(HEALTH_LIMIT.max).default(HEALTH_LIMIT.default),
});

/** A notification's text: the rule, what is wrong, and where (organization names and ids carry no PII). */
export function healthMessage(kind: HealthKind, org: { id: string; name: string }): string {
  const what: Record<HealthKind, string> = {
    'hollow-committee': 'R21: hollow committee, no branch below it',
    'empty-branch': 'R21: empty branch, no active member',
    'no-secretary': 'R21: branch without a secretary entered as a cadre',
    'no-phone': 'R13: branch without a contact phone, transfers into it are blocked',
    'invalid-data': 'R20: organization data missing or invalid',
    'late-entry': 'R19: members entered late',
  };
  return `${what[kind]}: ${org.name} (${org.id})`;
}
