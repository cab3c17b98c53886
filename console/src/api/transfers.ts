// Transfers (contract/transfers.ts): the route preview, a start, the graduates' roster.
import type { Destination, RosterQuery, RosterReport, RoutePreview, TransferStart, TransferStarted } from '../../../contract/transfers';
import { api, type BodyOf, type QueryOf } from './http';

export type { DataProblem, GraduateStatistics, RosterReport, RosterRow, RoutePreview, TransferStarted } from '../../../contract/transfers';

/** R11: where a member would go for this destination (the console asks while the form is typed: `signal` aborts). */
export const previewRoute = (body: BodyOf<typeof Destination>, signal?: AbortSignal) => api.post<RoutePreview>('/transfers/route-preview', body, { signal });

/** R9: starts a transfer once under `requestKey`. */
export const startTransfer = (body: BodyOf<typeof TransferStart>, requestKey: string) =>
  api.post<TransferStarted>('/transfers', body, { headers: { 'idempotency-key': requestKey } });

/** R12: one part of a roster (CSV text or an .xlsx file), its batch key the whole file's hash. */
export const importRoster = (body: Blob | string, contentType: string, query: QueryOf<typeof RosterQuery>, batch: string) =>
  api.post<RosterReport>('/transfers/graduates/import', body, { contentType, query, headers: { 'idempotency-key': batch } });
