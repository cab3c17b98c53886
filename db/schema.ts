// The database schema as a TypeScript interface; kysely types every query from it.
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { CampaignPhases, CampaignTaskStep, Grade, RegistrationDecision } from '../domain/campaigns';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T = unknown> = ColumnType<T, string, string>;

export interface OrganizationsTable {
  id: string;
  parent_id: string | null;
  /** Materialized path, ancestors first: "gd/sz/ft/". A subtree is one prefix match on an index. */
  path: string;
  depth: number;
  name: string;
  kind: 'committee' | 'general_branch' | 'branch';
  special_kind: 'none' | 'floating' | 'temporary_civil_servant' | 'graduate';
  contact_phone: string | null;
  credit_code: string | null;
  /** R20: 行业类别 and, for schools, 办学性质 (migration 0006). */
  industry_category: string | null;
  school_type: 'public' | 'private' | 'cooperative' | 'other' | null;
  graduation_date: string | null;
  created_at: CreatedAt;
}

export interface MembersTable {
  id: string;
  name: string;
  id_number: string;
  join_date: string;
  development_number: string | null;
  branch_id: string | null;
  /** `transferred_out`: left for another province (R10); the record stays readable. */
  status: 'pending' | 'returned' | 'withdrawn' | 'active' | 'transferred_out' | 'deleted' | 'probation' | 'expelled' | 'removed' | 'aged_out';
  /** R14: a soft delete; the record and its history stay readable to the levels above. */
  deleted_at: Timestamp | null;
  /** R18/R23: the sanction in force, if any. */
  sanction: string | null;
  /** Profile fields other than the locked four (R6). */
  details: Json<Record<string, unknown>>;
  locked_at: Timestamp | null;
  /** R19: the date of the branch meeting that admitted the member (part of the check-in), migration 0008. */
  meeting_date: ColumnType<string | null, string | null | undefined, string | null>;
  /** R19: entered more than a month after that meeting: accepted, flagged, counted per organization. */
  late_entry: ColumnType<boolean, boolean | undefined, boolean>;
  /** R25: the process whose effect set the status, and when (migration 0011); written only by db/member-state.ts. */
  status_process_id: ColumnType<string | null, string | null | undefined, string | null>;
  status_changed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ActorsTable {
  id: string;
  role: 'member' | 'branch_secretary' | 'committee_admin' | 'province_admin';
  org_id: string | null;
  member_id: string | null;
  label: string;
  /** sha256 of the bearer token; the token itself is shown once, at creation. */
  token_hash: string;
  created_at: CreatedAt;
}

/** R12: a correction of a cohort's base, by a committee above the school, with a reason (migration 0015). */
export interface GraduateBaseCorrectionsTable {
  id: string;
  cohort: number;
  school_id: string;
  member_id: string;
  change: 'add' | 'remove';
  reason: string;
  actor_id: string;
  occurred_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface EventsTable {
  id: Generated<string>;
  /** Unique: a retried activity finds its event already written and changes nothing. */
  idempotency_key: string;
  process_id: string | null;
  member_id: string | null;
  org_id: string | null;
  type: string;
  actor_id: string | null;
  payload: Json<Record<string, unknown>>;
  occurred_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface ProcessesTable {
  id: string;
  kind: string;
  workflow_id: string;
  run_id: string | null;
  member_id: string | null;
  /** The organization that must act now, and its path (for "what is stuck below me"). */
  org_id: string;
  org_path: string;
  status: string;
  step: string;
  step_since: Timestamp;
  deadline: Timestamp | null;
  overdue: boolean;
  started_at: Timestamp;
  closed_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface NotificationsTable {
  id: Generated<string>;
  idempotency_key: string;
  recipient_org_id: string | null;
  recipient_actor_id: string | null;
  kind: 'reminder' | 'escalation' | 'decision' | 'task' | 'data-problem';
  process_id: string | null;
  message: string;
  created_at: CreatedAt;
  delivered_at: Timestamp | null;
}

export interface IdempotentRequestsTable {
  actor_id: string;
  key: string;
  request_hash: string;
  /** null (with response) while the key is claimed and its first request still runs (migration 0014). */
  status_code: number | null;
  response: Json<unknown> | null;
  created_at: CreatedAt;
}

export interface WorkflowProblemsTable {
  run_id: string;
  kind: string;
  message: string;
  occurrences: ColumnType<number, number | undefined, number>;
  first_seen: CreatedAt;
  last_seen: Timestamp;
}

export interface TransfersTable {
  process_id: string;
  member_id: string;
  direction: 'internal' | 'outbound' | 'inbound';
  from_branch_id: string | null;
  to_org_id: string | null;
  /** A destination branch that does not exist yet (R12, freshmen): its creation wakes the transfer. */
  await_org_id: string | null;
  peer_province: string | null;
  /** The transfer's id in the originating province's system (ours for outbound). */
  peer_transfer_id: string | null;
  graduate_cohort: number | null;
  route_case: string | null;
  status: string;
  started_at: Timestamp;
  completed_at: Timestamp | null;
}

export interface TransferKeysTable {
  key: string;
  process_id: string;
  member_id: string;
  created_at: CreatedAt;
}

export interface PeerMessagesTable {
  province: string;
  idempotency_key: string;
  request_hash: string;
  /** null (with response) while the key is claimed and its first message still runs (migration 0014). */
  status_code: number | null;
  response: Json<unknown> | null;
  created_at: CreatedAt;
}

export interface DataProblemsTable {
  id: Generated<string>;
  org_id: string;
  org_path: string;
  rule: string;
  kind: string;
  message: string;
  occurrences: ColumnType<number, number | undefined, number>;
  first_seen: CreatedAt;
  last_seen: ColumnType<Date, Date | string | undefined, Date | string>;
  resolved_at: Timestamp | null;
}

export interface DeletionsTable {
  process_id: string;
  member_id: string;
  branch_id: string;
  branch_path: string;
  city_id: string | null;
  category: string;
  /** R17: the member was in a graduate branch when the deletion was applied for. */
  graduate: boolean;
  status: string;
  submitted_at: Timestamp;
  decided_at: Timestamp | null;
}

export interface DuesPaymentsTable {
  id: Generated<string>;
  member_id: string;
  month: string;
  amount_cents: number;
  recorded_by: string;
  batch_key: string | null;
  paid_at: CreatedAt;
}

/** A file kept whole in the database with its SHA-256 (R18 materials, R24 application forms). */
export interface StoredFile {
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  content: Buffer;
  uploaded_by: string;
}

export interface DisciplineMaterialsTable extends StoredFile {
  id: string;
  process_id: string;
  uploaded_at: CreatedAt;
}

export interface AbuseFlagsTable {
  id: Generated<string>;
  org_id: string;
  org_path: string;
  window_start: Timestamp;
  deletions: number;
  graduates: number;
  flagged_at: CreatedAt;
}

/** R5/R7: a change under review: the values it would set (`fields`) and those in force when it was asked (`previous`). */
export interface MemberChangesTable {
  process_id: string;
  member_id: string;
  kind: 'data' | 'join-date';
  /** R7: 'window' (the member, inside the province's window, reviewed by the branch) or 'formal' (a city-level committee to the province). */
  route: 'window' | 'formal' | null;
  fields: Json<Record<string, unknown>>;
  previous: Json<Record<string, unknown>>;
  reason: string | null;
  status: string;
  requested_by: string;
  submitted_at: ColumnType<Date, Date | string | undefined, Date | string>;
  decided_at: Timestamp | null;
}

/** R7: the join-date correction window the province opens (dates, inclusive) and closes. */
export interface JoinDateWindowsTable {
  id: string;
  /** The province (root organization) whose window it is (at most one current per province). */
  province_id: string;
  opens_on: string;
  closes_on: string;
  opened_by: string;
  created_at: CreatedAt;
  closed_at: Timestamp | null;
}

/** R8: a cadre an organization entered; linked to a member record by ID number (neither replaces the other). */
export interface CadresTable {
  id: string;
  org_id: string;
  org_path: string;
  name: string;
  id_number: string;
  /** A branch enters only its secretary; a general branch its committee members; a committee its committee members and staff. */
  role: 'secretary' | 'committee_member' | 'staff';
  /** The post's title (书记, 副书记, 委员, 专职团干 …). */
  post: string;
  term_start: string;
  term_end: string | null;
  entered_by: string;
  created_at: CreatedAt;
  ended_at: Timestamp | null;
}

/** R19: development numbers issued to an organization for a year: `prefix` + a sequence 1..count, zero-padded to `width`. */
export interface NumberRangesTable {
  id: string;
  org_id: string;
  org_path: string;
  year: number;
  prefix: string;
  count: number;
  width: number;
  issued_by: string;
  issued_at: CreatedAt;
}

/** R19: a number of a range that will not be used, with the reason ("every number accounted for"). */
export interface NumberVoidsTable {
  number: string;
  range_id: string;
  reason: string;
  voided_by: string;
  voided_at: CreatedAt;
}

/** R19 age-out: the branch recorded an exception before the member's 28th birthday. */
export interface AgeOutExceptionsTable {
  member_id: string;
  reason: string;
  recorded_by: string;
  recorded_at: CreatedAt;
}

/** R24: the scanned application form (入团志愿书), stored like the disciplinary materials. */
export interface ApplicationFormsTable extends StoredFile {
  member_id: string;
  /** Replaced by a newer upload: set again. */
  uploaded_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** R21: a health problem of `org_id` notified once to the committee `recipient_org_id` above it. */
export interface HealthNoticesTable {
  org_id: string;
  kind: string;
  recipient_org_id: string;
  notified_at: CreatedAt;
}

/** R22: a yearly campaign of one province: education evaluation, then annual registration (migration 0010). */
export interface CampaignsTable {
  id: string;
  province_id: string;
  year: number;
  workflow_id: string;
  status: 'open' | 'closed';
  /** The phases as the province set them (domain/campaigns.ts `CampaignPhases`). */
  phases: Json<CampaignPhases>;
  /** The largest share of 优秀 a branch may give (0-1), or null: no cap. */
  excellent_cap: number | null;
  opened_by: string;
  opened_at: CreatedAt;
  /** Set once every branch has its task; `tasks` counts them. */
  fanned_out_at: Timestamp | null;
  tasks: ColumnType<number, number | undefined, number>;
  closed_at: Timestamp | null;
  closed_by: string | null;
  close_reason: string | null;
}

/** R22: one branch's task in a campaign (a `campaign` process, `process_id`): what the progress query sums. */
export interface CampaignTasksTable {
  campaign_id: string;
  org_id: string;
  process_id: string;
  org_path: string;
  /** The branch's parent's path: campaign_rollups keeps the counts per parent (migration 0010). */
  parent_path: string;
  depth: number;
  /** The nearest committee above the branch: it confirms or returns the evaluation. */
  reviewer_id: string;
  step: CampaignTaskStep;
  deadline: Timestamp;
  overdue: ColumnType<boolean, boolean | undefined, boolean>;
  members_total: ColumnType<number, number | undefined, number>;
  members_evaluated: ColumnType<number, number | undefined, number>;
  members_registered: ColumnType<number, number | undefined, number>;
  returned_reason: string | null;
  evaluated_at: Timestamp | null;
  confirmed_at: Timestamp | null;
  registered_at: Timestamp | null;
  closed_at: Timestamp | null;
}

/** R22: the counts of the tasks under one parent of branches, kept by a trigger on campaign_tasks (read by progress). */
export interface CampaignRollupsTable {
  campaign_id: string;
  parent_path: string;
  total: number;
  evaluated: number;
  confirmed: number;
  registered: number;
  done: number;
  in_progress: number;
  overdue: number;
  unfinished: number;
  members_total: number;
  members_evaluated: number;
  members_registered: number;
}

/** R22: a member's grade in the education evaluation. */
export interface CampaignGradesTable {
  campaign_id: string;
  member_id: string;
  org_id: string;
  grade: Grade;
  recorded_by: string;
  recorded_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** R22: a member's annual registration: 准予注册, 暂缓注册 (reason, follow-up date) or 不予注册 (reason; a deletion). */
export interface CampaignRegistrationsTable {
  campaign_id: string;
  member_id: string;
  org_id: string;
  decision: RegistrationDecision;
  reason: string | null;
  follow_up_on: string | null;
  /** 不予注册: the deletion process it started (R14). */
  deletion_process_id: string | null;
  recorded_by: string;
  recorded_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** R22: a cadre (R8 registry) registered in the campaign (团干部注册). */
export interface CampaignCadresTable {
  campaign_id: string;
  cadre_id: string;
  org_id: string;
  org_path: string;
  registered_by: string;
  registered_at: CreatedAt;
}

/** R22: the province extended a phase for one city, with a reason. */
export interface CampaignExtensionsTable {
  id: string;
  campaign_id: string;
  org_id: string;
  phase: 'evaluation' | 'registration';
  until: string;
  reason: string;
  extended_by: string;
  created_at: CreatedAt;
}

/** R22/R25: a deferred registration settled because its member left (migration 0012): the follow-up counts it settled. */
export interface CampaignSettlementsTable {
  campaign_id: string;
  member_id: string;
  org_id: string;
  reason: string;
  settled_at: CreatedAt;
}

/** R22: the deciding committee's consent to re-check-in a member deleted after 不予注册 (migration 0012). */
export interface RegistrationRefusalConsentsTable {
  deletion_process_id: string;
  campaign_id: string;
  member_id: string;
  org_id: string;
  reason: string;
  consented_by: string;
  consented_at: CreatedAt;
}

// The tables of migration 0012, merged into Database (kept in this one block).
export interface Database {
  campaign_settlements: CampaignSettlementsTable;
  registration_refusal_consents: RegistrationRefusalConsentsTable;
}

/** R23: a reward (表彰) or punishment (处分) of a member; revoked punishments stay, with the revocation. */
export interface AwardsTable {
  id: string;
  member_id: string;
  org_id: string;
  org_path: string;
  type: 'reward' | 'punishment';
  kind: string;
  level: string;
  decided_on: string;
  deciding_org: string;
  document_number: string;
  /** The R18 disciplinary case that recorded it (one entry per case). */
  source_process_id: string | null;
  recorded_by: string;
  recorded_at: CreatedAt;
  revoked_at: Timestamp | null;
  revoked_by: string | null;
  revoke_reason: string | null;
}

export interface Database {
  campaigns: CampaignsTable;
  campaign_tasks: CampaignTasksTable;
  campaign_rollups: CampaignRollupsTable;
  campaign_grades: CampaignGradesTable;
  campaign_registrations: CampaignRegistrationsTable;
  campaign_cadres: CampaignCadresTable;
  campaign_extensions: CampaignExtensionsTable;
  awards: AwardsTable;
  member_changes: MemberChangesTable;
  join_date_windows: JoinDateWindowsTable;
  cadres: CadresTable;
  number_ranges: NumberRangesTable;
  number_voids: NumberVoidsTable;
  age_out_exceptions: AgeOutExceptionsTable;
  application_forms: ApplicationFormsTable;
  health_notices: HealthNoticesTable;
  deletions: DeletionsTable;
  dues_payments: DuesPaymentsTable;
  discipline_materials: DisciplineMaterialsTable;
  abuse_flags: AbuseFlagsTable;
  transfers: TransfersTable;
  transfer_keys: TransferKeysTable;
  peer_messages: PeerMessagesTable;
  data_problems: DataProblemsTable;
  workflow_problems: WorkflowProblemsTable;
  organizations: OrganizationsTable;
  members: MembersTable;
  actors: ActorsTable;
  events: EventsTable;
  graduate_base_corrections: GraduateBaseCorrectionsTable;
  processes: ProcessesTable;
  notifications: NotificationsTable;
  idempotent_requests: IdempotentRequestsTable;
}

export type Organization = Selectable<OrganizationsTable>;
export type Member = Selectable<MembersTable>;
export type Actor = Selectable<ActorsTable>;
export type ProcessRow = Selectable<ProcessesTable>;
export type NewEvent = Omit<Insertable<EventsTable>, 'payload'> & { payload?: Record<string, unknown> };
