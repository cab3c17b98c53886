// The API's answers as the console reads them (api/*.ts holds the schemas; these follow them).
import type { DecisionAction, ProcessKind } from '../../domain/processes';

export type { DecisionAction, ProcessKind };

export type Role = 'member' | 'branch_secretary' | 'committee_admin' | 'province_admin' | 'system';

export interface OrgSummary {
  id: string;
  name: string;
  kind: string;
  path: string;
  parentId: string | null;
}

/** GET /me. */
export interface Me {
  actorId: string;
  role: Role;
  label: string;
  memberId: string | null;
  org: OrgSummary | null;
}

/** An item of GET /processes. */
export interface ProcessSummary {
  id: string;
  kind: ProcessKind | string;
  memberId: string | null;
  memberName: string | null;
  orgId: string;
  orgName?: string | null;
  status: string;
  step: string;
  stepLabel?: string;
  stepSince: string;
  deadline: string | null;
  overdue: boolean;
  startedAt: string;
  closedAt: string | null;
  /** R22: a branch's campaign task is about that branch, not a member. */
  campaignTask?: { campaignId: string; orgId: string; orgName: string } | null;
  /** The decisions the caller may take now (absent from an API that does not say: then none are offered). */
  actions?: string[];
}

export interface ProcessPage {
  items: ProcessSummary[];
  nextCursor: string | null;
}

export interface TimelineEvent {
  type: string;
  actorId: string | null;
  orgId: string | null;
  at: string;
  payload: Record<string, unknown>;
}

export interface ProcessDetail extends ProcessSummary {
  timeline: TimelineEvent[];
}

export interface DecisionResult {
  processId: string;
  status: string;
  deadline: string;
}

export interface MemberView extends MemberData {
  id: string;
  name: string;
  idNumber: string;
  idNumberMasked: boolean;
  joinDate: string;
  developmentNumber: string | null;
  branchId: string | null;
  status: string;
  locked: boolean;
  lockedFields: string[];
  details: Record<string, unknown>;
  updatedAt: string;
  /** Present if the API lists the member's history (memberships, processes). */
  history?: Record<string, unknown>[];
}

export interface OrganizationView {
  id: string;
  parentId: string | null;
  path: string;
  kind: string;
  name: string;
  specialKind: string;
  contactPhone: string | null;
  creditCode: string | null;
  industryCategory: string | null;
  schoolType: string | null;
  graduationDate: string | null;
  members: number;
  hasSecretary: boolean;
  children: { id: string; name: string; kind: string }[];
}

/** GET /processes/counts. */
export interface ProcessCounts {
  org: { id: string; name: string; kind: string };
  self: { open: number; overdue: number };
  children: { id: string; name: string; kind: string; open: number; overdue: number }[];
}

export interface RoutePreview {
  outcome: 'org' | 'wait' | 'stay' | 'none';
  case: string;
  reason: string;
  orgId?: string;
  awaitOrgId?: string;
  problems: { rule: string; message: string }[];
}

export interface RowProblem {
  status: number;
  message: string;
  rule?: string;
  fields?: { field: string; message: string; rule?: string }[];
}

/** A row of the graduates' import report (POST /transfers/graduates/import). */
export interface RosterRow {
  line: number;
  idNumber?: string;
  status: 'started' | 'already-started' | 'failed';
  processId?: string;
  route?: string;
  error?: RowProblem;
}

export interface RosterReport {
  batch: string;
  started: number;
  alreadyStarted: number;
  failed: number;
  rows: RosterRow[];
}

export interface GraduateRow {
  orgId: string;
  name: string;
  graduates: number;
  transferred: number;
  deleted: number;
  share: number;
  behind: boolean;
  cityId?: string;
}

/** GET /stats/graduate-transfers. */
export interface GraduateStatistics {
  cohort: number;
  asOf: string;
  base: { date: string; fixed: boolean };
  target: { date: string; share: number } | null;
  /** Every dated target of the cohort's year (R12). */
  targets?: { date: string; share: number }[];
  total: { graduates: number; transferred: number; deleted: number; share: number };
  cities: GraduateRow[];
  schools: GraduateRow[];
}

export interface DuesRate {
  orgId: string;
  name: string;
  kind: string;
  members: number;
  paid: number;
  rate: number | null;
}

/** GET /stats/dues. */
export interface DuesStatistics {
  month: string;
  organization: DuesRate;
  children: DuesRate[];
}

/** GET /stats/deletions. */
export interface DeletionStatistics {
  orgId: string;
  months: { month: string; approved: number; graduates: number }[];
  flags: { orgId: string; orgName: string | null; deletions: number; graduates: number; flaggedAt: string }[];
}

/** GET /stats/overdue. */
export interface OverdueStatistics {
  orgId: string;
  days: { day: string; overdue: number }[];
}

export interface DataProblem {
  orgId: string;
  rule: string;
  kind: string;
  message: string;
  occurrences: number;
  firstSeen: string;
  lastSeen: string;
}

/** A change not yet in force (R5 data, R7 join date): the process deciding it and the new values. */
export interface PendingChange {
  processId: string;
  kind: 'data' | 'join-date';
  fields: Record<string, unknown>;
  submittedAt: string;
}

