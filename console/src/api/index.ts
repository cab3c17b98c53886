// The API client's shared parts: its error, the field problems a form shows, the 401 handler. The endpoints are the
// named functions of the feature modules beside this file (api/processes.ts, api/members.ts, ...).
export { ApiError, fieldErrors, onUnauthorized, type FieldProblem } from './http';
