import {
  BadRequestException,
  HttpException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import express, { type RequestHandler } from 'express';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { BODY_BYTES, isJsonMediaType, mediaTypeOf } from './input';

interface ParserError {
  type?: unknown;
  status?: unknown;
  limit?: unknown;
  message?: unknown;
}

/**
 * The body parser's refusal as the error every endpoint answers (the error filter gives it the common shape and
 * the correlation id). Its own errors would otherwise reach the filter as bare Express errors, some of them (a
 * malformed JSON body) with wording meant for a developer of Express.
 */
export function bodyParserError(err: unknown): unknown {
  const e = (err ?? {}) as ParserError;
  const message = typeof e.message === 'string' ? e.message : 'invalid request body';
  switch (e.type) {
    case 'entity.parse.failed':
      return new BadRequestException(`the request body is not valid JSON: ${message}`);
    case 'entity.too.large':
      return new PayloadTooLargeException(`request body larger than ${String(e.limit)} bytes`);
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeException(message);
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new HttpException({ statusCode: e.status, error: STATUS_CODES[e.status] ?? 'Error', message }, e.status);
  }
  return err;
}

/**
 * Parses JSON bodies (application/json and the `+json` types) up to `limit`, and records how many bytes a body
 * had: a chunked request may carry none, which the input checks must tell from `{}`.
 */
export function jsonBodyParser(limit: string): RequestHandler {
  const parse = express.json({
    limit,
    type: (req: IncomingMessage) => isJsonMediaType(mediaTypeOf(req)),
    verify: (req: IncomingMessage & { [BODY_BYTES]?: number }, _res, buf: Buffer) => {
      req[BODY_BYTES] = buf.length;
    },
  });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      next(err === undefined ? undefined : bodyParserError(err));
    });
  };
}
