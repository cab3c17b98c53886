// Response shapes and small helpers shared by the routes.
import { z } from 'zod';
import { DomainError } from '../domain/errors';

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
