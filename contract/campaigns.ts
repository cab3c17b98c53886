// R22: the campaigns API's contract: what each route under /api/campaigns takes (body, params, query, headers)
// and answers. The request bodies carry R22's input rules and live in domain/campaigns.ts; they are re-exported
// here so that a reader of the API finds the whole contract in one file.
import { z } from 'zod';
import * as requests from '../domain/campaigns';
import { OrgId } from '../domain/orgs';
import { UuidParams } from './common';

// Requests: bodies.

/** POST /campaigns: the province opens the year's campaign. */
export const CampaignOpen = requests.CampaignOpen;
export type CampaignOpen = z.infer<typeof CampaignOpen>;
export const GradeCode = requests.GradeCode;
export type GradeCode = z.infer<typeof GradeCode>;
/** PUT /campaigns/{id}/branches/{orgId}/grades. */
export const GradesBody = requests.GradesBody;
export type GradesBody = z.infer<typeof GradesBody>;
export const RegistrationCode = requests.RegistrationCode;
export type RegistrationCode = z.infer<typeof RegistrationCode>;
/** PUT /campaigns/{id}/branches/{orgId}/registrations. */
export const RegistrationsBody = requests.RegistrationsBody;
export type RegistrationsBody = z.infer<typeof RegistrationsBody>;
/** PUT /campaigns/{id}/cadres/{orgId}. */
export const CadreRegistrationBody = requests.CadreRegistrationBody;
export type CadreRegistrationBody = z.infer<typeof CadreRegistrationBody>;
/** POST /campaigns/{id}/extensions. */
export const ExtensionBody = requests.ExtensionBody;
export type ExtensionBody = z.infer<typeof ExtensionBody>;
/** POST /campaigns/{id}/close. */
export const CloseBody = requests.CloseBody;
export type CloseBody = z.infer<typeof CloseBody>;
/** POST /campaigns/{id}/refusals/{memberId}/consent. */
export const RefusalConsentBody = requests.RefusalConsentBody;
export type RefusalConsentBody = z.infer<typeof RefusalConsentBody>;

// Requests: params, query and headers.

/** /campaigns/{id}/branches/{orgId}, /campaigns/{id}/cadres/{orgId}. */
export const BranchOrgParams = UuidParams.extend({ orgId: OrgId });
export type BranchOrgParams = z.infer<typeof BranchOrgParams>;

/** /campaigns/{id}/refusals/{memberId}/consent. */
export const RefusalParams = UuidParams.extend({ memberId: z.uuid() });
export type RefusalParams = z.infer<typeof RefusalParams>;

/** GET /campaigns/{id}/progress: the organization whose subtree is counted (default: the caller's). */
export const ProgressQuery = z.object({ orgId: OrgId.optional() });
export type ProgressQuery = z.infer<typeof ProgressQuery>;

/** A branch's writes: the request's Idempotency-Key keys its event (a retry writes nothing twice). */
export const IdempotencyHeaders = z.object({ 'idempotency-key': z.string().min(1).max(200).optional() });
export type IdempotencyHeaders = z.infer<typeof IdempotencyHeaders>;

// Responses.

const Due = z.string();
export const PhaseView = z.object({
  startsOn: z.string(),
  endsOn: Due,
  deadlines: z.array(z.object({ level: z.union([z.literal('branch'), z.number()]), on: Due })),
  targets: z.array(z.object({ by: Due, share: z.number() })),
});
export type PhaseView = z.infer<typeof PhaseView>;

/** GET /campaigns/{id}, and each item of GET /campaigns. */
export const CampaignView = z.object({
  id: z.uuid(),
  provinceId: z.string(),
  year: z.number().int(),
  status: z.enum(['open', 'closed']),
  phases: z.object({ evaluation: PhaseView, registration: PhaseView }),
  excellentCap: z.number().nullable(),
  openedAt: z.string(),
  fannedOutAt: z.string().nullable(),
  tasks: z.number().int(),
  closedAt: z.string().nullable(),
});
export type CampaignView = z.infer<typeof CampaignView>;

/** GET /campaigns. */
export const CampaignList = z.object({ items: z.array(CampaignView) });
export type CampaignList = z.infer<typeof CampaignList>;

/** 201 of POST /campaigns. */
export const CampaignOpened = z.object({ campaignId: z.uuid(), workflowId: z.string(), year: z.number().int() });
export type CampaignOpened = z.infer<typeof CampaignOpened>;

