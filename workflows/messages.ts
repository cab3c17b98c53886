// Messages every member process answers, beside the `decide` update (workflows/common.ts): declared once, imported by
// the senders (activities, the API) and the skeleton that handles them (workflows/process.ts).
import { defineSignal } from '@temporalio/workflow';

/** R25: the member left (deleted, expelled, removed, aged out, transferred out) while this process was open. */
export interface MemberLeft {
  status: string;
  /** The process whose effect made the member leave (null: a sweep, R19's age-out). */
  byProcessId: string | null;
  rule: 'R25';
}

export const memberLeftSignal = defineSignal<[MemberLeft]>('member-left');
