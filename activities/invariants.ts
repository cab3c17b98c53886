// R25, the daily invariant check (workflows/invariant-check.ts): one keyset page of one invariant's violations
// (db/queries/invariants.ts), each told to its province as a data problem (db/queries/data-problems.ts: one open
// problem per kind, so a violation seen again only counts again); the problems of the page's key range that are no
// longer found are resolved, so a violation that comes back is told again. The counts go to a Prometheus gauge.
import { z } from 'zod';
import { mapLimit } from '../domain/concurrency';
import {
  INVARIANTS,
  INVARIANT_RULE,
  invariantKindPrefix,
  invariantProblemKind,
  violationMessage,
  type InvariantCounts,
  type Violation,
} from '../domain/invariants';
import { officeDay } from '../domain/office-day';
import { invariantViolations, openProblemKinds, resolveGoneProblems } from '../db/queries/invariants';
import { reportDataProblem } from '../db/queries/data-problems';
import { workerMetrics } from '../runtime/metrics';
import type { ActivityDeps } from './deps';

/** Violations per page: a province in disorder still travels in small activity results. */
export const INVARIANT_PAGE = 500;

/** A scope is a province's path (one segment): its problems are told to it, and only its problems are cleared. */
const ProvincePath = z.string().regex(/^[^/]+\/$/, 'a province path, such as "gd/"');

export const InvariantPageInput = z.object({
  invariant: z.enum(INVARIANTS),
  after: z.string().nullable(),
  orgPath: ProvincePath.optional(),
  limit: z.number().int().min(1).max(5000).optional(),
});
export type InvariantPageInput = z.infer<typeof InvariantPageInput>;

export interface InvariantPage {
  /** Violations found on this page. */
  found: number;
  /** Of them, told for the first time (a new data problem and its notifications). */
  reported: number;
  /** Problems of this key range no longer found, resolved. */
  resolved: number;
  /** The last key of a full page: pass it as `after`; null at the end. */
  next: string | null;
}

const Counts = z.object(Object.fromEntries(INVARIANTS.map((i) => [i, z.number().int().min(0)])) as Record<keyof InvariantCounts, z.ZodNumber>);

export function createInvariantActivities(deps: Pick<ActivityDeps, 'db'>) {
  const { db } = deps;
  return {
    /** R25: one page of one invariant, reported and reconciled with the open problems (see the file's head). */
    async checkInvariantPage(raw: InvariantPageInput): Promise<InvariantPage> {
      const input = InvariantPageInput.parse(raw);
      const limit = input.limit ?? INVARIANT_PAGE;
      const rows = await invariantViolations(db, input.invariant, {
        ...(input.orgPath !== undefined ? { scopePath: input.orgPath } : {}),
        after: input.after,
        limit,
        today: officeDay(),
      });
      const violations: Violation[] = rows.flatMap((r) =>
        r.province_id === null ? [] : [{ invariant: input.invariant, key: r.key, provinceId: r.province_id, detail: r.detail }],
      );
      const kinds = violations.map((v) => invariantProblemKind(v.invariant, v.key));
      const told = await openProblemKinds(db, kinds);
      // reportDataProblem is idempotent per open kind: a retried page counts an occurrence again, never notifies twice.
      await mapLimit(violations, 8, (v) =>
        reportDataProblem(db, { orgId: v.provinceId, rule: INVARIANT_RULE, kind: invariantProblemKind(v.invariant, v.key), message: violationMessage(v) }),
      );
      const next = rows.length === limit ? rows.at(-1)!.key : null;
      const resolved = await resolveGoneProblems(db, {
        prefix: invariantKindPrefix(input.invariant),
        after: input.after,
        last: next,
        found: kinds,
        ...(input.orgPath !== undefined ? { scopePath: input.orgPath } : {}),
      });
      return { found: violations.length, reported: kinds.filter((k) => !told.has(k)).length, resolved, next };
    },

    /** R25: the gauge `tuanwu_invariant_violations{invariant}`, set to what the check just found. */
    async setInvariantGauge(raw: InvariantCounts): Promise<void> {
      const counts = Counts.parse(raw);
      for (const invariant of INVARIANTS) workerMetrics().invariantViolations.set({ invariant }, counts[invariant]);
    },
  };
}

export type InvariantActivities = ReturnType<typeof createInvariantActivities>;
