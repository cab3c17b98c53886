// The contract between two provinces' systems (docs/peer-protocol.md): signed HTTP+JSON under /peer/v1.
// Uses node:crypto, so only the API, activities and tests import it, never workflows/.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { freeText, singleLine } from './text';

export const PEER_HEADERS = {
  province: 'x-tuanwu-province',
  timestamp: 'x-tuanwu-timestamp',
  signature: 'x-tuanwu-signature',
  idempotencyKey: 'idempotency-key',
} as const;

export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** The shortest shared key accepted: RFC 2104 advises at least the hash's output length (32 bytes for SHA-256). */
export const MIN_PEER_KEY_BYTES = 32;

export const ProvinceCode = z.string().regex(/^[a-z]{2,8}$/, '2-8 lowercase letters');

export interface SignedParts {
  method: string;
  path: string;
  timestamp: string;
  idempotencyKey: string;
  body: string;
}

/** The string that is signed: METHOD \n path (with query) \n timestamp (ms since epoch, decimal) \n idempotency key \n hex sha256 of the raw body. */
export function signingString(p: SignedParts): string {
  const bodyHash = createHash('sha256').update(p.body, 'utf8').digest('hex');
  return [p.method.toUpperCase(), p.path, p.timestamp, p.idempotencyKey, bodyHash].join('\n');
}

/** Hex HMAC-SHA256 of signingString. */
export function sign(key: Buffer, p: SignedParts): string {
  return createHmac('sha256', key).update(signingString(p), 'utf8').digest('hex');
}

/** Constant-time check of the signature AND the timestamp within MAX_CLOCK_SKEW_MS of `now`. Returns a reason when bad, undefined when good. */
export function verify(key: Buffer, p: SignedParts, signature: string, now: number): string | undefined {
  if (!signature) return 'missing signature';
  if (!/^[0-9a-fA-F]{64}$/.test(signature)) return 'malformed signature: 64 hex digits expected';
  if (!/^\d{1,16}$/.test(p.timestamp)) return 'malformed timestamp: milliseconds since the epoch, in decimal';
  if (Math.abs(now - Number(p.timestamp)) > MAX_CLOCK_SKEW_MS) return `timestamp more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes from our clock`;
  const expected = Buffer.from(sign(key, p), 'hex');
  const given = Buffer.from(signature, 'hex');
  return timingSafeEqual(expected, given) ? undefined : 'signature does not match';
}

/** Headers for a signed request from province `from`. */
export function signedHeaders(
  from: string,
  key: Buffer,
  p: { method: string; path: string; idempotencyKey: string; body: string },
  now: number = Date.now(),
): Record<string, string> {
  const timestamp = String(Math.trunc(now));
  return {
    'content-type': 'application/json',
    [PEER_HEADERS.province]: from,
    [PEER_HEADERS.timestamp]: timestamp,
    [PEER_HEADERS.idempotencyKey]: p.idempotencyKey,
    [PEER_HEADERS.signature]: sign(key, { ...p, timestamp }),
  };
}

export interface Peer {
  url: string;
  key: Buffer;
}

/** Peers from config text: "hn=http://127.0.0.1:4001|<base64 key>,gx=...|..." → code → { url, key }. Empty or absent text: no peers. */
export function parsePeers(text: string | undefined): Map<string, Peer> {
  const peers = new Map<string, Peer>();
  if (!text || !text.trim()) return peers;
  for (const [i, raw] of text.split(',').entries()) {
    const entry = raw.trim();
    // Never echo the entry: it holds a secret key.
    const where = `peer entry ${i + 1}`;
    const eq = entry.indexOf('=');
    const bar = entry.lastIndexOf('|');
    if (eq < 0 || bar < eq) throw new Error(`${where}: expected "code=url|base64key"`);
    const code = entry.slice(0, eq).trim();
    if (!ProvinceCode.safeParse(code).success) throw new Error(`${where}: province code must be 2-8 lowercase letters`);
    if (peers.has(code)) throw new Error(`${where}: province "${code}" is listed twice`);
    const urlText = entry.slice(eq + 1, bar).trim();
    let url: URL;
    try {
      url = new URL(urlText);
    } catch {
      throw new Error(`${where} (${code}): "${urlText}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${where} (${code}): the URL must be http or https`);
    if (url.search || url.hash) throw new Error(`${where} (${code}): the URL must have no query or fragment`);
    const keyText = entry.slice(bar + 1).trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyText) || keyText.length % 4 !== 0) throw new Error(`${where} (${code}): the key is not base64`);
    const key = Buffer.from(keyText, 'base64');
    if (key.length < MIN_PEER_KEY_BYTES) throw new Error(`${where} (${code}): the key must decode to at least ${MIN_PEER_KEY_BYTES} bytes, got ${key.length}`);
    peers.set(code, { url: url.href.replace(/\/+$/, ''), key });
  }
  return peers;
}

