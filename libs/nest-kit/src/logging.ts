import { LoggerModule } from 'nestjs-pino';
import pino, { type Logger } from 'pino';
import { correlationIdOf } from './correlation';

/**
 * The process's root JSON logger; the messaging library and HTTP logging share it.
 *
 * Writes to stdout asynchronously: one synchronous write(2) per line was a fifth of a busy service's CPU in the
 * benchmark's profiles. With `minLength: 0` nothing waits for a buffer to fill (a quiet service's line appears at
 * once); lines logged while a write is in flight go out together. Pino flushes what is left when the process
 * exits; only a hard crash (SIGKILL, abort) can lose the last lines.
 */
export function createRootLogger(service: string, level = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  return pino(
    {
      name: service,
      level,
      base: { service },
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.otp', '*.refreshToken'],
        censor: '[redacted]',
      },
    },
    pino.destination({ dest: 1, sync: false, minLength: 0 }),
  );
}

/** Requests slower than this are logged at info even when they succeed (LOG_SLOW_REQUEST_MS). */
export const DEFAULT_SLOW_REQUEST_MS = 1000;

export interface RequestLogOptions {
  slowRequestMs?: number;
}

/**
 * The level of a finished request's line: errors (5xx) at error, refusals (4xx) at warn, slow successes at info, other
 * successes at debug — and `silent` when debug is off, so a quiet service neither builds nor serialises a line for a
 * request that went well (pino-http returns before computing anything else for `silent`).
 */
export function requestLogLevel(
  logger: Pick<Logger, 'isLevelEnabled'>,
  statusCode: number,
  failed: boolean,
  elapsedMs: number,
  slowRequestMs: number,
): 'error' | 'warn' | 'info' | 'debug' | 'silent' {
  if (failed || statusCode >= 500) return 'error';
  if (statusCode >= 400) return 'warn';
  if (elapsedMs >= slowRequestMs) return 'info';
  return logger.isLevelEnabled('debug') ? 'debug' : 'silent';
}

const STARTED = Symbol('requestStartedAt');

/** HTTP request logging with the correlation id on every line (request logs and `PinoLogger` calls). */
export function loggingModule(logger: Logger, options: RequestLogOptions = {}) {
  const fromEnv = Number(process.env['LOG_SLOW_REQUEST_MS']);
  const slowRequestMs =
    options.slowRequestMs ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_SLOW_REQUEST_MS);
  return LoggerModule.forRoot({
    pinoHttp: {
      logger,
      genReqId: (req, res) => {
        (req as { [STARTED]?: number })[STARTED] = performance.now();
        return correlationIdOf(req, res);
      },
      customProps: (req) => ({ correlationId: (req as { id?: unknown }).id }),
      customLogLevel: (req, res, err) => {
        const started = (req as { [STARTED]?: number })[STARTED];
        const elapsed = started === undefined ? 0 : performance.now() - started;
        return requestLogLevel(logger, res.statusCode, Boolean(err), elapsed, slowRequestMs);
      },
      // Health and metrics scrapes every few seconds would drown the useful lines.
      autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
      serializers: {
        req: (req: { method?: string; url?: string }) => ({ method: req.method, url: req.url }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
  });
}
