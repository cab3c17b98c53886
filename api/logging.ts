// The API's logger. Production (`npm run api`) writes JSON lines, fastify's two per request, at `info`. A terminal
// (TUANWU_LOG_FORMAT=pretty, `npm start`) gets readable lines: one per request (method, path, status, ms), and
// under `npm start` none below `warn` unless TUANWU_LOG_LEVEL asks for them, so the start banner is what one reads.
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import PinoPretty from 'pino-pretty';
import { redactIdNumbers } from '../domain/identifiers';
import { logFormat, logLevel } from '../runtime/logging';

/** Logs never carry a full ID number, nor the token in the Web UI's codec URL (/codec/t/<token>). */
function redact(line: string): string {
  return redactIdNumbers(line).replace(/\/codec\/t\/[^/"\s?]+/g, '/codec/t/[token]');
}

/**
 * With readable logs, one line per request instead of fastify's two (incoming, completed) with their objects:
 * method, path (no query string: it may hold a name), status, ms; `info`, or `error` when the response failed.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    const line = `${req.method} ${req.url.split('?')[0]} ${reply.statusCode} ${Math.round(reply.elapsedTime)} ms`;
    if (error) reply.log.error({ err: error }, line);
    else reply.log.info(line);
  }
}

/** Fastify's logger options: none without a logger; JSON lines, or readable ones for a terminal. */
export function loggerOptions(opts: {
  logger?: boolean;
  logStream?: NodeJS.WritableStream;
  logFormat?: 'json' | 'pretty';
}): Pick<FastifyServerOptions, 'logger' | 'logController'> {
  if (!opts.logger) return { logger: false };
  const pretty = (opts.logFormat ?? logFormat()) === 'pretty';
  const stream = pretty
    ? PinoPretty({ destination: opts.logStream ?? 1, sync: true, ignore: 'pid,hostname,reqId', translateTime: 'SYS:HH:MM:ss' })
    : opts.logStream;
  return {
    logger: {
      level: logLevel(),
      ...(stream ? { stream } : {}),
      // Request bodies are never logged; each JSON line is redacted before pino-pretty formats it.
      hooks: { streamWrite: redact },
    },
    ...(pretty ? { logController: new OneLinePerRequest() } : {}),
  };
}
