import { z } from 'zod';
import type { FieldProblem } from './errors';
import { creditCodeProblem } from './identifiers';
import { singleLine } from './text';

export const OrgKind = z.enum(['committee', 'general_branch', 'branch']);
export type OrgKind = z.infer<typeof OrgKind>;

export const SpecialKind = z.enum(['none', 'floating', 'temporary_civil_servant', 'graduate']);
export type SpecialKind = z.infer<typeof SpecialKind>;

/** Organization codes are short and PII-free; they are used in paths, workflow search attributes and logs. */
export const OrgId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/, 'letters, digits and "-", at most 63, starting with a letter or digit');

export const Phone = z.string().regex(/^(1\d{10}|0\d{2,3}-?\d{7,8})$/, 'a mobile number (11 digits) or a landline with area code');

export const CreditCode = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .superRefine((code, ctx) => {
    const problem = creditCodeProblem(code);
    if (problem)
      ctx.addIssue({
        code: 'custom',
        message: `R20: not a valid unified social credit code (GB 32100-2015: ${problem === 'format' ? '18 characters from 0-9 A-Y without I O S V Z' : 'check character does not match'})`,
      });
  });

/** 办学性质: for schools, public or private (and the forms in between). */
export const SchoolType = z.enum(['public', 'private', 'cooperative', 'other']);
export type SchoolType = z.infer<typeof SchoolType>;

/**
 * R20: an import row. A field the row omits keeps its stored value (a new organization gets none, `specialKind`
 * `none`); only an explicit `null` clears it. The checks that need the whole organization (a special kind on a
 * branch only, a graduation date on a graduate branch only) run on the merged data: `orgDataProblems`.
 */
export const OrgInput = z
  .object({
    id: OrgId,
    parentId: OrgId.nullable(),
    name: singleLine(100),
    kind: OrgKind,
    specialKind: SpecialKind.optional(),
    contactPhone: Phone.nullable().optional(),
    creditCode: CreditCode.nullable().optional(),
    industryCategory: singleLine(100).nullable().optional(),
    schoolType: SchoolType.nullable().optional(),
    graduationDate: z.iso.date().nullable().optional(),
  })
  .superRefine((o, ctx) => {
    if (o.specialKind !== undefined && o.specialKind !== 'none' && o.kind !== 'branch')
      ctx.addIssue({ code: 'custom', path: ['specialKind'], message: 'only a branch can be a special branch' });
    if (o.graduationDate && o.specialKind !== undefined && o.specialKind !== 'graduate')
      ctx.addIssue({ code: 'custom', path: ['graduationDate'], message: 'only graduate branches have a graduation date' });
  });
export type OrgInput = z.infer<typeof OrgInput>;

/** R20: the data of an organization that can change (its id, parent and kind are its place in the tree: they cannot). */
export interface OrgData {
  name: string;
  specialKind: SpecialKind;
  contactPhone: string | null;
  creditCode: string | null;
  industryCategory: string | null;
  schoolType: SchoolType | null;
  graduationDate: string | null;
}
export type OrgField = keyof OrgData;
export const ORG_FIELDS: readonly OrgField[] = ['name', 'specialKind', 'contactPhone', 'creditCode', 'industryCategory', 'schoolType', 'graduationDate'];
/** The organization's own contact data: what it enters itself (R13 tells it when its phone is missing). */
export const CONTACT_FIELDS: readonly OrgField[] = ['contactPhone'];

/** A change: a field left out (undefined) keeps its value; `null` clears it. */
export type OrgChanges = { [F in OrgField]?: OrgData[F] };

/**
 * PATCH /api/organizations/{id}: the data fields only. Unknown keys (parentId, kind, id) are refused: a node's
 * place in the tree is not edited. The credit code is checked by the update (GB 32100: a 422 naming the field).
 */
