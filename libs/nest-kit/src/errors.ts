import { ArgumentsHost, Catch, HttpException, HttpStatus, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';

/**
 * One error shape for every endpoint: `{ statusCode, error, message, issues?, correlationId }`.
 * Unexpected errors are logged with their stack and answered with a bare 500: internals never leak.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request & { id?: string }>();
    const correlationId = typeof req.id === 'string' ? req.id : undefined;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const payload =
        typeof body === 'string'
          ? { statusCode: status, error: HttpStatus[status] ?? 'Error', message: body }
          : { statusCode: status, ...(body as Record<string, unknown>) };
      if (status >= 500) this.logger.error({ err: exception, correlationId }, 'request failed');
      res.status(status).json({ ...payload, correlationId });
      return;
    }
    // Body-parser errors (malformed JSON, payload too large) carry a status of their own.
    const status = (exception as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({
        statusCode: status,
        error: HttpStatus[status] ?? 'Bad Request',
        message: (exception as Error).message,
        correlationId,
      });
      return;
    }
    this.logger.error({ err: exception, correlationId, path: req.path }, 'unhandled error');
    res
      .status(500)
      .json({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error', correlationId });
  }
}
