// R22 (yearly campaigns) and R23 (rewards and punishments): the API's inputs. The plan's types and the
// functions the workflows use are in domain/campaign-plan.ts (no zod in the workflow bundle).
import { z } from 'zod';
import { OrgId } from './orgs';
import { freeText, singleLine } from './text';
import { dueAt, GRADES, type CampaignPhases, type Grade, type PhasePlan } from './campaign-plan';

export * from './campaign-plan';

const Day = z.iso.date().refine((d) => d >= '2000-01-01' && d <= '2099-12-31', 'a date from 2000-01-01 to 2099-12-31');
/** A deadline: a day (its end, Asia/Shanghai) or an instant with its offset. */
const Due = z.union([Day, z.iso.datetime({ offset: true })]);

const PhasePlanInput = z
  .object({
    startsOn: Day,
    endsOn: Due,
    /** R22: a deadline per level: `branch`, or a committee depth (1 = city) for its review of the branches below it. */
    deadlines: z
      .array(z.object({ level: z.union([z.literal('branch'), z.number().int().min(1).max(8)]), on: Due }))
      .max(9)
      .default([]),
    /** Dated targets (the seeds' 30 % by 30 June, 80 % by 20 July, all by 31 July). */
    targets: z
      .array(z.object({ by: Due, share: z.number().gt(0).max(1) }))
      .max(12)
      .default([]),
  })
  .superRefine((p, ctx) => {
    const end = dueAt(p.endsOn);
    if (end < dueAt(p.startsOn)) ctx.addIssue({ code: 'custom', path: ['endsOn'], message: 'R22: a phase ends after it starts' });
    const levels = new Set<string>();
    p.deadlines.forEach((d, i) => {
      if (levels.has(String(d.level))) ctx.addIssue({ code: 'custom', path: ['deadlines', i, 'level'], message: 'R22: one deadline per level' });
      levels.add(String(d.level));
      if (dueAt(d.on) > end) ctx.addIssue({ code: 'custom', path: ['deadlines', i, 'on'], message: "R22: a level's deadline is within the phase" });
    });
    p.targets.forEach((t, i) => {
      if (dueAt(t.by) > end) ctx.addIssue({ code: 'custom', path: ['targets', i, 'by'], message: 'R22: a target is dated within the phase' });
    });
  });

/** Body of POST /api/campaigns: the province opens the year's campaign. */
export const CampaignOpen = z
  .object({
    year: z.number().int().min(2000).max(2099),
    evaluation: PhasePlanInput,
    registration: PhasePlanInput,
    /** The largest share of 优秀 per branch (0-1); absent: the configured default (none unless configured). */
    excellentCap: z.number().gt(0).max(1).nullable().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.registration.startsOn < c.evaluation.startsOn)
      ctx.addIssue({ code: 'custom', path: ['registration', 'startsOn'], message: 'R22: registration follows the evaluation' });
  });
export type CampaignOpen = z.infer<typeof CampaignOpen>;

export const GradeCode = z.enum(GRADES as [Grade, ...Grade[]]);

/** Body of PUT /api/campaigns/{id}/branches/{orgId}/grades: the branch records grades, any number at a time. */
export const GradesBody = z.object({
  grades: z
    .array(z.object({ memberId: z.uuid(), grade: GradeCode }))
    .min(1)
    .max(2000)
    .refine((g) => new Set(g.map((x) => x.memberId)).size === g.length, 'one grade per member'),
});

export const RegistrationCode = z.enum(['registered', 'deferred', 'refused']);

const RegistrationEntry = z
  .object({
    memberId: z.uuid(),
    decision: RegistrationCode,
    reason: freeText(500).optional(),
    /** 暂缓注册: the day the branch decides again. */
    followUpOn: Day.optional(),
  })
  .superRefine((e, ctx) => {
    if (e.decision !== 'registered' && !e.reason) ctx.addIssue({ code: 'custom', path: ['reason'], message: `R22: "${e.decision}" needs a reason` });
    if (e.decision === 'deferred' && !e.followUpOn)
      ctx.addIssue({ code: 'custom', path: ['followUpOn'], message: 'R22: a deferred registration needs its follow-up date' });
    if (e.decision !== 'deferred' && e.followUpOn)
      ctx.addIssue({ code: 'custom', path: ['followUpOn'], message: 'only a deferred registration has a follow-up date' });
  });

/** Body of PUT /api/campaigns/{id}/branches/{orgId}/registrations. */
export const RegistrationsBody = z.object({
  entries: z
    .array(RegistrationEntry)
    .min(1)
    .max(2000)
    .refine((g) => new Set(g.map((x) => x.memberId)).size === g.length, 'one entry per member'),
});

/** Body of PUT /api/campaigns/{id}/cadres/{orgId}: the organization registers its current cadres (团干部注册). */
export const CadreRegistrationBody = z.object({ cadreIds: z.array(z.uuid()).min(1).max(200) });

/** Body of POST /api/campaigns/{id}/extensions: the province extends a phase for one city, with a reason. */
export const ExtensionBody = z.object({
  cityId: OrgId,
  phase: z.enum(['evaluation', 'registration']),
  until: Due,
  reason: freeText(500),
});

/** Body of POST /api/campaigns/{id}/refusals/{memberId}/consent: the deciding committee consents to a re-check-in. */
export const RefusalConsentBody = z.object({ reason: freeText(500) });

/** Body of POST /api/campaigns/{id}/close. */
export const CloseBody = z.object({ reason: freeText(500).optional() });

/** R23: the level of the deciding organization (国家级 … 基层). */
export const AwardLevel = z.enum(['national', 'province', 'city', 'county', 'school', 'branch']);

/** Body of POST /api/members/{id}/awards (R23). */
export const AwardBody = z.object({
  type: z.enum(['reward', 'punishment']),
  /** 优秀共青团员, 五四红旗团支部, 通报批评 …; a disciplinary sanction (R18) is recorded by its case, not here. */
  kind: singleLine(60),
  level: AwardLevel,
  decidedOn: Day,
  decidingOrg: singleLine(100),
  documentNumber: singleLine(100),
});

/** Body of POST /api/awards/{id}/revocation (R23: 撤销, with a reason). */
export const RevocationBody = z.object({ reason: freeText(500) });

export type { CampaignPhases, PhasePlan };
