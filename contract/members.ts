// Members (R4-R6, R23): a record as the reader may see it, its edit, and the member's whole history.
import { z } from 'zod';
import { AwardHistoryFields } from '../domain/awards';
import { HISTORY_CATEGORIES } from '../domain/member-data';
import { MemberPatch } from '../domain/members';
import { PiiNamedBy, PiiString, UuidParams } from './common';

export { MemberPatch, UuidParams as MemberParams };

/** A field's old and new value; personal when `field` names a kind of personal data (phone, address: domain/privacy.ts). */
export const Change = z.object({ field: z.string(), from: PiiNamedBy('field'), to: PiiNamedBy('field') });
export type FieldChange = z.infer<typeof Change>;

export const MemberView = z.object({
  id: z.uuid(),
  name: z.string(),
  idNumber: PiiString('idNumber'),
  /** The reader sees this member's personal data (ID number, phone, address) masked (domain/privacy.ts). */
  idNumberMasked: z.boolean(),
  joinDate: z.string(),
  developmentNumber: z.string().nullable(),
  branchId: z.string().nullable(),
  status: z.string(),
  locked: z.boolean(),
  lockedFields: z.array(z.string()),
  /** Other personal data (R6); phone and address as domain/privacy.ts shows them to the reader. */
  details: z.object({ phone: PiiString('phone').nullish(), address: PiiString('address').nullish() }).catchall(z.unknown()),
  updatedAt: z.string(),
  /** The member's history, newest first: every event about them (processes, edits), without payloads (PII). */
  history: z.array(z.object({ at: z.string(), type: z.string(), orgId: z.string().nullable(), processId: z.string().nullable() })),
  /** R5/R7: values asked for and not yet in force, with the process deciding them. */
  pending: z.array(z.object({ processId: z.uuid(), kind: z.enum(['data', 'join-date']), fields: z.record(z.string(), z.unknown()), submittedAt: z.string() })),
  /** R5: a Party member (中共预备党员 / 中共党员) keeps the league membership (保留团籍): the status stays as it is. */
  partyMember: z.boolean(),
  /** R8/R25: the member's current cadre posts (same ID number; current as db/queries/cadres.ts defines it). */
  cadrePosts: z.array(z.object({ orgId: z.string(), role: z.string(), post: z.string() })),
  /** R19: the branch meeting that admitted the member, and whether the entry came late. */
  meetingDate: z.string().nullable(),
  lateEntry: z.boolean(),
  /** R24: the application form, required for members who joined from 2020 on. */
  applicationForm: z.object({ required: z.boolean(), uploadedAt: z.string().nullable(), sha256: z.string().nullable() }),
});
export type MemberView = z.infer<typeof MemberView>;
/** A change not yet in force (R5 data, R7 join date): the process deciding it and the new values. */
export type PendingChange = MemberView['pending'][number];

export const HistoryItem = z.object({
  id: z.string(),
  at: z.string(),
  type: z.string(),
  category: z.enum(HISTORY_CATEGORIES),
  actorId: z.string().nullable(),
  orgId: z.string().nullable(),
  processId: z.string().nullable(),
  changes: z.array(Change).optional(),
  reason: z.string().optional(),
  /** R23: the entry an `award.recorded` or `award.revoked` event is about. */
  award: AwardHistoryFields.optional(),
});
export type HistoryItem = z.infer<typeof HistoryItem>;

export const HistoryQuery = z.object({
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,17}$/, 'a cursor from a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type HistoryQuery = z.input<typeof HistoryQuery>;

export const HistoryPage = z.object({ items: z.array(HistoryItem), nextCursor: z.string().nullable() });
export type HistoryPage = z.infer<typeof HistoryPage>;
