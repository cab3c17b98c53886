// 12. The cost of a process (issue 23): the workflow tasks, activity tasks and history events one approved check-in
// takes, against the bare workflow of the same shape (figure 1's), read from the histories of one run of each. Each
// workflow task beyond bare's is a round trip through the server that the decision's caller may wait on.
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { call, profile } from '../../test/system';
import type { Figure, FigureResult } from '../figure';
import { pool } from '../stats';
import { bareDecide, bareProcess, bareSubmitted } from '../workflows';

const EventType = proto.temporal.api.enums.v1.EventType;

/** What one run's history holds: its workflow tasks, activity tasks (remote), local activities (markers) and events. */
interface Cost {
  workflowTasks: number;
  activityTasks: number;
  localActivities: number;
  events: number;
}

/** One history's event types, in order (the figure's detail: where the events beyond bare's come from). */
async function eventTypes(client: Client, workflowId: string): Promise<string[]> {
  const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
  return (events ?? []).map((e) => (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, ''));
}

async function costOf(client: Client, workflowId: string): Promise<Cost> {
  const handle = client.workflow.getHandle(workflowId);
  await handle.result();
  const { events } = await handle.fetchHistory();
  const count = (type: number) => (events ?? []).filter((e) => e.eventType === type).length;
  return {
    workflowTasks: count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    activityTasks: count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    localActivities: count(EventType.EVENT_TYPE_MARKER_RECORDED),
    events: events?.length ?? 0,
  };
}

function mean(costs: Cost[]): Cost {
  const avg = (k: keyof Cost) => costs.reduce((s, c) => s + c[k], 0) / costs.length;
  return { workflowTasks: avg('workflowTasks'), activityTasks: avg('activityTasks'), localActivities: avg('localActivities'), events: avg('events') };
}

const N = 20;
const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

export const figure12: Figure = {
  id: 12,
  title: 'the cost of an approved check-in: workflow tasks, activity tasks, history events, against bare Temporal',
  async run(b) {
    const t = b.tree;
    const bareW = await b.bareWorker();
    const bareIds: string[] = [];
    await pool([...Array(N).keys()], 5, async () => {
      const workflowId = `bare-${randomUUID()}`;
      const op = new WithStartWorkflowOperation(bareProcess, { workflowId, taskQueue: bareW.queue, workflowIdConflictPolicy: 'FAIL' });
      await b.client.workflow.executeUpdateWithStart(bareSubmitted, { startWorkflowOperation: op });
      await (await op.workflowHandle()).executeUpdate(bareDecide, { args: ['approve'] });
      bareIds.push(workflowId);
    });
    const bare = mean(await Promise.all(bareIds.map((id) => costOf(b.client, id))));
    const bareEvents = await eventTypes(b.client, bareIds[0]!);
    await bareW.stop();

    const tuanwuIds: string[] = [];
    await pool([...Array(N).keys()], 5, async () => {
      const r = await call(b.sys.app, 'POST', '/api/check-ins', t.sec, { branchId: t.secBranch, profile: profile() });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      const d = await call(b.sys.app, 'POST', `/api/processes/${r.body.processId}/decisions`, t.sec, { action: 'approve' });
      if (d.status !== 200) throw new Error(JSON.stringify(d.body));
      const row = await b.sys.db.selectFrom('processes').select('workflow_id').where('id', '=', r.body.processId).executeTakeFirstOrThrow();
      tuanwuIds.push(row.workflow_id);
    });
    const tuanwu = mean(await Promise.all(tuanwuIds.map((id) => costOf(b.client, id))));
    const tuanwuEvents = await eventTypes(b.client, tuanwuIds[0]!);

    const extra = tuanwu.workflowTasks - bare.workflowTasks;
    const result: FigureResult = {
      figure: '12. an approved check-in: workflow tasks / activity tasks / local activities / history events, Tuanwu vs bare',
      value:
        `${f(tuanwu.workflowTasks)} / ${f(tuanwu.activityTasks)} / ${f(tuanwu.localActivities)} / ${f(tuanwu.events)} vs ` +
        `${f(bare.workflowTasks)} / ${f(bare.activityTasks)} / ${f(bare.localActivities)} / ${f(bare.events)}: ${f(extra)} workflow tasks more`,
      target: '<= 2 workflow tasks more than bare',
      met: extra <= 2,
      detail: { n: N, tuanwu, bare, events: { tuanwu: tuanwuEvents, bare: bareEvents } },
    };
    b.log(`figure 12 done: ${f(extra)} workflow tasks more than bare`);
    return [result];
  },
};
