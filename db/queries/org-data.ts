// R20: the one path that writes an organization's data, for the import and for PATCH /api/organizations/{id}.
// A field left out keeps its value, only an explicit null clears it; every change is an `org.updated` event
// with the old and the new value, by the actor, in the same transaction; entering a contact phone resolves the
// R13 data problem. Callers authorize first (org.import, org.update-contact, org.update).
import { randomUUID } from 'node:crypto';
import type { Tx } from '../index';
import type { OrganizationsTable } from '../schema';
import { DomainError } from '../../domain/errors';
import { normalizeCreditCode, ORG_FIELDS, orgDataProblems, type OrgChanges, type OrgData, type OrgField, type OrgKind } from '../../domain/orgs';
import { MISSING_PHONE, resolveDataProblems } from './data-problems';

/** The data columns of a row, as stored. */
function columnsOf(d: OrgData) {
  return {
    name: d.name,
    special_kind: d.specialKind,
    contact_phone: d.contactPhone,
    credit_code: d.creditCode,
    industry_category: d.industryCategory,
    school_type: d.schoolType,
    graduation_date: d.graduationDate,
  };
}

type OrgRow = Pick<
  OrganizationsTable,
  'id' | 'kind' | 'name' | 'special_kind' | 'contact_phone' | 'credit_code' | 'industry_category' | 'school_type' | 'graduation_date'
>;

export function orgDataOf(row: OrgRow): OrgData {
  return {
    name: row.name,
    specialKind: row.special_kind,
    contactPhone: row.contact_phone,
    creditCode: row.credit_code,
    industryCategory: row.industry_category,
    schoolType: row.school_type,
    graduationDate: row.graduation_date,
  };
}

function normalized(changes: OrgChanges): OrgChanges {
  return typeof changes.creditCode === 'string' ? { ...changes, creditCode: normalizeCreditCode(changes.creditCode) } : changes;
}

function refuseIfInvalid(kind: OrgKind, data: OrgData, at: string): void {
  const problems = orgDataProblems(kind, data, at);
  if (problems.length > 0) throw DomainError.rule('R20', problems.map((p) => p.message).join('; '), problems);
}

export interface OrgUpdate {
  data: OrgData;
  /** The fields whose value changed (empty: nothing changed and nothing was recorded). */
  changed: OrgField[];
}

/**
 * Applies `changes` to an existing organization, in `tx`: the row is locked, fields left out keep their value,
 * the merged data is checked (R20: credit code, special kind, graduation date; a 422 naming `at` + the field),
 * and each changed field is recorded with its old and new value in one `org.updated` event by `actorId`.
 */
export async function updateOrganization(tx: Tx, orgId: string, changes: OrgChanges, actorId: string, at = 'body.'): Promise<OrgUpdate> {
  const row = await tx.selectFrom('organizations').selectAll().where('id', '=', orgId).forUpdate().executeTakeFirst();
  if (!row) throw DomainError.notFound('organization not found');
  const before = orgDataOf(row);
  const wanted = normalized(changes);
  const after: OrgData = { ...before };
  const diff: Partial<Record<OrgField, { old: unknown; new: unknown }>> = {};
  for (const f of ORG_FIELDS) {
    const v = wanted[f];
    if (v === undefined || v === before[f]) continue;
    (after as unknown as Record<OrgField, unknown>)[f] = v;
    diff[f] = { old: before[f], new: v };
  }
  const changed = ORG_FIELDS.filter((f) => diff[f] !== undefined);
  if (changed.length > 0) {
    refuseIfInvalid(row.kind, after, at);
    await tx.updateTable('organizations').set(columnsOf(after)).where('id', '=', orgId).execute();
    await tx
      .insertInto('events')
      .values({
        idempotency_key: `org:${orgId}:updated:${randomUUID()}`,
        org_id: orgId,
        type: 'org.updated',
        actor_id: actorId,
        payload: JSON.stringify({ changes: diff }),
      })
      .execute();
  }
  // R13: a contact phone entered (or confirmed) fixes the organization's missing-phone data problem.
  if (wanted.contactPhone) await resolveDataProblems(tx, [orgId], MISSING_PHONE.kind);
  return { data: after, changed };
}

/**
 * Creates an organization at `path` (its place in the tree, fixed from then on) with `changes` as its data:
 * fields left out are empty, the special kind `none`. One `org.created` event with the values.
 * Answers null when it already exists (created meanwhile): the caller updates it instead.
 */
export async function createOrganization(
  tx: Tx,
  org: { id: string; parentId: string | null; path: string; kind: OrgKind; name: string },
  changes: OrgChanges,
  actorId: string,
  at = 'body.',
): Promise<OrgData | null> {
  const wanted = normalized(changes);
  const data: OrgData = {
    name: wanted.name ?? org.name,
    specialKind: wanted.specialKind ?? 'none',
    contactPhone: wanted.contactPhone ?? null,
    creditCode: wanted.creditCode ?? null,
    industryCategory: wanted.industryCategory ?? null,
    schoolType: wanted.schoolType ?? null,
    graduationDate: wanted.graduationDate ?? null,
  };
  refuseIfInvalid(org.kind, data, at);
  const inserted = await tx
    .insertInto('organizations')
    .values({
      id: org.id,
      parent_id: org.parentId,
      path: org.path,
      depth: org.path.split('/').length - 2,
      kind: org.kind,
      ...columnsOf(data),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return null;
  await tx
    .insertInto('events')
    .values({
      idempotency_key: `org:${org.id}:created`,
      org_id: org.id,
      type: 'org.created',
      actor_id: actorId,
      payload: JSON.stringify({ parentId: org.parentId, kind: org.kind, data }),
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .execute();
  return data;
}
