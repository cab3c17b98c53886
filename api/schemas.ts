// Response shapes and small helpers shared by the routes.
import { z } from 'zod';
import { DomainError } from '../domain/errors';
import { authorize, type Action, type Principal } from '../domain/authz';
import type { Db } from '../db';
import { MS_EXCEL_TYPE, XLSX_TYPE } from '../domain/tables';
import { PII_EXTENSION, type PiiKind } from '../domain/privacy';
import type { Api } from './deps';

export const ProblemResponse = z.object({
  status: z.number().int().optional(),
  kind: z.string().optional(),
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

/**
 * A response string holding personal data of `kind`: tagged in the OpenAPI document (`x-pii`), filled only through
 * domain/privacy.ts (whole for the person and their organization, masked above; test/privacy.test.ts checks).
 */
export const PiiString = (kind: PiiKind) => z.string().meta({ [PII_EXTENSION]: kind });

/** A response value that is personal data when its sibling property (a change's `field`) names a kind of it. */
export const PiiNamedBy = (sibling: string) => z.unknown().meta({ [PII_EXTENSION]: { namedBy: sibling } });

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

/** The types a file is uploaded as: CSV, or an .xlsx workbook (and what Windows browsers call either). */
export const UPLOAD_TYPES = ['text/csv', XLSX_TYPE, MS_EXCEL_TYPE];

/** An uploaded file, as the parsers `acceptUploads` registers hand it over; read by domain/tables.ts. */
export const UploadedFile = z.custom<Buffer>((v) => Buffer.isBuffer(v), 'a file: CSV (text/csv) or an .xlsx workbook');

/**
 * Takes uploads as bytes in a plugin (parsers are scoped per plugin): the route decodes and reads them
 * (domain/tables.ts: CSV in UTF-8 or GB18030/GBK, or .xlsx), so the bytes decide, not only the declared type.
 */
export function acceptUploads(app: Api, bodyLimit: number): void {
  for (const type of UPLOAD_TYPES) {
    if (!app.hasContentTypeParser(type)) app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
  }
}
