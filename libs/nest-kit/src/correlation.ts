import { randomUUID } from 'node:crypto';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const CORRELATION_HEADER = 'x-correlation-id';
const SAFE = /^[A-Za-z0-9._:-]{1,100}$/;

/** The id given to a request, kept on it so that every step asking again gets the same one. */
const ASSIGNED = Symbol('correlationId');

type Tagged = IncomingMessage & { [ASSIGNED]?: string };

/**
 * The request's correlation id: the caller's `X-Correlation-Id` when it looks sane, else a new UUID.
 * It is echoed in the response, written on every log line of the request, and put in the events the
 * request causes, so one citizen action can be followed across services.
 *
 * The first call decides and later calls return the same id: a service assigns it before parsing the body, so a
 * refusal of the body itself (malformed JSON, too large) carries the id the request's log line shows.
 */
export function correlationIdOf(req: IncomingMessage, res: ServerResponse): string {
  const tagged = req as Tagged;
  let id = tagged[ASSIGNED];
  if (id === undefined) {
    const given = req.headers[CORRELATION_HEADER];
    id = typeof given === 'string' && SAFE.test(given) ? given : randomUUID();
    tagged[ASSIGNED] = id;
  }
  if (!res.headersSent) res.setHeader(CORRELATION_HEADER, id);
  return id;
}

/** The id `correlationIdOf` gave the request, or undefined when none was given yet. */
export function assignedCorrelationId(req: IncomingMessage): string | undefined {
  return (req as Tagged)[ASSIGNED];
}

/** Controller parameter: the current request's correlation id. */
export const CorrelationId = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const req = ctx.switchToHttp().getRequest<IncomingMessage & { id?: unknown }>();
  return typeof req.id === 'string' ? req.id : (assignedCorrelationId(req) ?? randomUUID());
});
