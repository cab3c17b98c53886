// Idempotency-Key: the same key and body from the same caller return the first result again, and do the work once.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db';
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

/** How long a request waits for the answer of another one running with the same key before it is told 409. */
export const CLAIM_WAIT_MS = 10_000;
const POLL_MS = 50;
/** A claim this old has no request behind it any more (its process died before answering): it may be taken over. */
export const CLAIM_STALE_MS = 5 * 60_000;

/** The claim is older than CLAIM_STALE_MS, by the database's clock (the one that wrote created_at). */
const STALE = sql<boolean>`created_at < now() - make_interval(secs => ${CLAIM_STALE_MS / 1000})`;

const inProgress = () =>
  new DomainError({
    kind: 'conflict',
    message: 'a request with this Idempotency-Key is still in progress: send it again in a moment, with the same key',
    fields: [{ field: 'headers.idempotency-key', message: 'in progress' }],
  });

const reused = () =>
  DomainError.rule('Idempotency-Key', 'this Idempotency-Key was used before with a different body', [
    { field: 'headers.idempotency-key', message: 'reused with a different body' },
  ]);

/**
 * Where one kind of caller's keys are claimed: the table, the column naming the caller, the key's column. The API's
 * callers (by actor) and the other provinces' systems (R10, by province) claim the same way, each in its own table.
 */
export interface KeyStore {
  table: 'idempotent_requests' | 'peer_messages';
  owner: 'actor_id' | 'province';
  key: 'key' | 'idempotency_key';
}
export const API_KEYS: KeyStore = { table: 'idempotent_requests', owner: 'actor_id', key: 'key' };
export const PEER_KEYS: KeyStore = { table: 'peer_messages', owner: 'province', key: 'idempotency_key' };

/** `where owner = … and key = …` of a store. */
const whereKey = (s: KeyStore, owner: string, key: string) => sql`${sql.ref(s.owner)} = ${owner} and ${sql.ref(s.key)} = ${key}`;

/**
 * Claims the key (a row without an answer, in its own statement's transaction, before any work): true when this
 * request holds the claim now; else the row another request wrote, answered or still pending (undefined when that
 * row was released meanwhile: try again).
 */
async function claim(db: Db, s: KeyStore, owner: string, key: string, hash: string): Promise<true | Replay | 'pending' | undefined> {
  const inserted = await sql<{ claimed: number }>`
    insert into ${sql.table(s.table)} (${sql.ref(s.owner)}, ${sql.ref(s.key)}, request_hash, status_code, response)
    values (${owner}, ${key}, ${hash}, null, null)
    on conflict (${sql.ref(s.owner)}, ${sql.ref(s.key)}) do nothing
    returning 1 as claimed`.execute(db);
  if (inserted.rows.length > 0) return true;
  const found = await sql<{ request_hash: string; status_code: number | null; response: unknown; stale: boolean }>`
    select request_hash, status_code, response, ${STALE} as stale from ${sql.table(s.table)} where ${whereKey(s, owner, key)}`.execute(db);
  const row = found.rows[0];
  if (!row) return undefined;
  if (row.request_hash !== hash) throw reused();
  if (row.status_code !== null) return { statusCode: row.status_code, response: row.response };
  // A stale claim is dropped (by one of the requests that find it) and claimed again from the start.
  if (row.stale) {
    await release(db, s, owner, key, { staleOnly: true });
    return undefined;
  }
  return 'pending';
}

/** Drops a claim that has no answer (only a stale one, when told): the next request with the key does the work. */
async function release(db: Db, s: KeyStore, owner: string, key: string, o: { staleOnly?: boolean } = {}): Promise<void> {
  await sql`delete from ${sql.table(s.table)} where ${whereKey(s, owner, key)} and status_code is null ${o.staleOnly ? sql`and ${STALE}` : sql``}`.execute(db);
}

/**
 * Answers a request at most once per caller, Idempotency-Key and body (issue 20): the key is claimed in the database
 * before the work, so of two simultaneous requests with one key only the first does the work; the other waits for
 * its stored answer (409 "in progress" after CLAIM_WAIT_MS). A repeat gets the first answer; a key reused with
 * another body is refused (422). A failure is not remembered: it releases the claim, and the key may be sent again.
 * Without a key, `handle` simply runs.
 */
export async function answerOnce<T>(
  db: Db,
  actorId: string,
  key: string | undefined,
  body: unknown,
  handle: () => Promise<{ statusCode: number; response: T }>,
  opts: { waitMs?: number; store?: KeyStore; replayed?: (first: T) => T } = {},
): Promise<{ statusCode: number; response: T }> {
  if (!key) return handle();
  const store = opts.store ?? API_KEYS;
  const hash = requestHash(body);
  const deadline = Date.now() + (opts.waitMs ?? CLAIM_WAIT_MS);
  for (;;) {
    const found = await claim(db, store, actorId, key, hash);
    if (found === true) break;
    if (found !== undefined && found !== 'pending') {
      const first = found as { statusCode: number; response: T };
      return opts.replayed ? { statusCode: first.statusCode, response: opts.replayed(first.response) } : first;
    }
    if (Date.now() >= deadline) throw inProgress();
    // Released meanwhile: claim it at once; still running: look again shortly.
    if (found === 'pending') await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  let answer: { statusCode: number; response: T };
  try {
    answer = await handle();
  } catch (e) {
    // Best effort: a claim left behind (the database is down too) is taken over once stale.
    await release(db, store, actorId, key).catch(() => undefined);
    throw e;
  }
  await sql`
    update ${sql.table(store.table)} set status_code = ${answer.statusCode}, response = ${JSON.stringify(answer.response)}::jsonb
    where ${whereKey(store, actorId, key)} and status_code is null`.execute(db);
  return answer;
}
