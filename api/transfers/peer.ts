// R10: the endpoints the other provinces' systems call; signed with HMAC, idempotent by key (docs/peer-protocol.md).
import { z } from 'zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../../db';
import type { Config } from '../../domain/config';
import { DomainError } from '../../domain/errors';
import {
  PEER_HEADERS,
  PeerAccepted,
  PeerAnnounce,
  PeerAnnounceAccepted,
  PeerArrivalConfirmed,
  PeerRejected,
  PeerReleaseConfirmed,
  verify,
} from '../../domain/peer-protocol';
import { transferStarter, type TransferStarter } from '../../services/transfer-start';
import { peerSignal } from '../../processes/messages';
import type { Api, AppDeps } from '../deps';
import { errorResponses } from '../schemas';
import { PeerTransferParams } from '../../contract/peer';
import { answerOnce, PEER_KEYS } from '../idempotency';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
    peerProvince?: string;
  }
}

/** Before the body is validated: a bad signature is 401 whatever the body, and nothing changes. */
function checkSignature(config: Config) {
  return async (req: FastifyRequest) => {
    const h = req.headers;
    const province = String(h[PEER_HEADERS.province] ?? '');
    const peer = config.peers.get(province);
    const fail = (why: string) => new DomainError({ kind: 'unauthenticated', message: `peer request refused: ${why}` });
    if (!peer) throw fail('unknown province');
    const why = verify(
      peer.key,
      {
        method: req.method,
        path: req.url,
        timestamp: String(h[PEER_HEADERS.timestamp] ?? ''),
        idempotencyKey: String(h[PEER_HEADERS.idempotencyKey] ?? ''),
        body: req.rawBody ?? '',
      },
      String(h[PEER_HEADERS.signature] ?? ''),
      Date.now(),
    );
    if (why) throw fail(why);
    if (!h[PEER_HEADERS.idempotencyKey]) throw fail('an idempotency key is required');
    req.peerProvince = province;
  };
}

/**
 * The first answer to a key is kept; the same key again gets it back, marked as a duplicate, with no effect. The key
 * is claimed before the work (api/idempotency.ts, the province's keys in peer_messages), so two simultaneous sends
 * of one message act once and both get the first answer.
 */
async function once<T extends object>(db: Db, req: FastifyRequest, handle: () => Promise<{ status: number; body: T }>): Promise<{ status: number; body: T }> {
  const key = String(req.headers[PEER_HEADERS.idempotencyKey]);
  const r = await answerOnce<T>(
    db,
    req.peerProvince!,
    key,
    req.body,
    async () => {
      const a = await handle();
      return { statusCode: a.status, response: a.body };
    },
    { store: PEER_KEYS, replayed: (body) => ('accepted' in body ? { ...body, duplicate: true } : body) },
  );
  return { status: r.statusCode, body: r.response };
}

const peerErrors = { 400: errorResponses[400], 401: errorResponses[401], 404: errorResponses[404], 409: errorResponses[409], 422: errorResponses[422] };

/** R10: another province announces a member moving here. */
function announceRoute(app: Api, { db }: AppDeps, starter: TransferStarter): void {
  app.post(
    '/transfers/announce',
    {
      schema: {
        summary: 'R10: another province announces a member moving here; the receiving branch reviews a check-in',
        body: PeerAnnounce,
        response: { 202: PeerAnnounceAccepted, ...peerErrors },
      },
    },
    async (req, reply) => {
      const province = req.peerProvince!;
      if (req.body.fromProvince !== province)
        throw new DomainError({
          kind: 'invalid',
          message: 'fromProvince must be the signing province',
          fields: [{ field: 'body.fromProvince', message: 'does not match the signature' }],
        });
      const r = await once(db, req, async () => {
        // The same transfer announced again (even under a new key) names the same process.
        const known = await db
          .selectFrom('transfers')
          .select('process_id')
          .where('peer_province', '=', province)
          .where('peer_transfer_id', '=', req.body.transferId)
          .executeTakeFirst();
        if (known) return { status: 202, body: { transferId: req.body.transferId, processId: known.process_id } };
        const plan = await starter.planInbound(province, req.body);
        const started = await starter.launch(plan, `peer:${province}:${req.body.transferId}`);
        return { status: 202, body: { transferId: req.body.transferId, processId: started.processId } };
      });
      return reply.code(r.status as 202).send(r.body);
    },
  );
}

/** R10: the other province's confirmation or rejection of a transfer between us. */
function messageRoute(
  app: Api,
  { db, client }: AppDeps,
  type: 'release-confirmed' | 'arrival-confirmed' | 'rejected',
  schema: typeof PeerReleaseConfirmed | typeof PeerArrivalConfirmed | typeof PeerRejected,
): void {
  app.post(
    `/transfers/:transferId/${type}`,
    {
      schema: {
        summary: `R10: the other province's "${type}" for a transfer between us`,
        params: PeerTransferParams,
        body: schema,
        response: { 202: PeerAccepted, ...peerErrors },
      },
    },
    async (req, reply) => {
      const province = req.peerProvince!;
      const body = req.body as { transferId: string; reason?: string; branchId?: string };
      if (body.transferId !== req.params.transferId)
        throw new DomainError({
          kind: 'invalid',
          message: 'transferId differs from the path',
          fields: [{ field: 'body.transferId', message: 'must match the path' }],
        });
      const r = await once(db, req, async () => {
        const t = await db
          .selectFrom('transfers')
          .innerJoin('processes', 'processes.id', 'transfers.process_id')
          .select(['processes.workflow_id', 'processes.closed_at', 'processes.status'])
          .where('transfers.peer_province', '=', province)
          .where('transfers.peer_transfer_id', '=', body.transferId)
          .executeTakeFirst();
        if (!t) throw DomainError.notFound('no transfer with this id between our provinces');
        if (t.closed_at) throw DomainError.conflict(`this transfer is already ${t.status}`, 'R10');
        try {
          await client.workflow
            .getHandle(t.workflow_id)
            .signal(peerSignal, { type, ...(body.reason ? { reason: body.reason } : {}), ...(body.branchId ? { branchId: body.branchId } : {}) });
        } catch (e) {
          if (e instanceof WorkflowNotFoundError) throw DomainError.conflict('this transfer is already closed', 'R10');
          throw e;
        }
        return { status: 202, body: { transferId: body.transferId, accepted: true as const, duplicate: false } };
      });
      return reply.code(r.status as 202).send(r.body as z.infer<typeof PeerAccepted>);
    },
  );
}

/** R10: the endpoints the other provinces' systems call; signed with HMAC, idempotent by key (docs/peer-protocol.md). */
export function peerTransferRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  const starter = transferStarter(deps);
  return async (app) => {
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      req.rawBody = body as string;
      try {
        done(null, body === '' ? {} : JSON.parse(body as string));
      } catch {
        done(Object.assign(new Error('the body is not JSON'), { statusCode: 400 }), undefined);
      }
    });

    app.addHook('preValidation', checkSignature(deps.config));
    announceRoute(app, deps, starter);
    messageRoute(app, deps, 'release-confirmed', PeerReleaseConfirmed);
    messageRoute(app, deps, 'arrival-confirmed', PeerArrivalConfirmed);
    messageRoute(app, deps, 'rejected', PeerRejected);
  };
}
