// A deploy that breaks replay: the workflow task fails visibly (error log, workflow_problems, ops endpoint)
// and keeps retrying, so once the fixed code is back the process completes and nothing is lost.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { ADMIN_TOKEN, call, eventually, payloadKeys, profile, useSystemWithTree } from './harness';
import { failureConverterPath } from '../temporal/codec';
import { createActivities } from '../activities';
import { createDataConverter } from '../temporal/codec';

const ctx = useSystemWithTree();

describe('nondeterminism', () => {
  it('versioning: a nondeterministic deploy fails the workflow task visibly, and the process completes once fixed', async () => {
    const created = await call(ctx.sys.app, 'POST', '/api/check-ins', ctx.tree.tokens.sec1, { branchId: ctx.tree.ids.branch1, profile: profile() });
    expect(created.status).toBe(201);
    await ctx.sys.stopWorker();

    // The bad deploy: the same task queue, a workflow whose replay no longer matches the history.
    const broken = await Worker.create({
      connection: ctx.sys.env.nativeConnection,
      taskQueue: ctx.sys.config.taskQueue,
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: join(import.meta.dirname, 'fixtures', 'check-in-changed.ts'),
        failureConverterPath,
        logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} },
      }),
      activities: createActivities({ db: ctx.sys.db }),
      dataConverter: createDataConverter(payloadKeys),
      maxCachedWorkflows: 0,
    });
    const running = broken.run();
    const decision = call(ctx.sys.app, 'POST', `/api/processes/${created.body.processId}/decisions`, ctx.tree.tokens.sec1, { action: 'approve' });

    const problem = await eventually(
      async () => {
        const r = await call(ctx.sys.app, 'GET', '/api/ops/workflow-problems', ADMIN_TOKEN);
        return r.body.items.find((i: { processId: string }) => i.processId === created.body.processId);
      },
      60_000,
      'a recorded nondeterminism problem',
    );
    expect(problem).toMatchObject({ kind: 'nondeterminism', processKind: 'check-in', orgId: ctx.tree.ids.branch1 });
    expect(problem.message).toMatch(/Nondeterminism/);
    expect((await call(ctx.sys.app, 'GET', '/api/ops/workflow-problems', ctx.tree.tokens.city1)).status).toBe(403);
    // Not failed: the execution is still running, waiting for a worker that can replay it.
    const desc = await ctx.sys.env.client.workflow.getHandle(`check-in-${created.body.memberId}`).describe();
    expect(desc.status.name).toBe('RUNNING');

    broken.shutdown();
    await running;
    await ctx.sys.startWorker(); // the fix is deployed
    const decided = await decision;
    expect(decided.status).toBe(200);
    expect(decided.body.status).toBe('approved');
  });
});
