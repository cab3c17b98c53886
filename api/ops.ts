// Operations: what the workers cannot run (nondeterminism after a bad deploy), with the process it blocks.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from './deps';
import { authorize } from '../domain/authz';
import { errorResponses, iso } from './schemas';
import { WorkflowProblems } from '../contract/ops';

export function opsRoutes({ db }: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/ops/workflow-problems',
      {
        schema: {
          summary: 'Workflow runs whose workflow task keeps failing on nondeterminism; they resume once fixed code is deployed',
          response: {
            200: WorkflowProblems,
            ...errorResponses,
          },
        },
      },
      async (req) => {
        authorize(req.principal, 'ops.read', { orgPath: req.principal.orgPath ?? '' });
        const rows = await db
          .selectFrom('workflow_problems as w')
          .leftJoin('processes as p', 'p.run_id', 'w.run_id')
          .select([
            'w.run_id',
            'w.kind',
            'w.message',
            'w.occurrences',
            'w.first_seen',
            'w.last_seen',
            'p.id',
            'p.kind as process_kind',
            'p.workflow_id',
            'p.org_id',
          ])
          .orderBy('w.last_seen', 'desc')
          .limit(500)
          .execute();
        return {
          items: rows.map((r) => ({
            runId: r.run_id,
            kind: r.kind,
            message: r.message,
            occurrences: r.occurrences,
            firstSeen: iso(r.first_seen)!,
            lastSeen: iso(r.last_seen)!,
            processId: r.id,
            processKind: r.process_kind,
            workflowId: r.workflow_id,
            orgId: r.org_id,
          })),
        };
      },
    );
  };
}
