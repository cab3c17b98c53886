// One privacy policy (issue 20): what a reader sees of a person's personal data, decided by the reader's relation
// to that person. Every route, list, history and export that shows personal data asks `personalView`; the response
// schemas tag those fields (`x-pii`, api/schemas.ts PiiString) and test/privacy.test.ts walks /openapi.json to call
// every route that returns one as each kind of reader.
//
// The rule (README "PII": "lists mask ID numbers; only the member and their branch read them whole"; DOMAIN.md:
// identifiers "shown masked in lists, never logged in full"), as the member record, its history and the roster
// report already did:
// - the person themself (a member's own account) reads their data whole;
// - the organization that holds the person reads it whole: a member's branch (its secretary), and for a cadre the
//   organization where the post is held (R8: it enters its own cadres);
// - every level above (committees up to the province) reads it masked, in records, lists, histories and exports
//   alike, whether or not it may edit the organization (R20's direct superior too);
// - anyone else is refused by domain/authz.ts first; were they to get here, they would read it masked;
// - logs never carry it whole (domain/identifiers.ts redactIdNumbers, for everyone).
// Personal fields: the ID number (region and check character kept), the phone (first 3 and last 4 digits), the
// address (first 3 characters), the birth date read from the ID number (hidden). Names are not masked here.
import { relationOf, type Principal } from './authz';
import { maskIdNumber, redactIdNumbers } from './identifiers';

/** The kinds of personal data the policy covers; the names are also the profile fields that hold them. */
export const PII_KINDS = ['idNumber', 'phone', 'address', 'birthDate'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

/** The OpenAPI extension that tags a response field holding personal data: its kind, or the sibling naming it. */
export const PII_EXTENSION = 'x-pii';

export function isPiiKind(field: unknown): field is PiiKind {
  return typeof field === 'string' && (PII_KINDS as readonly string[]).includes(field);
}

/** How a reader relates to the person whose data it is. */
export type PersonRelation = 'self' | 'holder' | 'above' | 'other';

/** Whose data: the organization holding the person (a member's branch, a cadre's organization) and the member record, if any. */
export interface Person {
  orgPath: string;
  memberId?: string | null;
}

/** Who reads the data whole: the person and the organization that holds them; never the levels above. */
export const READS_WHOLE: Record<PersonRelation, boolean> = { self: true, holder: true, above: false, other: false };

export function relationToPerson(reader: Principal, person: Person): PersonRelation {
  if (reader.role === 'member') return reader.memberId && person.memberId && reader.memberId === person.memberId ? 'self' : 'other';
  if (reader.role === 'system' || !person.orgPath) return 'other';
  const r = relationOf(reader.orgPath, person.orgPath);
  if (r === 'own') return 'holder';
  return r === 'ancestor' ? 'above' : 'other';
}

/** The masked form of each kind (the formats lists, histories and logs have always used). */
const MASKS: Record<PiiKind, (v: string) => string> = {
  idNumber: maskIdNumber,
  phone: (v) => (v.length >= 7 ? `${v.slice(0, 3)}****${v.slice(-4)}` : '****'),
  address: (v) => `${[...v].slice(0, 3).join('')}***`,
  birthDate: () => '****-**-**',
};

/** A value of `kind` masked (an empty string stays empty: there is nothing to hide). */
export function maskPii(kind: PiiKind, v: string): string {
  return v === '' ? v : MASKS[kind](v);
}

/** What one reader sees of one person's data. */
export interface PersonalView {
  readonly relation: PersonRelation;
  /** The reader sees this person's personal data whole. */
  readonly whole: boolean;
  /** A value of `kind` as this reader sees it. */
  show(kind: PiiKind, v: string): string;
  /** A value stored under a field name (a profile field, a change's `field`): masked if the field is personal. */
  field(field: string, v: unknown): unknown;
  /** A record of fields (a member's details): each personal one as this reader sees it. */
  fields(record: Record<string, unknown>): Record<string, unknown>;
  /** Free text about the person (a reason): anything shaped like an ID number masked unless the reader sees it whole. */
  text(s: string): string;
  /**
   * An event's payload about the person (a process's timeline): personal fields by name, a change's values by the
   * field it names (`{ field: 'phone', from, to }`), free text as `text`, all the way down.
   */
  payload(v: unknown): unknown;
}

/** The keys holding a change's values in event payloads (R5/R6: `from`/`to`; older payloads `old`/`new`). */
const CHANGE_VALUES = ['from', 'to', 'old', 'new', 'value'];

export function personalView(reader: Principal, person: Person): PersonalView {
  const relation = relationToPerson(reader, person);
  const whole = READS_WHOLE[relation];
  const show = (kind: PiiKind, v: string) => (whole ? v : maskPii(kind, v));
  const field = (name: string, v: unknown) => (isPiiKind(name) && typeof v === 'string' ? show(name, v) : v);
  const text = (s: string) => (whole ? s : redactIdNumbers(s));
  const payload = (v: unknown): unknown => {
    if (whole) return v;
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(payload);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const named = isPiiKind(o.field) ? o.field : undefined;
    return Object.fromEntries(
      Object.entries(o).map(([k, x]) => [
        k,
        named && CHANGE_VALUES.includes(k) && typeof x === 'string' ? show(named, x) : isPiiKind(k) && typeof x === 'string' ? show(k, x) : payload(x),
      ]),
    );
  };
  return {
    relation,
    whole,
    show,
    field,
    fields: (record) => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, field(k, v)])),
    text,
    payload,
  };
}

/**
 * An export (.xlsx) written from rows the caller sends (the rows it read): the server cannot tell whose data a cell
 * holds, so a reader who is above every member (a committee, the province, the system) gets any cell shaped like an
 * ID number masked; a branch or a member only ever read whole the values the policy gave them whole.
 */
export function exportCell(reader: Principal, v: unknown): unknown {
  if (typeof v !== 'string' || reader.role === 'member' || reader.role === 'branch_secretary') return v;
  return redactIdNumbers(v);
}
