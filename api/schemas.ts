// Response shapes and small helpers shared by the routes.
import { z } from 'zod';
import { DomainError } from '../domain/errors';
import { authorize, type Action, type Principal } from '../domain/authz';
import type { Db } from '../db';

export const ProblemResponse = z.object({
  error: z.string(),
  message: z.string(),
  rule: z.string().optional(),
  fields: z.array(z.object({ field: z.string(), message: z.string(), rule: z.string().optional() })).optional(),
});

export const errorResponses = {
  400: ProblemResponse,
  401: ProblemResponse,
  403: ProblemResponse,
  404: ProblemResponse,
  409: ProblemResponse,
  422: ProblemResponse,
  503: ProblemResponse,
};

export const IdParams = z.object({ id: z.string().min(1).max(100) });
export const UuidParams = z.object({ id: z.uuid() });

export function iso(d: Date | string | null): string | null {
  if (d === null) return null;
  return typeof d === 'string' ? new Date(d).toISOString() : d.toISOString();
}

export function notFound(what: string): never {
  throw DomainError.notFound(`${what} not found`);
}

/**
 * The organization a statistics request is about (the one asked for, else the caller's own), checked against
 * the action: 403 without one, 404 when unknown.
 */
export async function statisticsOrg(db: Db, p: Principal, orgId: string | undefined, action: Action): Promise<{ id: string; path: string }> {
  const id = orgId ?? p.orgId;
  if (!id) throw DomainError.forbidden('statistics are for the admins of an organization');
  const org = await db.selectFrom('organizations').select(['id', 'path']).where('id', '=', id).executeTakeFirst();
  if (!org) notFound('organization');
  authorize(p, action, { orgPath: org.path });
  return org;
}
