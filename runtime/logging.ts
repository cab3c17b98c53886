// The logging settings both main processes read (the API's fastify logger, api/logging.ts; the worker's Temporal
// runtime, worker/runtime.ts): one level and one format for the whole of `npm start`.

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `TUANWU_LOG_LEVEL` (trace|debug|info|warn|error), else `fallback`; any other value is refused at start. */
export function logLevel(env: NodeJS.ProcessEnv = process.env, fallback: LogLevel = 'info'): LogLevel {
  const value = env.TUANWU_LOG_LEVEL?.trim().toLowerCase();
  if (!value) return fallback;
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new Error(`TUANWU_LOG_LEVEL: one of ${LOG_LEVELS.join(', ')} (got ${value})`);
  return value as LogLevel;
}

/** `TUANWU_LOG_FORMAT`: `json` (default, production) or `pretty` (readable lines in a terminal). */
export function logFormat(env: NodeJS.ProcessEnv = process.env): 'json' | 'pretty' {
  return env.TUANWU_LOG_FORMAT === 'pretty' ? 'pretty' : 'json';
}
