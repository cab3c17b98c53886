// Small helpers shared by the routes (the shapes they answer with are in contract/).
import { z } from 'zod';
import { DomainError } from '../domain/errors';
import { authorize, type Action, type Principal } from '../domain/authz';
import type { Db } from '../db';
import { MS_EXCEL_TYPE, XLSX_TYPE } from '../domain/tables';
import type { Api } from './deps';

// The contract's shared pieces (contract/common.ts), for the routes that import them from here.
export { errorResponses, IdParams, PiiNamedBy, PiiString, ProblemResponse, UuidParams } from '../contract/common';

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
