// The messages of every process workflow, declared once: the updates, signals and queries the workflows handle
// and the API and the activities send. Only definitions (no workflow code), so every side imports them freely.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DecisionCommand, DecisionResult, ProcessState } from '../domain/processes';
import type { DisciplineStep, MeetingDecision, TalkRecord } from '../domain/discipline';
import type { PeerMessage } from '../domain/transfers';
import type { Recorded } from './definition';

/** Every process workflow answers these: a human decision (an Update with a validator) and its own state. */
export const decideUpdate = defineUpdate<DecisionResult, [DecisionCommand]>('decide');
export const stateQuery = defineQuery<ProcessState>('state');

/**
 * The one early-return update of every process: the API's start (update-with-start) answers once the first
 * write is done, or refused.
 */
export const recordedUpdate = defineUpdate<Recorded>('recorded');

/** R25: the member left (deleted, expelled, removed, aged out, transferred out) while this process was open. */
export interface MemberLeft {
  status: string;
  /** The process whose effect made the member leave (null: a sweep, R19's age-out). */
  byProcessId: string | null;
  rule: 'R25';
}

/** Every member process hears it (workflows/process.ts); the activity that records the leaving sends it. */
export const memberLeftSignal = defineSignal<[MemberLeft]>('member-left');

/** R22/R25: a deferred member left and was settled: the campaign task's follow-up checks again (temporal/campaigns.ts). */
export const registrationsSettledSignal = defineSignal('registrationsSettled');

/** An organization was created or changed (R12: the awaited freshman branch; R13: its phone): the transfers waiting for it hear. */
export const orgChangedSignal = defineSignal<[{ orgId: string }]>('org-changed');

/** A message from the other province's system (R10): the transfer it concerns hears it. */
export const peerSignal = defineSignal<[PeerMessage]>('peer');

/** R18: who records on a disciplinary case, and the step they saw. */
export interface Actor {
  actorId: string;
  actorRole: string;
  /** The step the caller saw. */
  step?: string;
}

/** R18 step 2: the talk with the member, recorded by the branch. */
export const talkUpdate = defineUpdate<{ step: DisciplineStep }, [TalkRecord & Actor]>('record-talk');
/** R18 step 3: the branch meeting's decision, with the materials already uploaded (id and content hash). */
export type MeetingRecord = MeetingDecision & Actor & { materials: { id: string; sha256: string }[] };
export const meetingUpdate = defineUpdate<{ step: DisciplineStep }, [MeetingRecord]>('meeting-decision');
