// The organization tree (R20, R21): import, edit, read.
import { z } from 'zod';
import { OrgInput, OrgPatch, SchoolType } from '../domain/orgs';
import { singleLine } from '../domain/text';

export { OrgPatch };

/**
 * R20: an import row whose credit code is bad is not imported, and the rest is: so the row schema takes any
 * single-line code, and the route checks it row by row (`rejectedRows`). Everything else is OrgInput's.
 */
export const ImportRow = OrgInput.safeExtend({ creditCode: singleLine(40).nullable().optional() });
export type ImportRow = z.infer<typeof ImportRow>;
export const ImportBody = z.object({ organizations: z.array(ImportRow).min(1).max(100_000) });
export type ImportBody = z.infer<typeof ImportBody>;

export const Rejected = z.object({ index: z.number(), id: z.string(), field: z.string(), rule: z.literal('R20'), message: z.string() });
export type Rejected = z.infer<typeof Rejected>;

export const ImportAnswer = z.object({ imported: z.number(), created: z.number(), updated: z.number(), unchanged: z.number(), rejected: z.array(Rejected) });
export type ImportAnswer = z.infer<typeof ImportAnswer>;

export const OrgDataView = z.object({
  name: z.string(),
  specialKind: z.string(),
  contactPhone: z.string().nullable(),
  creditCode: z.string().nullable(),
  industryCategory: z.string().nullable(),
  schoolType: SchoolType.nullable(),
  graduationDate: z.string().nullable(),
});

/** PATCH /organizations/:id: the data as it now is, and which fields changed. */
export const OrgPatched = OrgDataView.extend({ id: z.string(), changed: z.array(z.string()) });
export type OrgPatched = z.infer<typeof OrgPatched>;

/** GET /organizations/:id. */
export const OrganizationView = OrgDataView.extend({
  id: z.string(),
  parentId: z.string().nullable(),
  path: z.string(),
  kind: z.string(),
  members: z.number(),
  hasSecretary: z.boolean(),
  children: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string() })),
});
export type OrganizationView = z.infer<typeof OrganizationView>;
