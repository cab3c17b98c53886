// The one way the console talks to the API: base /api, the bearer token, JSON, and problem answers as ApiError.
// Only the modules of console/src/api/ call it: one named, typed function per endpoint, typed from contract/.
import type { z } from 'zod';
import type { ProblemResponse } from '../../../contract/common';
import { getToken } from '../token';

/** What a request sends: a body as the contract's schema takes it (defaults may be left out). */
export type BodyOf<S extends z.ZodType> = z.input<S>;
/** Query parameters as the contract's schema reads them, each optional here (the API applies the defaults). */
export type QueryOf<S extends z.ZodType> = Partial<z.output<S>>;

/** A path segment (an id), encoded. */
export const seg = (s: string) => encodeURIComponent(s);

/** A field a refused request names (contract/common.ts ProblemResponse). */
export type FieldProblem = NonNullable<ProblemResponse['fields']>[number];

/** A refused or failed request: the HTTP status (0 when the API could not be reached) and the problem's words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly rule?: string,
    readonly fields: FieldProblem[] = [],
    readonly kind?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The problem's messages by field, as a form shows them under its inputs: the API's `body.x.y` named by the form's
 * own key (`key` maps a path without `body.`, e.g. `evaluation.deadlines.0.on`, to it; unknown paths are left out).
 */
export function fieldErrors(e: unknown, key: (path: string) => string | null = (p) => p): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(e instanceof ApiError)) return out;
  for (const f of e.fields) {
    const k = key(f.field.replace(/^body\./, ''));
    if (k && !out[k]) out[k] = f.message;
  }
  return out;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  /** A JSON body (objects) or raw bytes/text sent as they are (with `contentType`). */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** A token to use instead of the session's (sign-in checks one before keeping it). */
  token?: string;
  signal?: AbortSignal;
}

let unauthorized: (() => void) | null = null;

/** What to do when the API answers 401 to a request made with the session's token (main.ts: back to Sign in). */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

function url(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return `/api${path}${qs ? `?${qs}` : ''}`;
}

function isRaw(body: unknown): body is Blob | ArrayBuffer | Uint8Array | string {
  return typeof body === 'string' || body instanceof Blob || body instanceof ArrayBuffer || body instanceof Uint8Array;
}

/** The problem JSON (`{ error|kind, message, rule?, fields? }`) of a refused request, or the status line. */
async function problem(res: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = (await res.json()) as Record<string, unknown>;
  } catch {
    /* not JSON: the status text stands for it */
  }
  const message = typeof body.message === 'string' && body.message ? body.message : `${res.status} ${res.statusText}`.trim();
  const rule = typeof body.rule === 'string' ? body.rule : undefined;
  const fields = Array.isArray(body.fields) ? (body.fields as FieldProblem[]) : [];
  const kind = typeof body.kind === 'string' ? body.kind : typeof body.error === 'string' ? body.error : undefined;
  return new ApiError(res.status, message, rule, fields, kind);
}

/** Sends a request; resolves with the raw Response when it succeeded (2xx), throws ApiError otherwise. */
export async function send(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
  const token = o.token ?? getToken();
  const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (o.body !== undefined) {
    if (isRaw(o.body)) {
      body = o.body as BodyInit;
      headers['content-type'] = o.contentType ?? 'application/octet-stream';
    } else {
      body = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    }
  }
  let res: Response;
  try {
    res = await fetch(url(path, o.query), { method, headers, body, signal: o.signal, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, (e as Error).message || 'network error');
  }
  if (res.ok) return res;
  const err = await problem(res);
  if (res.status === 401 && o.token === undefined) unauthorized?.();
  throw err;
}

async function json<T>(method: string, path: string, o?: RequestOptions): Promise<T> {
  const res = await send(method, path, o);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, o?: RequestOptions) => json<T>('GET', path, { ...o, query }),
  post: <T>(path: string, body?: unknown, o?: RequestOptions) => json<T>('POST', path, { ...o, body }),
  patch: <T>(path: string, body?: unknown, o?: RequestOptions) => json<T>('PATCH', path, { ...o, body }),
  /** A JSON body, or raw bytes (a file) with `contentType`. */
  put: <T>(path: string, body?: unknown, o?: RequestOptions) => json<T>('PUT', path, { ...o, body }),
  delete: <T>(path: string, o?: RequestOptions) => json<T>('DELETE', path, o),
  /** A file answer (e.g. an .xlsx report): its bytes and the name the API gives it. */
  async file(method: string, path: string, o?: RequestOptions): Promise<{ blob: Blob; filename: string | null }> {
    const res = await send(method, path, { ...o, headers: { accept: '*/*', ...o?.headers } });
    const cd = res.headers.get('content-disposition') ?? '';
    const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
    const plain = /filename="?([^";]+)"?/i.exec(cd);
    const filename = star ? decodeURIComponent(star[1]!) : plain ? plain[1]! : null;
    return { blob: await res.blob(), filename };
  },
};
