// Processes of every kind (contract/processes.ts): the list, one process, a decision, the kinds and their steps.
import type { DecisionBody, DecisionResponse, ProcessDetail, ProcessKinds, ProcessListItem, ProcessListQuery, ProcessPage } from '../../../contract/processes';
import { api, seg, type BodyOf, type QueryOf } from './http';

export type { DecisionResponse, ProcessDetail, ProcessKinds, ProcessListItem, ProcessPage, TimelineEvent } from '../../../contract/processes';
export type { DecisionAction, ProcessKind } from '../../../domain/processes';

export const listProcesses = (query: QueryOf<typeof ProcessListQuery>) => api.get<ProcessPage>('/processes', query);

export const getProcess = (id: string) => api.get<ProcessDetail>(`/processes/${seg(id)}`);

export const decide = (id: string, body: BodyOf<typeof DecisionBody>) => api.post<DecisionResponse>(`/processes/${seg(id)}/decisions`, body);

export const getProcessKinds = () => api.get<ProcessKinds>('/process-kinds');

/** What a decision dialog shows of a process: a row of a list, or a campaign task (which has no label from the API). */
export type DecisionTarget = Pick<ProcessListItem, 'id' | 'kind' | 'step' | 'deadline' | 'memberName'> & { stepLabel?: string };
