// temporal/start-process.ts: a start whose answer is lost (the update aborted while a worker restarted) is asked
// again for the same run, never answered 500 for an accepted process, never started twice.
import { describe, expect, it } from 'vitest';
import { ServiceError, WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { startProcess, ProcessAlreadyOpen } from '../../temporal/start-process';
import { deletion } from '../../workflows/deletion';
import { deletionProcess } from '../../processes/deletion';
import type { DeletionInput } from '../../domain/deletions';

type Call = { updateId?: string; policy: string };

/** A client whose update-with-start answers from a script, recording what it was asked. */
function scriptedClient(answers: (() => unknown)[]) {
  const calls: Call[] = [];
  const client = {
    workflow: {
      async executeUpdateWithStart(_u: unknown, o: { updateId?: string; startWorkflowOperation: { options: { workflowIdConflictPolicy: string } } }) {
        calls.push({ updateId: o.updateId, policy: o.startWorkflowOperation.options.workflowIdConflictPolicy });
        const next = answers.shift();
        if (!next) throw new Error('no more answers');
        return next();
      },
    },
  } as unknown as Client;
  return { client, calls };
}

const input = { processId: 'p-1', memberId: 'm-1' } as DeletionInput;
const start = { process: deletionProcess, workflow: deletion, memberId: 'm-1', input, org: { id: 'gd', path: 'gd/' }, deadline: new Date() };
const lost = () => {
  throw new ServiceError('Update-With-Start failed', { cause: Object.assign(new Error('13 INTERNAL: update aborted'), { code: 13 }) });
};
const recorded = (processId: string) => () => ({ processId, step: 'city-review', deadline: new Date().toISOString() });

describe('startProcess', () => {
  it('R2: a start whose answer is lost is asked again with the same update ID on the run now open, and answers its outcome', async () => {
    const { client, calls } = scriptedClient([lost, recorded('p-1')]);
    await expect(startProcess({ client, config: { taskQueue: 'q' } }, start)).resolves.toMatchObject({ processId: 'p-1' });
    expect(calls.map((c) => c.policy)).toEqual(['FAIL', 'USE_EXISTING']);
    expect(calls[1]!.updateId).toBe(calls[0]!.updateId);
  });

  it('R2: asked again, a run of another process (opened meanwhile) is the usual conflict, not this process', async () => {
    const { client } = scriptedClient([lost, recorded('p-other')]);
    await expect(startProcess({ client, config: { taskQueue: 'q' } }, start)).rejects.toBeInstanceOf(ProcessAlreadyOpen);
  });

  it('R2: a process already open for the member is refused at once (409), never asked again', async () => {
    const { client, calls } = scriptedClient([
      () => {
        throw new WorkflowExecutionAlreadyStartedError('already', 'deletion-m-1', 'deletion');
      },
    ]);
    await expect(startProcess({ client, config: { taskQueue: 'q' } }, start)).rejects.toBeInstanceOf(ProcessAlreadyOpen);
    expect(calls).toHaveLength(1);
  });

  it('availability: Temporal not reached at all is answered at once (the API gives 503), never asked again', async () => {
    const { client, calls } = scriptedClient([
      () => {
        throw new ServiceError('Update-With-Start failed', { cause: Object.assign(new Error('14 UNAVAILABLE: connect ECONNREFUSED'), { code: 14 }) });
      },
    ]);
    await expect(startProcess({ client, config: { taskQueue: 'q' } }, start)).rejects.toBeInstanceOf(ServiceError);
    expect(calls).toHaveLength(1);
  });
});
