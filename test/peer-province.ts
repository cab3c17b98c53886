// A stand-in for another province's system, over real HTTP: it serves the peer contract (docs/peer-protocol.md)
// and calls ours signed as that province, so tests see exactly what crosses the wire.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import {
  PEER_HEADERS,
  PEER_PATHS,
  PeerAnnounce,
  PeerArrivalConfirmed,
  PeerRejected,
  PeerReleaseConfirmed,
  signedHeaders,
  verify,
} from '../domain/peer-protocol';

export interface PeerProvince {
  code: string;
  url: string;
  port: number;
  /** Every request it accepted (valid signature), in order, with parsed body and headers. */
  received: { path: string; body: any; idempotencyKey: string; province: string }[];
  /** Requests it refused (bad signature) — count. */
  refused: number;
  /** Calls our Tuanwu (ourUrl, as province `code`, signed with the shared key); returns status and parsed body. */
  send(path: string, body: unknown, opts?: { idempotencyKey?: string; badSignature?: boolean; timestamp?: number }): Promise<{ status: number; body: any }>;
  /** Stop listening (simulate the peer being down); `start()` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
  /** Resolves when a request matching `pred` has been received (polls every 50 ms; timeout default 30000 ms). */
  waitFor(pred: (r: PeerProvince['received'][number]) => boolean, timeoutMs?: number): Promise<PeerProvince['received'][number]>;
}

type Received = PeerProvince['received'][number];

const MAX_BODY_BYTES = 1 << 20;
const TRANSFER_ROUTE = /^\/peer\/v1\/transfers\/([^/]+)\/(release-confirmed|arrival-confirmed|rejected)$/;
const SCHEMAS: Record<string, z.ZodType> = {
  'release-confirmed': PeerReleaseConfirmed,
  'arrival-confirmed': PeerArrivalConfirmed,
  rejected: PeerRejected,
};

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

