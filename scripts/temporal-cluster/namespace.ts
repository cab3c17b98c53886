// The cluster's namespace: registered once the frontend answers, and usable once history and matching know it.
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import proto from '@temporalio/proto';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;

/** Waits for the frontend, registers the namespace if missing and waits until history and matching know it. */
export async function prepareNamespace(address: string, namespace: string, until: number): Promise<void> {
  const retry = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    let last: unknown;
    while (Date.now() < until) {
      try {
        return await f();
      } catch (e) {
        last = e;
        await sleep(250);
      }
    }
    throw new Error(`Temporal cluster: timed out waiting for ${what}: ${String(last)}`, { cause: last });
  };
  const connection = await retry('the frontend', () => Connection.connect({ address, connectTimeout: 10_000 }));
  const ws = connection.workflowService;
  try {
    await retry('the frontend', () => ws.getSystemInfo({}));
    await retry(`namespace ${namespace}`, async () => {
      try {
        await ws.describeNamespace({ namespace });
      } catch (e) {
        if (!isGrpcServiceError(e) || e.code !== GRPC_NOT_FOUND) throw e;
        try {
          await ws.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day'), description: 'Tuanwu' });
        } catch (e2) {
          if (!isGrpcServiceError(e2) || e2.code !== GRPC_ALREADY_EXISTS) throw e2;
        }
        await ws.describeNamespace({ namespace });
      }
    });
    // Each service has its own namespace registry: ask history (a workflow that does not exist) and matching.
    await retry(`history to know namespace ${namespace}`, async () => {
      try {
        await ws.describeWorkflowExecution({ namespace, execution: { workflowId: `tuanwu-cluster-probe-${Date.now()}` } });
      } catch (e) {
        if (isGrpcServiceError(e) && e.code === GRPC_NOT_FOUND && !/namespace/i.test(e.details ?? e.message)) return;
        throw e;
      }
    });
    await retry(`matching to know namespace ${namespace}`, () =>
      ws.describeTaskQueue({
        namespace,
        taskQueue: { name: 'tuanwu-cluster-probe' },
        taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      }),
    );
  } finally {
    await connection.close();
  }
}

export async function customSearchAttributes(address: string, namespace: string): Promise<Record<string, number>> {
  const connection = await Connection.connect({ address });
  try {
    return (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } finally {
    await connection.close();
  }
}