export const BranchCountsView = z.object({
  total: z.number().int(),
  evaluated: z.number().int(),
  confirmed: z.number().int(),
  registered: z.number().int(),
  done: z.number().int(),
  inProgress: z.number().int(),
  overdue: z.number().int(),
  unfinished: z.number().int(),
});
export type BranchCountsView = z.infer<typeof BranchCountsView>;

export const MemberCountsView = z.object({ total: z.number().int(), evaluated: z.number().int(), registered: z.number().int() });
export type MemberCountsView = z.infer<typeof MemberCountsView>;

export const PhaseProgressView = z.object({
  share: z.number(),
  deadline: z.string(),
  target: z.object({ by: z.string(), share: z.number() }).nullable(),
  behind: z.boolean(),
});
export type PhaseProgressView = z.infer<typeof PhaseProgressView>;

export const ShareView = z.object({ share: z.number(), behind: z.boolean() });
export type ShareView = z.infer<typeof ShareView>;

export const ChildProgressView = z.object({
  orgId: z.string(),
  name: z.string(),
  kind: z.string(),
  branches: BranchCountsView,
  members: MemberCountsView,
  evaluation: ShareView,
  registration: ShareView,
});
export type ChildProgressView = z.infer<typeof ChildProgressView>;

/** GET /campaigns/{id}/progress. */
export const ProgressView = z.object({
  orgId: z.string(),
  phase: z.enum(['evaluation', 'registration']),
  branches: BranchCountsView,
  members: MemberCountsView,
  cadres: z.object({ current: z.number().int(), registered: z.number().int() }),
  evaluation: PhaseProgressView,
  registration: PhaseProgressView,
  children: z.array(ChildProgressView),
});
export type ProgressView = z.infer<typeof ProgressView>;

export const BranchMemberView = z.object({
  memberId: z.uuid(),
  name: z.string(),
  grade: GradeCode.nullable(),
  registration: z.object({ decision: RegistrationCode, reason: z.string().nullable(), followUpOn: z.string().nullable() }).nullable(),
  turns28: z.boolean(),
});
export type BranchMemberView = z.infer<typeof BranchMemberView>;

export const BranchCadreView = z.object({ cadreId: z.uuid(), name: z.string(), post: z.string(), registered: z.boolean() });
export type BranchCadreView = z.infer<typeof BranchCadreView>;

/** GET /campaigns/{id}/branches/{orgId}. */
export const BranchTaskView = z.object({
  processId: z.uuid(),
  step: z.string(),
  deadline: z.string(),
  overdue: z.boolean(),
  returnedReason: z.string().nullable(),
  members: z.array(BranchMemberView),
  cadres: z.array(BranchCadreView),
  excellentCap: z.number().nullable(),
  availableActions: z.array(z.string()),
});
export type BranchTaskView = z.infer<typeof BranchTaskView>;

/** PUT /campaigns/{id}/branches/{orgId}/grades. */
export const GradesRecorded = z.object({ evaluated: z.number().int(), total: z.number().int() });
export type GradesRecorded = z.infer<typeof GradesRecorded>;

/** PUT /campaigns/{id}/branches/{orgId}/registrations. */
export const RegistrationsRecorded = z.object({
  registered: z.number().int(),
  deferred: z.number().int(),
  refused: z.number().int(),
  total: z.number().int(),
});
export type RegistrationsRecorded = z.infer<typeof RegistrationsRecorded>;

/** PUT /campaigns/{id}/cadres/{orgId}. */
export const CadresRegistered = z.object({ registered: z.number().int(), current: z.number().int() });
export type CadresRegistered = z.infer<typeof CadresRegistered>;

/** 201 of POST /campaigns/{id}/extensions. */
export const ExtensionCreated = z.object({ extensionId: z.uuid() });
export type ExtensionCreated = z.infer<typeof ExtensionCreated>;

/** POST /campaigns/{id}/close. */
export const CampaignClosed = z.object({ unfinished: z.number().int() });
export type CampaignClosed = z.infer<typeof CampaignClosed>;

/** 201 of POST /campaigns/{id}/refusals/{memberId}/consent. */
export const RefusalConsented = z.object({ deletionProcessId: z.uuid() });
export type RefusalConsented = z.infer<typeof RefusalConsented>;
