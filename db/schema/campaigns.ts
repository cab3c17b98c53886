// R22: the yearly campaign, its branch tasks, their rollups and what a branch records in it.
import type { ColumnType } from 'kysely';
import type { CampaignPhases, CampaignTaskStep, Grade, RegistrationDecision } from '../../domain/campaigns';
import type { CreatedAt, Json, Timestamp } from './columns';

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

/** This feature's part of `Database` (db/schema.ts). */
export interface CampaignTables {
  campaigns: CampaignsTable;
  campaign_tasks: CampaignTasksTable;
  campaign_rollups: CampaignRollupsTable;
  campaign_grades: CampaignGradesTable;
  campaign_registrations: CampaignRegistrationsTable;
  campaign_cadres: CampaignCadresTable;
  campaign_extensions: CampaignExtensionsTable;
  campaign_settlements: CampaignSettlementsTable;
  registration_refusal_consents: RegistrationRefusalConsentsTable;
}
