// R7: the province's join-date correction window (contract/member-data.ts).
import type { JoinDateWindowBody, WindowAnswer } from '../../../contract/member-data';
import { api, type BodyOf } from './http';

export type { JoinDateWindow, WindowAnswer } from '../../../contract/member-data';

export const getJoinDateWindow = () => api.get<WindowAnswer>('/join-date-window');

export const openJoinDateWindow = (body: BodyOf<typeof JoinDateWindowBody>) => api.put<WindowAnswer>('/join-date-window', body);

export const closeJoinDateWindow = () => api.delete<WindowAnswer>('/join-date-window');
