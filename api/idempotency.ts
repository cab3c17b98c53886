// Idempotency-Key: the same key and body from the same caller return the first result again.
import { createHash } from 'node:crypto';
import type { Db, Tx } from '../db';
import { DomainError } from '../domain/errors';

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonical(body)).digest('hex');
}

export interface Replay {
  statusCode: number;
  response: unknown;
}

/** The stored result for this key, or undefined; a key reused with another body is refused. */
export async function findReplay(db: Db | Tx, actorId: string, key: string, hash: string): Promise<Replay | undefined> {
  const row = await db
    .selectFrom('idempotent_requests')
    .select(['request_hash', 'status_code', 'response'])
    .where('actor_id', '=', actorId)
    .where('key', '=', key)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.request_hash !== hash) {
    throw DomainError.rule('Idempotency-Key', 'this Idempotency-Key was used before with a different body', [
      { field: 'headers.idempotency-key', message: 'reused with a different body' },
    ]);
  }
  return { statusCode: row.status_code, response: row.response };
}

export async function saveReplay(tx: Db | Tx, actorId: string, key: string, hash: string, r: Replay): Promise<void> {
  await tx
    .insertInto('idempotent_requests')
    .values({ actor_id: actorId, key, request_hash: hash, status_code: r.statusCode, response: JSON.stringify(r.response) })
    .onConflict((oc) => oc.columns(['actor_id', 'key']).doNothing())
    .execute();
}

/**
 * Answers a request at most once per caller, Idempotency-Key and body: a repeat gets the first answer, and so
 * does a concurrent request with the same key that lost the race (its own attempt fails, the winner's answer
 * is there). Without a key, `handle` simply runs.
 */
export async function answerOnce<T>(
  db: Db,
  actorId: string,
  key: string | undefined,
  body: unknown,
  handle: () => Promise<{ statusCode: number; response: T }>,
): Promise<{ statusCode: number; response: T }> {
  if (!key) return handle();
  const hash = requestHash(body);
  const first = await findReplay(db, actorId, key, hash);
  if (first) return first as { statusCode: number; response: T };
  let answer: { statusCode: number; response: T };
  try {
    answer = await handle();
  } catch (e) {
    const winner = await findReplay(db, actorId, key, hash);
    if (winner) return winner as { statusCode: number; response: T };
    throw e;
  }
  await saveReplay(db, actorId, key, hash, answer);
  return answer;
}
