// R19: development-number ranges (contract/numbers.ts).
import type { NumberVoid, NumberVoided, RangeDetail, RangeIssue, RangePage, RangeQuery, RangeView } from '../../../contract/numbers';
import { api, seg, type BodyOf, type QueryOf } from './http';

export type { RangeDetail, RangePage, RangeView } from '../../../contract/numbers';

export const listRanges = (query: QueryOf<typeof RangeQuery>) => api.get<RangePage>('/numbers/ranges', query);

export const getRange = (id: string) => api.get<RangeDetail>(`/numbers/ranges/${seg(id)}`);

export const issueRange = (body: BodyOf<typeof RangeIssue>) => api.post<RangeView>('/numbers/ranges', body);

export const voidNumber = (body: BodyOf<typeof NumberVoid>) => api.post<NumberVoided>('/numbers/void', body);
