// Files kept whole, as sent (R18 disciplinary materials, R24 application forms): the bytes are the request body,
// taken for a few declared content types up to a size limit, checked, and stored with their SHA-256.
// (Tables read row by row, CSV and .xlsx, are `acceptUploads` in api/schemas.ts.)
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../domain/errors';
import { textProblem } from '../domain/text';
import type { Api } from './deps';

/** How a file of a type begins ("magic bytes"): what the type promises and a scanner writes. */
const SIGNATURES: Record<string, Buffer> = {
  'application/pdf': Buffer.from('%PDF-'),
  'image/png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  'image/jpeg': Buffer.from([0xff, 0xd8, 0xff]),
};

/** What a route takes as a file. */
export interface FilePolicy {
  /** The content types taken; any other is refused by Fastify with 415 before the handler. */
  types: readonly string[];
  maxBytes: number;
  /** The bytes must begin as their declared type's do (`SIGNATURES`); a refusal names `rule`. */
  checkSignature?: { rule: string };
}

/** A file as received: its bytes, its declared type (without parameters), size and SHA-256 (hex). */
export interface ReceivedFile {
  content: Buffer;
  contentType: string;
  size: number;
  sha256: string;
}

/** The body schema of a route taking a file (the parsers `acceptFiles` registers hand over a Buffer). */
export function fileBody(description: string) {
  return z.custom<Buffer>((v) => Buffer.isBuffer(v), description);
}

/** Takes the policy's types as bytes in a plugin (parsers are scoped per plugin), up to its size limit (else 413). */
export function acceptFiles(app: Api, policy: FilePolicy): void {
  for (const type of policy.types) {
    if (!app.hasContentTypeParser(type))
      app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: policy.maxBytes }, (_req, body, done) => done(null, body));
  }
}

/** The media type of a content-type header, without its parameters, in lower case. */
function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The file of the request: 400 without bytes, 422 (the policy's rule) when they do not begin as their type's do. */
export function receivedFile(req: FastifyRequest, policy: FilePolicy): ReceivedFile {
  const body = req.body as unknown;
  const contentType = mediaType(req.headers['content-type']);
  if (!Buffer.isBuffer(body) || body.length === 0 || !policy.types.includes(contentType)) {
    throw new DomainError({
      kind: 'invalid',
      message: 'the body must be the file itself',
      fields: [{ field: 'body', message: `send the bytes with a content type among ${policy.types.join(', ')}` }],
    });
  }
  const signature = SIGNATURES[contentType];
  if (policy.checkSignature && signature && !body.subarray(0, signature.length).equals(signature)) {
    const { rule } = policy.checkSignature;
    throw DomainError.rule(rule, `the file is not a ${contentType} file: its first bytes are not those of that type`, [
      { field: 'body', message: `the content does not match the declared content type ${contentType}`, rule },
    ]);
  }
  return { content: body, contentType, size: body.length, sha256: createHash('sha256').update(body).digest('hex') };
}

/**
 * A file name sent URL-encoded (UTF-8) in a header, decoded: one line, at most `max` characters; undefined when
 * absent. A bad encoding or a control character (also once decoded, e.g. %00) is a 400 naming the header.
 */
export function decodedFilename(raw: string | undefined, header: string, max = 200): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const refuse = (message: string): never => {
    throw new DomainError({ kind: 'invalid', message: `invalid ${header}: ${message}`, fields: [{ field: `headers.${header}`, message }] });
  };
  let name = '';
  try {
    name = decodeURIComponent(raw).trim();
  } catch {
    refuse('not URL-encoded UTF-8');
  }
  const problem = textProblem(name);
  if (problem) refuse(problem);
  if (name.length > max) refuse(`at most ${max} characters`);
  return name || undefined;
}
