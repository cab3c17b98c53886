// Bearer tokens: stored as sha256 hashes; the bootstrap admin token comes from the environment.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db';
import type { Principal } from '../domain/authz';
import { DomainError } from '../domain/errors';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return `tw_${randomBytes(24).toString('base64url')}`;
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

// Resolved principals, briefly: saves a query on every request. A member not yet linked to a member record
// is never cached (their first check-in links them), and actors are not edited in place.
const CACHE_MS = 30_000;
const cache = new Map<string, { p: Principal; until: number }>();

export async function principalFromHeader(db: Db, header: string | undefined, adminToken: string | undefined): Promise<Principal> {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!m) throw new DomainError({ kind: 'unauthenticated', message: 'missing bearer token (Authorization: Bearer <token>)' });
  const token = m[1]!;
  if (adminToken && sameSecret(token, adminToken)) {
    return { actorId: 'system', role: 'system', orgId: null, orgPath: null, memberId: null };
  }
  const hash = hashToken(token);
  const hit = cache.get(hash);
  if (hit && hit.until > Date.now()) return hit.p;
  const actor = await db
    .selectFrom('actors')
    .leftJoin('organizations', 'organizations.id', 'actors.org_id')
    .select(['actors.id', 'actors.role', 'actors.org_id', 'actors.member_id', 'organizations.path'])
    .where('actors.token_hash', '=', hash)
    .executeTakeFirst();
  if (!actor) throw new DomainError({ kind: 'unauthenticated', message: 'unknown or revoked token' });
  const p: Principal = { actorId: actor.id, role: actor.role, orgId: actor.org_id, orgPath: actor.path, memberId: actor.member_id };
  if (p.role !== 'member' || p.memberId) {
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, { p, until: Date.now() + CACHE_MS });
  }
  return p;
}
