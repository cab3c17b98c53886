// Bearer tokens: stored as sha256 hashes; the bootstrap admin token comes from the environment.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../activities/db';
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

export async function principalFromHeader(db: Db, header: string | undefined, adminToken: string | undefined): Promise<Principal> {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!m) throw new DomainError({ kind: 'unauthenticated', message: 'missing bearer token (Authorization: Bearer <token>)' });
  const token = m[1]!;
  if (adminToken && sameSecret(token, adminToken)) {
    return { actorId: 'system', role: 'system', orgId: null, orgPath: null, memberId: null };
  }
  const actor = await db
    .selectFrom('actors')
    .leftJoin('organizations', 'organizations.id', 'actors.org_id')
    .select(['actors.id', 'actors.role', 'actors.org_id', 'actors.member_id', 'organizations.path'])
    .where('actors.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!actor) throw new DomainError({ kind: 'unauthenticated', message: 'unknown or revoked token' });
  return { actorId: actor.id, role: actor.role, orgId: actor.org_id, orgPath: actor.path, memberId: actor.member_id };
}
