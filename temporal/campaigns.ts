// R22: the signals the campaign's tasks hear from outside the campaign, sent by the activities and the API alike.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../db';
import { tasksSettledFor } from '../db/queries/campaigns';
import { campaignTaskWorkflowId } from '../domain/workflow-ids';
import { registrationsSettledSignal } from '../processes/messages';

/** A signal to a run that may have closed meanwhile: a closed run has nothing left to hear. */
export async function signalIfOpen(send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (e) {
    if (!(e instanceof WorkflowNotFoundError)) throw e;
  }
}

/**
 * R22/R25: after a member who left was settled (db/queries/campaigns.ts `settleRegistrationsOfLeftMember`, in the
 * transaction that recorded the leaving) and that transaction committed: the tasks waiting at their follow-up with
 * nothing else deferred check their registration again and move on.
 */
export async function tellSettledTasks({ db, client }: { db: Db; client: Client }, memberId: string): Promise<void> {
  for (const t of await tasksSettledFor(db, memberId))
    await signalIfOpen(() => client.workflow.getHandle(campaignTaskWorkflowId(t.campaignWorkflowId, t.orgId)).signal(registrationsSettledSignal));
}
