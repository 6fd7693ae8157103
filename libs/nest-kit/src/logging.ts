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

/** HTTP request logging with the correlation id on every line (request logs and `PinoLogger` calls). */
export function loggingModule(logger: Logger) {
  return LoggerModule.forRoot({
    pinoHttp: {
      logger,
      genReqId: correlationIdOf,
      customProps: (req) => ({ correlationId: (req as { id?: unknown }).id }),
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      // Health and metrics scrapes every few seconds would drown the useful lines.
      autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
      serializers: {
        req: (req: { method?: string; url?: string }) => ({ method: req.method, url: req.url }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
  });
}
