// The task queues a worker process polls, beside the configured one (the worker polls them, the activities that start
// workflows on them name them).

/**
 * R22: the queue a campaign's branch tasks run on, beside the processes' own. A fan-out starts tens of thousands of
 * tasks at once; on a queue of their own their first workflow tasks never stand in front of a check-in's decision
 * (or of the fan-out itself), and each queue is polled by its own worker in the same process.
 */
export function campaignTaskQueue(taskQueue: string): string {
  return `${taskQueue}-campaign-tasks`;
}