export const PEER_PATHS = {
  announce: '/peer/v1/transfers/announce',
  releaseConfirmed: (transferId: string) => `/peer/v1/transfers/${encodeURIComponent(transferId)}/release-confirmed`,
  arrivalConfirmed: (transferId: string) => `/peer/v1/transfers/${encodeURIComponent(transferId)}/arrival-confirmed`,
  rejected: (transferId: string) => `/peer/v1/transfers/${encodeURIComponent(transferId)}/rejected`,
} as const;

/** A branch's id in the receiving province's system. */
export const PeerBranchId = z.string().regex(/^[A-Za-z0-9-]{1,63}$/, '1-63 letters, digits or "-"');

/** The transfer's id in the originating province's system; both sides use it. */
const TransferId = z.uuid();
const Reason = freeText(500);
const DateTime = z.iso.datetime({ offset: true });

// Loose on purpose: the receiving side validates the member with its own Profile schema (400/422 there).
export const PeerMember = z.object({
  name: singleLine(50),
  idNumber: z.string().length(18),
  joinDate: z.iso.date(),
  developmentNumber: z.string().max(64).optional(),
  phone: z.string().max(32).optional(),
});
export type PeerMember = z.infer<typeof PeerMember>;

/** POST /peer/v1/transfers/announce — originating → receiving, when the transfer starts. */
export const PeerAnnounce = z.object({
  transferId: TransferId,
  fromProvince: ProvinceCode,
  toBranchId: PeerBranchId,
  reason: Reason.optional(),
  member: PeerMember,
});
export type PeerAnnounce = z.infer<typeof PeerAnnounce>;

/** POST /peer/v1/transfers/{transferId}/release-confirmed — originating → receiving, once its sending side approved. */
export const PeerReleaseConfirmed = z.object({ transferId: TransferId, releasedAt: DateTime });
export type PeerReleaseConfirmed = z.infer<typeof PeerReleaseConfirmed>;

/** POST /peer/v1/transfers/{transferId}/arrival-confirmed — receiving → originating, once the check-in review (R10) approved. */
export const PeerArrivalConfirmed = z.object({ transferId: TransferId, branchId: PeerBranchId, arrivedAt: DateTime });
export type PeerArrivalConfirmed = z.infer<typeof PeerArrivalConfirmed>;

/** POST /peer/v1/transfers/{transferId}/rejected — either side, with a reason. */
export const PeerRejected = z.object({ transferId: TransferId, reason: Reason });
export type PeerRejected = z.infer<typeof PeerRejected>;

/** 202 to announce. */
export const PeerAnnounceAccepted = z.object({ transferId: TransferId, processId: z.string() });
export type PeerAnnounceAccepted = z.infer<typeof PeerAnnounceAccepted>;

/** 202 to release-confirmed, arrival-confirmed and rejected. */
export const PeerAccepted = z.object({ transferId: TransferId, accepted: z.literal(true), duplicate: z.boolean() });
export type PeerAccepted = z.infer<typeof PeerAccepted>;

/** Whether a sender retries a peer's answer: only transient ones (5xx, 408, 429); other 4xx are final. */
export function isRetryablePeerStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}