export const OrgPatch = z.strictObject({
  name: singleLine(100).optional(),
  specialKind: SpecialKind.optional(),
  contactPhone: Phone.nullable().optional(),
  creditCode: singleLine(40).nullable().optional(),
  industryCategory: singleLine(100).nullable().optional(),
  schoolType: SchoolType.nullable().optional(),
  graduationDate: z.iso.date().nullable().optional(),
});

/** Trimmed and upper-cased, as stored. */
export function normalizeCreditCode(code: string): string {
  return code.trim().toUpperCase();
}

/** R20: what is wrong with an organization's data as it would be stored, each naming its field (`at` + name). */
export function orgDataProblems(kind: OrgKind, d: OrgData, at = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const problem = d.creditCode === null ? undefined : creditCodeProblem(d.creditCode);
  if (problem)
    problems.push({
      field: `${at}creditCode`,
      rule: 'R20',
      message: `not a valid unified social credit code (GB 32100-2015: ${problem === 'format' ? '18 characters from 0-9 A-Y without I O S V Z' : 'check character does not match'})`,
    });
  if (d.specialKind !== 'none' && kind !== 'branch')
    problems.push({ field: `${at}specialKind`, rule: 'R20', message: 'only a branch can be a special branch' });
  if (d.graduationDate && d.specialKind !== 'graduate')
    problems.push({ field: `${at}graduationDate`, rule: 'R20', message: 'only graduate branches have a graduation date' });
  return problems;
}

export const OrgImport = z.object({ organizations: z.array(OrgInput).min(1).max(100_000) });

/** Materialized path: ancestor ids joined by "/", with a trailing "/" so a prefix match is a subtree. */
export function childPath(parentPath: string | null, id: string): string {
  return `${parentPath ?? ''}${id}/`;
}

export function pathIds(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/**
 * R3/R18: the nearest committee above the organization at `path`: its deepest ancestor that is a committee (a general
 * branch, 团总支, in between is passed over); undefined when none is. R3's escalation, R18's approval of a sanction and
 * a campaign's reviewer (R26) all go to it (db/queries/organizations.ts reads the kinds).
 */
export function nearestCommitteeOf(path: string, isCommittee: (id: string) => boolean): string | undefined {
  return pathIds(path).slice(0, -1).reverse().find(isCommittee);
}

/**
 * R14: the city-level committee (地级以上市团委, 省有关单位团委, 省直管高校团委) above the organization at `path`: the
 * province root's child on the path. An organization right under the province has none: the province acts for it.
 */
export function cityLevelOf(path: string): string {
  const ids = pathIds(path);
  return ids.length > 2 ? ids[1]! : ids[0]!;
}

/**
 * Orders an import so that parents come before children, and reports ids whose parent is neither
 * in the import nor among `existing`. Cycles are reported as unknown parents.
 */
export function orderForImport(orgs: OrgInput[], existing: ReadonlySet<string>): { ordered: OrgInput[]; problems: { index: number; message: string }[] } {
  const byId = new Map<string, number>();
  const problems: { index: number; message: string }[] = [];
  orgs.forEach((o, i) => {
    if (byId.has(o.id)) problems.push({ index: i, message: `duplicate id ${o.id} in the import` });
    byId.set(o.id, i);
  });
  const placed = new Set<string>(existing);
  const ordered: OrgInput[] = [];
  let pending = orgs.map((o, i) => ({ o, i }));
  while (pending.length > 0) {
    const next: typeof pending = [];
    for (const p of pending) {
      if (p.o.parentId === null || placed.has(p.o.parentId)) {
        ordered.push(p.o);
        placed.add(p.o.id);
      } else next.push(p);
    }
    if (next.length === pending.length) {
      for (const p of next) problems.push({ index: p.i, message: `parent ${p.o.parentId} is unknown (or forms a cycle)` });
      break;
    }
    pending = next;
  }
  return { ordered, problems };
}

/** An organization as a workflow carries it: no names, only ids and the path. */
export interface OrgRef {
  id: string;
  path: string;
  parentId: string | null;
  kind: 'committee' | 'general_branch' | 'branch';
}
