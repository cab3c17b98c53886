// What every feature's contract shares: the problem answer, the id params, the personal-data tags. Only zod and
// domain/ (pure), so the console can read the types (`import type`) and the server the schemas.
import { z } from 'zod';
import { OrgId } from '../domain/orgs';
import { PII_EXTENSION, type PiiKind } from '../domain/privacy';

export const ProblemResponse = z.object({
  status: z.number().int().optional(),
  kind: z.string().optional(),
  error: z.string(),
  message: z.string(),
  rule: z.string().optional(),
  fields: z.array(z.object({ field: z.string(), message: z.string(), rule: z.string().optional() })).optional(),
});
export type ProblemResponse = z.infer<typeof ProblemResponse>;

export const errorResponses = {
  400: ProblemResponse,
  401: ProblemResponse,
  403: ProblemResponse,
  404: ProblemResponse,
  409: ProblemResponse,
  422: ProblemResponse,
  503: ProblemResponse,
};

/**
 * A response string holding personal data of `kind`: tagged in the OpenAPI document (`x-pii`), filled only through
 * domain/privacy.ts (whole for the person and their organization, masked above; test/privacy.test.ts checks).
 */
export const PiiString = (kind: PiiKind) => z.string().meta({ [PII_EXTENSION]: kind });

/** A response value that is personal data when its sibling property (a change's `field`) names a kind of it. */
export const PiiNamedBy = (sibling: string) => z.unknown().meta({ [PII_EXTENSION]: { namedBy: sibling } });

export const IdParams = z.object({ id: z.string().min(1).max(100) });
export const UuidParams = z.object({ id: z.uuid() });

/** A page of a cursor-paged list. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A request that may be sent again under the same key answers what the first one did (api/idempotency.ts). */
export const IdempotencyHeaders = z.object({ 'idempotency-key': z.string().min(1).max(200).optional() });

/** A statistic or list about an organization: the one asked for, else the caller's own. */
export const OrgQuery = z.object({ orgId: OrgId.optional() });
export type OrgQuery = z.input<typeof OrgQuery>;
