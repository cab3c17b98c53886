// Transfers (R9-R11): where a member would go for a destination, and starting a transfer.
import { DomainError } from '../../domain/errors';
import { Destination, IdempotencyHeaders, RoutePreview, StartResponse, TransferStart } from '../../contract/transfers';
import { routeFor } from '../../services/transfers';
import { transferStarter, type TransferStarter } from '../../services/transfer-start';
import type { Api, AppDeps } from '../deps';
import { errorResponses } from '../schemas';
import { requestHash } from '../idempotency';

/** POST /transfers/route-preview (R11). */
function routePreviewRoute(app: Api, starter: TransferStarter): void {
  app.post(
    '/transfers/route-preview',
    {
      schema: {
        summary: 'R11: where a member would go for this destination, and why, before a transfer starts',
        body: Destination,
        response: { 200: RoutePreview, ...errorResponses },
      },
    },
    async (req) => {
      if (req.principal.role === 'system') throw DomainError.forbidden('members, secretaries and admins preview routes');
      const orgs = starter.orgs();
      const r = await routeFor(orgs, req.body);
      const problems: { rule: string; message: string }[] = [];
      if (r.outcome === 'org') {
        const target = await orgs.get(r.orgId);
        if (target && !target.contact_phone) problems.push({ rule: 'R13', message: `${target.id} has no contact phone: a transfer into it would be refused` });
      }
      return {
        outcome: r.outcome,
        case: r.case,
        reason: r.reason,
        ...(r.outcome === 'org' ? { orgId: r.orgId } : {}),
        ...(r.outcome === 'wait' ? { awaitOrgId: r.awaitOrgId } : {}),
        problems,
      };
    },
  );
}

/** POST /transfers (R9, R10, R11). */
function startRoute(app: Api, starter: TransferStarter): void {
  app.post(
    '/transfers',
    {
      schema: {
        summary: 'R9: start a transfer (to an organization, to a destination routed by R11, or to another province, R10)',
        headers: IdempotencyHeaders,
        body: TransferStart,
        response: { 201: StartResponse, 200: StartResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = req.principal;
      if (p.role === 'system') throw DomainError.forbidden('a transfer is started by the member, the sending branch or an admin of the receiving organization');
      const plan = await starter.plan(p, req.body, starter.orgs());
      const key = req.headers['idempotency-key'];
      const r = await starter.launch(plan, key ? `request:${p.actorId}:${key}:${requestHash(req.body)}` : null);
      return reply
        .code(r.created ? 201 : 200)
        .send({ processId: r.processId, memberId: r.memberId, step: r.step, deadline: r.deadline, ...(r.route ? { route: r.route } : {}) });
    },
  );
}

/** The route preview and the start, of the transfers plugin (api/transfers/index.ts). */
export function startRoutes(app: Api, deps: AppDeps): void {
  const starter = transferStarter(deps);
  routePreviewRoute(app, starter);
  startRoute(app, starter);
}
