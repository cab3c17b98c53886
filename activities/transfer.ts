// Side effects of transfers (R9-R13): the read model, the member's branch, data problems, and the other
// province's system (R10), reached over signed HTTP.
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../db';
import { openProcessOnce, type ProcessPatch, type Projection } from './processes';
import { MISSING_PHONE, reportDataProblem } from '../db/queries/data-problems';
import type { PeerMessageType, TransferInput } from '../domain/transfers';
import type { OrgRef } from '../domain/orgs';
import { PEER_PATHS, signedHeaders } from '../domain/peer-protocol';
import { workerMetrics } from '../runtime/metrics';

/**
 * R9/R10: a transfer's projection. Its row keeps the destination once known and the outcome; a completed
 * transfer moves the member into the receiving branch, or (outbound) out to the other province.
 */
export const transferProjection: Projection = async (tx, e, now) => {
  const d = e.detail ?? {};
  if (e.outcome || d.toOrgId) {
    await tx
      .updateTable('transfers')
      .set({
        ...(e.outcome ? { status: e.outcome } : {}),
        ...(d.toOrgId ? { to_org_id: d.toOrgId } : {}),
        ...(e.outcome && e.outcome !== 'pending' ? { completed_at: now } : {}),
      })
      .where('process_id', '=', e.processId)
      .execute();
  }
  // The member's branch or departure is the transition table's (R25, db/member-state.ts), applied by the append.
};

export interface PeerSendInput {
  province: string;
  transferId: string;
  memberId: string;
  message: 'announce' | PeerMessageType;
  reason?: string;
  /** The receiving branch in the other province (announce). */
  toBranchId?: string;
  /** The branch here that received the member (arrival-confirmed). */
  branchId?: string;
}

export interface TransferDeps {
  db: Db;
  province: string;
  peers: Map<string, { url: string; key: Buffer }>;
}

export function createTransferActivities({ db, province, peers }: TransferDeps) {
  return {
    /** R9: the transfer is requested; the read model shows it at its first step. */
    async recordTransferRequested({ input, patch }: { input: TransferInput; patch: ProcessPatch }): Promise<void> {
      const now = new Date();
      try {
        await openProcessOnce(
          db,
          {
            key: `${input.processId}:requested`,
            processId: input.processId,
            kind: 'transfer',
            memberId: input.memberId,
            org: patch.org!,
            step: patch.step!,
            deadline: patch.deadline ?? null,
            type: 'transfer.requested',
            actorId: input.startedBy,
            notify: [{ recipientOrgId: patch.org!.id, kind: 'task', message: 'A transfer awaits your decision' }],
            payload: {
              direction: input.direction,
              fromBranchId: input.from?.id ?? null,
              toOrgId: input.to?.id ?? null,
              awaitOrgId: input.awaitOrg?.id ?? null,
              route: input.route ?? null,
              peer: input.peer ? { province: input.peer.province, transferId: input.peer.transferId, branchId: input.peer.branchId } : null,
              reason: input.reason ?? null,
            },
          },
          {
            after: async (tx) => {
              await tx
                .insertInto('transfers')
                .values({
                  process_id: input.processId,
                  member_id: input.memberId,
                  direction: input.direction,
                  from_branch_id: input.from?.id ?? null,
                  to_org_id: input.to?.id ?? null,
                  await_org_id: input.awaitOrg?.id ?? null,
                  peer_province: input.peer?.province ?? null,
                  peer_transfer_id: input.peer?.transferId ?? null,
                  graduate_cohort: input.graduateCohort,
                  route_case: input.route?.case ?? null,
                  status: 'pending',
                  started_at: now,
                })
                .onConflict((oc) => oc.column('process_id').doNothing())
                .execute();
            },
          },
        );
      } catch (e) {
        // The other province's transfer id is already bound to another transfer here.
        if ((e as { code?: string }).code === '23505') throw ApplicationFailure.nonRetryable('this transfer is already recorded', 'conflict');
        throw e;
      }
    },

    /** The organization as a workflow needs it; R13: one without a contact phone is reported as a data problem. */
    async resolveOrg({ orgId, reportMissingPhone }: { orgId: string; processId: string; reportMissingPhone: boolean }) {
      const org = await db.selectFrom('organizations').select(['id', 'path', 'parent_id', 'kind', 'contact_phone']).where('id', '=', orgId).executeTakeFirst();
      if (!org) return null;
      const hasContactPhone = !!org.contact_phone;
      if (!hasContactPhone && reportMissingPhone) {
        await reportDataProblem(db, { orgId, ...MISSING_PHONE, message: 'a transfer waits for this branch, which has no contact phone' });
      }
      return { ref: { id: org.id, path: org.path, parentId: org.parent_id, kind: org.kind } satisfies OrgRef, hasContactPhone };
    },

    /** R10: one signed message to the other province; retried while it is down, final when it refuses. */
    async sendToPeer(m: PeerSendInput): Promise<void> {
      const peer = peers.get(m.province);
      if (!peer) throw ApplicationFailure.nonRetryable(`no peer configured for province ${m.province}`, 'PeerRefused');
      const now = new Date().toISOString();
      let path: string;
      let body: Record<string, unknown>;
      if (m.message === 'announce') {
        const member = await db.selectFrom('members').selectAll().where('id', '=', m.memberId).executeTakeFirstOrThrow();
        const details = member.details as { phone?: string };
        path = PEER_PATHS.announce;
        body = {
          transferId: m.transferId,
          fromProvince: province,
          toBranchId: m.toBranchId,
          ...(m.reason ? { reason: m.reason } : {}),
          member: {
            name: member.name,
            idNumber: member.id_number,
            joinDate: member.join_date,
            ...(member.development_number ? { developmentNumber: member.development_number } : {}),
            ...(details.phone ? { phone: details.phone } : {}),
          },
        };
      } else if (m.message === 'release-confirmed') {
        path = PEER_PATHS.releaseConfirmed(m.transferId);
        body = { transferId: m.transferId, releasedAt: now };
      } else if (m.message === 'arrival-confirmed') {
        path = PEER_PATHS.arrivalConfirmed(m.transferId);
        body = { transferId: m.transferId, branchId: m.branchId, arrivedAt: now };
      } else {
        path = PEER_PATHS.rejected(m.transferId);
        body = { transferId: m.transferId, reason: m.reason ?? 'rejected' };
      }
      const text = JSON.stringify(body);
      // The same message always carries the same key, so the peer applies a retry at most once.
      const idempotencyKey = `${m.transferId}:${m.message}`;
      const count = (outcome: 'ok' | 'retry' | 'refused' | 'unreachable') =>
        workerMetrics().peerRequests.inc({ province: m.province, message: m.message, outcome });
      let res: Response;
      try {
        res = await fetch(new URL(path, peer.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...signedHeaders(province, peer.key, { method: 'POST', path, idempotencyKey, body: text }) },
          body: text,
          signal: AbortSignal.timeout(10_000),
        });
      } catch (e) {
        count('unreachable');
        throw new Error(`province ${m.province} unreachable: ${(e as Error).message}`, { cause: e });
      }
      if (res.ok) return count('ok');
      const retry = res.status === 408 || res.status === 429 || res.status >= 500;
      count(retry ? 'retry' : 'refused');
      const answer = (await res.text()).slice(0, 300);
      if (retry) throw new Error(`province ${m.province} answered ${res.status}`);
      throw ApplicationFailure.nonRetryable(`province ${m.province} answered ${res.status}: ${answer}`, 'PeerRefused');
    },
  };
}

export type TransferActivities = ReturnType<typeof createTransferActivities>;
