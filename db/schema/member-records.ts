// What members and organizations accumulate: changes, deletions, dues, files, cadres, numbers, awards, notices.
import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt, Json, Timestamp } from './columns';

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

/** This feature's part of `Database` (db/schema.ts). */
export interface MemberRecordTables {
  deletions: DeletionsTable;
  dues_payments: DuesPaymentsTable;
  discipline_materials: DisciplineMaterialsTable;
  member_changes: MemberChangesTable;
  join_date_windows: JoinDateWindowsTable;
  cadres: CadresTable;
  number_ranges: NumberRangesTable;
  number_voids: NumberVoidsTable;
  age_out_exceptions: AgeOutExceptionsTable;
  application_forms: ApplicationFormsTable;
  health_notices: HealthNoticesTable;
  awards: AwardsTable;
}
