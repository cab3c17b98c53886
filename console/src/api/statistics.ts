// Statistics of a subtree (contract/transfers.ts, dues.ts, stats.ts) and its data problems.
import type { DataProblems, GraduateStatistics, GraduateStatisticsQuery } from '../../../contract/transfers';
import type { DuesStatistics, DuesStatisticsQuery } from '../../../contract/dues';
import type { DeletionStatistics, DeletionStatisticsQuery, OrgQuery, OverdueQuery, OverdueStatistics } from '../../../contract/stats';
import { api, type QueryOf } from './http';

export type { DataProblem, GraduateStatistics } from '../../../contract/transfers';
export type { DuesRate, DuesStatistics } from '../../../contract/dues';
export type { DeletionStatistics, OverdueStatistics } from '../../../contract/stats';

export const graduateStatistics = (query: QueryOf<typeof GraduateStatisticsQuery>) => api.get<GraduateStatistics>('/stats/graduate-transfers', query);

export const duesStatistics = (query: QueryOf<typeof DuesStatisticsQuery>) => api.get<DuesStatistics>('/stats/dues', query);

export const deletionStatistics = (query: QueryOf<typeof DeletionStatisticsQuery>) => api.get<DeletionStatistics>('/stats/deletions', query);

export const overdueStatistics = (query: QueryOf<typeof OverdueQuery>) => api.get<OverdueStatistics>('/stats/overdue', query);

/** R13/R21: open data problems of the subtree. */
export const dataProblems = (query: QueryOf<typeof OrgQuery> = {}) => api.get<DataProblems>('/data-problems', query);
