// R9-R12: transfers between organizations, their keys and peer messages, and graduates' cohort corrections.
import type { ColumnType } from 'kysely';
import type { CreatedAt, Json, Timestamp } from './columns';

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

/** This feature's part of `Database` (db/schema.ts). */
export interface TransferTables {
  graduate_base_corrections: GraduateBaseCorrectionsTable;
  transfers: TransfersTable;
  transfer_keys: TransferKeysTable;
  peer_messages: PeerMessagesTable;
}
