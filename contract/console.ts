// What the console asks on every page: who the caller is, and the open and overdue processes of a subtree.
import { z } from 'zod';
import { OrgId } from '../domain/orgs';
import { ProcessKind } from '../domain/processes';

export const OrgView = z.object({ id: z.string(), name: z.string(), kind: z.string(), path: z.string(), parentId: z.string().nullable() });
export type OrgSummary = z.infer<typeof OrgView>;

/** GET /me: the caller as the token says, with their organization. */
export const Me = z.object({ actorId: z.string(), role: z.string(), label: z.string(), memberId: z.string().nullable(), org: OrgView.nullable() });
export type Me = z.infer<typeof Me>;

export const Counts = z.object({ open: z.number(), overdue: z.number() });

export const CountsQuery = z.object({ orgId: OrgId.optional(), kind: ProcessKind.optional() });
export type CountsQuery = z.input<typeof CountsQuery>;

/** GET /processes/counts: at the organization itself and in each direct child's subtree. */
export const ProcessCounts = z.object({
  org: z.object({ id: z.string(), name: z.string(), kind: z.string() }),
  self: Counts,
  children: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string() }).extend(Counts.shape)),
});
export type ProcessCounts = z.infer<typeof ProcessCounts>;
