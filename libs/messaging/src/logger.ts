import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; services pass their own pino logger (with correlation ids) instead. */
export function createLogger(name: string, level = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ name, level, base: { service: name } });
}