/** GET /members/:id — the issue-13 additions (absent from an older API: the page then leaves them out). */
export interface MemberData {
  pending?: PendingChange[];
  partyMember?: boolean;
  cadrePosts?: { orgId: string; role: string; post: string }[];
  meetingDate?: string | null;
  lateEntry?: boolean;
  applicationForm?: { required: boolean; uploadedAt: string | null; sha256: string | null };
}

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** An item of GET /members/:id/history. */
export interface HistoryItem {
  id: string;
  at: string;
  type: string;
  category: string;
  actorId: string | null;
  orgId: string | null;
  processId: string | null;
  changes?: FieldChange[];
  reason?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A process started by a request (R5 change, R7 join date). */
export interface StartedProcess {
  processId: string;
  status: string;
  step: string;
  deadline: string | null;
  route?: string;
}

/** GET /join-date-window (R7). */
export interface JoinDateWindow {
  id: string;
  opensOn: string;
  closesOn: string;
  open: boolean;
}

export type CadreRole = 'secretary' | 'committee_member' | 'staff';

/** R8. */
export interface CadreView {
  id: string;
  orgId: string;
  name: string;
  idNumber: string;
  role: CadreRole;
  post: string;
  termStart: string;
  termEnd: string | null;
  endedAt: string | null;
  memberId: string | null;
}

export const HEALTH_LISTS = ['hollow-committee', 'empty-branch', 'no-secretary', 'no-phone', 'invalid-data', 'late-entry'] as const;
export type HealthList = (typeof HEALTH_LISTS)[number];

export interface HealthItem {
  orgId: string;
  name: string;
  kind: string;
  path: string;
  detail?: unknown;
}

/** GET /organizations/:id/health (R21). */
export interface HealthView {
  orgId: string;
  counts: Record<'hollowCommittees' | 'emptyBranches' | 'branchesWithoutSecretary' | 'branchesWithoutPhone' | 'invalidData' | 'lateEntries', number>;
  list?: { kind: HealthList; items: HealthItem[]; nextCursor: string | null };
}

/** R19. */
export interface RangeView {
  id: string;
  orgId: string;
  year: number;
  prefix: string;
  count: number;
  first: string;
  last: string;
  issuedAt: string;
  counts: { used: number; voided: number; open: number };
}

export interface RangeDetail extends RangeView {
  used: { number: string; memberId: string | null }[];
  voided: { number: string; reason: string; voidedAt: string }[];
  open: string[];
}

/** An item of GET /application-forms/missing (R24). */
export interface MissingForm {
  memberId: string;
  name: string;
  branchId: string;
  approvedAt: string;
  daysSinceApproval: number;
}

/** One labelled input of a FieldsForm, bound to `model[key]`. */
export interface FormField {
  key: string;
  label: string;
  testid: string;
  type?: 'text' | 'date' | 'number' | 'textarea';
  maxlength?: number;
  placeholder?: string;
  required?: boolean;
  /** The warning when it is left empty (by default "fill in <label>"). */
  message?: string;
}

/** R22: a phase of a campaign as the province planned it (domain/campaign-plan.ts PhasePlan). */
export interface CampaignPhasePlan {
  startsOn: string;
  endsOn: string;
  deadlines: { level: 'branch' | number; on: string }[];
  targets: { by: string; share: number }[];
}

/** An item of GET /campaigns (R22). */
export interface CampaignView {
  id: string;
  provinceId: string;
  year: number;
  status: 'open' | 'closed' | string;
  phases: { evaluation: CampaignPhasePlan; registration: CampaignPhasePlan };
  excellentCap: number | null;
  openedAt: string;
  fannedOutAt: string | null;
  tasks: number;
  closedAt: string | null;
  /** Branches left unfinished by the close (when the API says). */
  unfinished?: number;
}

/** Counts of branch tasks in a subtree (R22 progress). */
export interface BranchCounts {
  total: number;
  evaluated: number;
  confirmed: number;
  registered: number;
  done: number;
  inProgress: number;
  overdue: number;
  unfinished: number;
}

export interface PhaseProgress {
  share: number;
  deadline: string | null;
  target: { by: string; share: number } | null;
  behind: boolean;
}

export interface ChildProgress {
  orgId: string;
  name: string;
  kind: string;
  branches: BranchCounts;
  members: { total: number; evaluated: number; registered: number };
  evaluation: { share: number; behind: boolean };
  registration: { share: number; behind: boolean };
}

/** GET /campaigns/:id/progress. */
export interface CampaignProgress {
  orgId: string;
  phase: 'evaluation' | 'registration';
  branches: BranchCounts;
  members: { total: number; evaluated: number; registered: number };
  cadres: { current: number; registered: number };
  evaluation: PhaseProgress;
  registration: PhaseProgress;
  children: ChildProgress[];
}

export type GradeCode = 'excellent' | 'qualified' | 'basic' | 'unqualified';
export type RegistrationCode = 'registered' | 'deferred' | 'refused';

export interface RegistrationEntry {
  decision: RegistrationCode;
  reason: string | null;
  followUpOn: string | null;
}

/** A current cadre of an organization in the campaign's cadre registration (团干部注册). */
export interface CampaignCadre {
  cadreId: string;
  name: string;
  post: string;
  /** Whether registered already: a branch's task says; unknown (left out) for a committee's list. */
  registered?: boolean;
}

/** GET /campaigns/:id/branches/:orgId: a branch's task. */
export interface BranchTask {
  processId: string;
  step: string;
  deadline: string | null;
  overdue: boolean;
  returnedReason: string | null;
  members: { memberId: string; name: string; grade: GradeCode | null; registration: RegistrationEntry | null; turns28: boolean }[];
  cadres: (CampaignCadre & { registered: boolean })[];
  excellentCap: number | null;
  availableActions: string[];
}

/** An item of GET /members/:id/awards (R23). */
export interface AwardView {
  id: string;
  type: 'reward' | 'punishment';
  kind: string;
  level: string;
  decidedOn: string;
  decidingOrg: string;
  documentNumber: string;
  orgId: string;
  sourceProcessId: string | null;
  recordedAt: string;
  revokedAt: string | null;
  revokeReason: string | null;
}
