// Any report as an .xlsx workbook, written by the API (contract/reports.ts).
import type { ReportBody } from '../../../contract/reports';
import { api, type BodyOf } from './http';

export const reportWorkbook = (body: BodyOf<typeof ReportBody>) => api.file('POST', '/reports/xlsx', { body });
