// Keyset paging: a page ends at a key (say the last row's time and id); the client gets the key back as an
// opaque cursor (base64url JSON) and sends it with the next request, where it is checked before SQL sees it.
import type { z } from 'zod';
import { DomainError } from '../domain/errors';

export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The key in a cursor from a previous page; anything else is refused (400) on `field`. */
export function decodeCursor<T>(schema: z.ZodType<T>, cursor: string, field = 'query.cursor'): T {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString()));
    if (parsed.success) return parsed.data;
  } catch {
    /* not JSON: refused below */
  }
  throw new DomainError({ kind: 'invalid', message: 'invalid cursor', fields: [{ field, message: 'not a cursor from a previous page' }] });
}
