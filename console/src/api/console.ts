// GET /me and GET /processes/counts (contract/console.ts).
import type { CountsQuery, Me, ProcessCounts } from '../../../contract/console';
import { api, type QueryOf } from './http';

export type { Me, OrgSummary, ProcessCounts } from '../../../contract/console';

/** The caller; with `token`, checks that token instead of the session's (sign-in). */
export const getMe = (token?: string) => api.get<Me>('/me', undefined, token === undefined ? undefined : { token });

export const getProcessCounts = (query: QueryOf<typeof CountsQuery>) => api.get<ProcessCounts>('/processes/counts', query);