function problem(status: number, error: string, message: string, fields?: { field: string; message: string }[]): Answer {
  return { status, body: { error, message, ...(fields ? { fields } : {}) } };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startPeerProvince(o: { code: string; key: Buffer; ourCode: string; ourUrl: () => string; port?: number }): Promise<PeerProvince> {
  const received: Received[] = [];
  let refused = 0;
  let closed = false;
  let port = o.port ?? 0;
  // First answer per (province, key), with a hash of the request it answered (a reused key must mean the same request).
  const answers = new Map<string, { requestHash: string; answer: Answer }>();

  async function handle(req: IncomingMessage): Promise<Answer> {
    const path = req.url ?? '/';
    const pathname = new URL(path, 'http://peer.invalid').pathname;
    const route = pathname === PEER_PATHS.announce ? { kind: 'announce', transferId: undefined } : matchTransferRoute(pathname);
    if (!route) return problem(404, 'not-found', `no peer route ${pathname}`);
    if (req.method !== 'POST') return problem(405, 'invalid', 'POST only');
    const raw = await readBody(req);
    if (!raw) return problem(413, 'invalid', `body larger than ${MAX_BODY_BYTES} bytes`);
    const body = raw.toString('utf8');

    const province = header(req, PEER_HEADERS.province);
    const timestamp = header(req, PEER_HEADERS.timestamp) ?? '';
    const signature = header(req, PEER_HEADERS.signature) ?? '';
    const idempotencyKey = header(req, PEER_HEADERS.idempotencyKey) ?? '';
    if (province !== o.ourCode) {
      refused++;
      return problem(401, 'unauthenticated', `unknown province ${JSON.stringify(province ?? null)}`);
    }
    const bad = verify(o.key, { method: 'POST', path, timestamp, idempotencyKey, body }, signature, Date.now());
    if (bad) {
      refused++;
      return problem(401, 'unauthenticated', bad);
    }
    if (idempotencyKey.length < 1 || idempotencyKey.length > 200) {
      return problem(400, 'invalid', 'an Idempotency-Key of 1-200 characters is required', [
        { field: 'headers.idempotency-key', message: 'required, 1-200 characters' },
      ]);
    }

    const requestHash = createHash('sha256').update(`${pathname}\n${body}`).digest('hex');
    const memo = `${province}\n${idempotencyKey}`;
    const first = answers.get(memo);
    if (first) {
      if (first.requestHash !== requestHash) {
        return problem(422, 'rule', 'this Idempotency-Key was used before with a different request', [
          { field: 'headers.idempotency-key', message: 'reused with a different request' },
        ]);
      }
      return 'duplicate' in first.answer.body ? { ...first.answer, body: { ...first.answer.body, duplicate: true } } : first.answer;
    }

    const answer = accept(route, path, body, province, idempotencyKey);
    answers.set(memo, { requestHash, answer });
    return answer;
  }

  function matchTransferRoute(pathname: string): { kind: string; transferId: string } | undefined {
    const m = TRANSFER_ROUTE.exec(pathname);
    return m ? { kind: m[2]!, transferId: decodeURIComponent(m[1]!) } : undefined;
  }

  function accept(route: { kind: string; transferId: string | undefined }, path: string, body: string, province: string, idempotencyKey: string): Answer {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return problem(400, 'invalid', 'the body is not JSON');
    }
    const schema = route.kind === 'announce' ? PeerAnnounce : SCHEMAS[route.kind]!;
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => ({ field: ['body', ...i.path.map(String)].join('.'), message: i.message }));
      return problem(400, 'invalid', 'invalid body', fields);
    }
    const msg = parsed.data as { transferId: string; fromProvince?: string };
    if (route.transferId !== undefined && msg.transferId !== route.transferId) {
      return problem(400, 'invalid', 'the body is about another transfer than the path', [{ field: 'body.transferId', message: 'differs from the path' }]);
    }
    if (msg.fromProvince !== undefined && msg.fromProvince !== province) {
      return problem(400, 'invalid', 'announced by another province than the signer', [{ field: 'body.fromProvince', message: `signed by ${province}` }]);
    }
    received.push({ path, body: json, idempotencyKey, province });
    if (route.kind === 'announce') return { status: 202, body: { transferId: msg.transferId, processId: randomUUID() } };
    return { status: 202, body: { transferId: msg.transferId, accepted: true, duplicate: false } };
  }

  function respond(res: ServerResponse, a: Answer): void {
    res.writeHead(a.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(a.body));
  }

  const server = createServer((req, res) => {
    handle(req).then(
      (a) => respond(res, a),
      (err: unknown) => respond(res, problem(500, 'internal', String(err))),
    );
  });

  async function start(): Promise<void> {
    if (closed) throw new Error(`peer province ${o.code} is closed`);
    if (server.listening) return;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        server.off('listening', onListening);
        reject(err);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, '127.0.0.1');
    });
    port = (server.address() as AddressInfo).port;
  }

  async function stop(): Promise<void> {
    if (!server.listening) return;
    await new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    });
  }

  await start();
  const base = () => o.ourUrl().replace(/\/+$/, '');

  return {
    code: o.code,
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    get refused() {
      return refused;
    },
    async send(path, body, opts = {}) {
      const raw = body === undefined ? '' : JSON.stringify(body);
      const idempotencyKey = opts.idempotencyKey ?? randomUUID();
      const headers = signedHeaders(o.code, o.key, { method: 'POST', path, idempotencyKey, body: raw }, opts.timestamp ?? Date.now());
      if (opts.badSignature) {
        const sig = headers[PEER_HEADERS.signature]!;
        headers[PEER_HEADERS.signature] = (parseInt(sig[0]!, 16) ^ 1).toString(16) + sig.slice(1);
      }
      const res = await fetch(base() + path, { method: 'POST', headers, body: raw });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: the caller sees the text
      }
      return { status: res.status, body: parsed };
    },
    stop,
    start,
    async close() {
      await stop();
      closed = true;
    },
    async waitFor(pred, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.find(pred);
        if (hit) return hit;
        if (Date.now() >= deadline) {
          const seen = received.map((r) => r.path).join(', ') || 'nothing';
          throw new Error(`peer province ${o.code}: no matching request within ${timeoutMs} ms (received: ${seen})`);
        }
        await sleep(50);
      }
    },
  };
}
