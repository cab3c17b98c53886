// The tables every feature reads: organizations, members, actors, the event log, the processes' read model,
// notifications, idempotency and the problems recorded for people to look at.
import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt, Json, Timestamp } from './columns';

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

export interface AbuseFlagsTable {
  id: Generated<string>;
  org_id: string;
  org_path: string;
  window_start: Timestamp;
  deletions: number;
  graduates: number;
  flagged_at: CreatedAt;
}

/** This feature's part of `Database` (db/schema.ts). */
export interface CoreTables {
  organizations: OrganizationsTable;
  members: MembersTable;
  actors: ActorsTable;
  events: EventsTable;
  processes: ProcessesTable;
  notifications: NotificationsTable;
  idempotent_requests: IdempotentRequestsTable;
  workflow_problems: WorkflowProblemsTable;
  data_problems: DataProblemsTable;
  abuse_flags: AbuseFlagsTable;
}
