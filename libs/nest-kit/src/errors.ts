import { STATUS_CODES } from 'node:http';
import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { assignedCorrelationId, correlationIdOf } from './correlation';
import { afterBody } from './drain';

/** The error body every hoso service (and the gateway) answers. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  issues?: unknown[];
  /** Seconds until a refused request (429, 503) may be tried again; also sent as `Retry-After`. */
  retryAfterSec?: number;
  correlationId: string | undefined;
}

/**
 * One error shape for every endpoint: `{ statusCode, error, message, issues?, correlationId }`, with the
 * request's `X-Correlation-Id`. Unexpected errors are logged with their stack and answered with a bare 500:
 * internals never leak. An error that says when to come back (`retryAfterSec`) gets a `Retry-After` header too,
 * so every 429 can be retried by a client that reads only headers.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request & { id?: string }>();
    const correlationId =
      typeof req.id === 'string'
        ? req.id
        : res.headersSent
          ? assignedCorrelationId(req)
          : // A refusal before the request reached the logging middleware (the body parser's).
            correlationIdOf(req, res);
    const { status, body } = this.describe(exception, correlationId);
    if (status >= 500) {
      this.logger.error(
        { err: exception, correlationId, path: req.path },
        exception instanceof HttpException ? 'request failed' : 'unhandled error',
      );
    }
    if (res.headersSent) {
      // The answer has begun (a stream failed half-way): cutting the connection is the only signal left.
      res.destroy();
      return;
    }
    // A refusal that comes before the body (a 415, a body where none is taken) waits for the rest of it.
    afterBody(req, (ended) => {
      if (res.headersSent || res.destroyed) return;
      if (!ended) res.setHeader('Connection', 'close');
      if (typeof body.retryAfterSec === 'number' && Number.isFinite(body.retryAfterSec) && body.retryAfterSec >= 0) {
        res.setHeader('Retry-After', String(Math.ceil(body.retryAfterSec)));
      }
      res.status(status).json(body);
    });
  }

  private describe(exception: unknown, correlationId: string | undefined): { status: number; body: ErrorBody } {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const fields = typeof response === 'string' ? { message: response } : (response as Record<string, unknown>);
      return {
        status,
        body: {
          ...fields,
          statusCode: status,
          // Kept as given when present: readiness (terminus) reports its failing probes there.
          error: (fields['error'] as string | undefined) ?? httpError(status),
          message: messageOf(fields['message'], exception.message),
          correlationId,
        },
      };
    }
    // Errors of Express and its middleware carry a status of their own (a path with a malformed escape).
    const status = (exception as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return {
        status,
        body: {
          statusCode: status,
          error: httpError(status),
          message: exception instanceof Error ? exception.message : httpError(status),
          correlationId,
        },
      };
    }
    return {
      status: 500,
      body: { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error', correlationId },
    };
  }
}

/** The reason phrase of `status` ("Payload Too Large"), as the gateway's refusals name it. */
function httpError(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

function messageOf(message: unknown, fallback: string): string {
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return fallback;
}
