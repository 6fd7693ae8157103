import {
  BadRequestException,
  HttpException,
  HttpStatus,
  Injectable,
  UnsupportedMediaTypeException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { IncomingMessage } from 'node:http';
import { throwError, type Observable } from 'rxjs';
import type { ValidationIssue } from './zod';

/**
 * Deepest nesting of objects and arrays accepted in a request part. No hoso request needs more than a few levels;
 * much deeper values overflow the stack of whatever serialises them later (a log line, a jsonb column).
 */
export const MAX_INPUT_DEPTH = 32;

const MAX_ISSUES = 10;

/**
 * Characters no text field takes: the control characters (Unicode category Cc) other than tab, line feed and
 * carriage return, and halves of surrogate pairs. PostgreSQL refuses U+0000 in text and jsonb outright (the
 * request would fail with a 500 deep in a transaction); the other controls are invisible, mean nothing in a name,
 * a code or a reason, and break the documents and exports built from them; a lone surrogate cannot be encoded in
 * UTF-8 at all and would be stored as U+FFFD, silently changed.
 */
const UNACCEPTABLE =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this matches
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first character of `text` that no field accepts, as `U+XXXX`, or null. */
export function unacceptableCharacter(text: string): string | null {
  const m = UNACCEPTABLE.exec(text);
  if (!m) return null;
  return `U+${(m[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A path segment as it can be shown in a message (its unacceptable characters escaped). */
function showSegment(segment: string | number): string {
  return typeof segment === 'number'
    ? String(segment)
    : segment.replace(
        new RegExp(UNACCEPTABLE.source, 'g'),
        (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
      );
}

/**
 * What no request part may hold, wherever it is in `value`: unacceptable characters in a string or a field name,
 * and nesting deeper than `maxDepth`. Walks without recursion, so a hostile depth cannot overflow the stack here.
 * At most 10 issues; paths are relative to `value`, as in the zod pipe's issues.
 */
export function inputIssues(value: unknown, maxDepth = MAX_INPUT_DEPTH): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  // Field names with unacceptable characters are stacked as their own items, so issues come in document order.
  const stack: { value: unknown; path: (string | number)[]; badKey?: string }[] = [{ value, path: [] }];
  const add = (path: (string | number)[], code: string, message: string) =>
    issues.push({ path: path.map(showSegment).join('.'), code, message });
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const next = stack.pop();
    if (!next) break;
    const { value: v, path, badKey } = next;
    if (badKey) {
      add(path, 'invalid_characters', `the field name contains the control character ${badKey}`);
      continue;
    }
    if (typeof v === 'string') {
      const bad = unacceptableCharacter(v);
      if (bad) {
        add(
          path,
          'invalid_characters',
          `contains the control character ${bad}; text may hold tab, line feed and carriage return, no other control characters`,
        );
      }
      continue;
    }
    // Buffers are bodies a handler reads as bytes (a signed callback); numbers, booleans and null are fine.
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) continue;
    if (path.length >= maxDepth) {
      add(path, 'too_deep', `nested deeper than ${maxDepth} levels`);
      continue;
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i] as unknown, path: [...path, i] });
      continue;
    }
    const entries = Object.entries(v as Record<string, unknown>);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i] as [string, unknown];
      const bad = unacceptableCharacter(key);
      stack.push(
        bad ? { value: undefined, path: [...path, key], badKey: bad } : { value: child, path: [...path, key] },
      );
    }
  }
  return issues;
}

/** The 400 of a request part that holds what no field accepts, in the zod pipe's words. */
export function invalidInput(part: 'body' | 'query' | 'params', issues: ValidationIssue[]): BadRequestException {
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: `Invalid request ${part}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
    issues,
  });
}

/** How a handler takes the request's body, from the parameters it declares. */
type BodyUse = 'none' | 'json' | 'multipart' | 'raw';

const bodyUseOf = new WeakMap<object, BodyUse>();

function handlerBodyUse(controller: object, handler: (...args: never[]) => unknown): BodyUse {
  const known = bodyUseOf.get(handler);
  if (known) return known;
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler.name) ?? {}) as Record<string, unknown>;
  // Keys are `<paramtype>:<index>` (custom decorators have a non-numeric type).
  const types = new Set(Object.keys(args).map((k) => Number(k.split(':')[0])));
  // A parsed `@Body` decides even beside `@Req()`: a handler that takes the request for its headers or address
  // still reads the JSON body. Only the request without a `@Body` (a streamed upload) reads the raw stream.
  const use: BodyUse = types.has(RouteParamtypes.RAW_BODY)
    ? 'raw'
    : types.has(RouteParamtypes.BODY)
      ? 'json'
      : types.has(RouteParamtypes.REQUEST)
        ? 'raw'
        : types.has(RouteParamtypes.FILE) || types.has(RouteParamtypes.FILES)
          ? 'multipart'
          : 'none';
  bodyUseOf.set(handler, use);
  return use;
}

/** Set by the JSON parser: how many bytes of body it read (a chunked request may carry none). */
export const BODY_BYTES = Symbol('bodyBytes');

type Incoming = IncomingMessage & { [BODY_BYTES]?: number; body?: unknown; query?: unknown; params?: unknown };

function hasBody(req: Incoming): boolean {
  if (req[BODY_BYTES] !== undefined) return req[BODY_BYTES] > 0;
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/** The media type of the request without parameters, lower case ('' when none). */
export function mediaTypeOf(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** `application/json` and the structured `+json` types (application/merge-patch+json…). */
export function isJsonMediaType(type: string): boolean {
  return type === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(type);
}

/** Why the request's body does not suit the handler, or null. */
function bodyProblem(req: Incoming, use: BodyUse): HttpException | null {
  if (use === 'raw' || !hasBody(req)) return null;
  const type = mediaTypeOf(req);
  const got = type ? `got ${type}` : 'no Content-Type';
  switch (use) {
    case 'none':
      return new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: `${req.method ?? ''} ${(req.url ?? '').split('?')[0] ?? ''} takes no request body; send none`,
      });
    case 'json':
      return isJsonMediaType(type)
        ? null
        : new UnsupportedMediaTypeException({
            statusCode: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
            error: 'Unsupported Media Type',
            message: `the request body must be application/json (${got})`,
          });
    case 'multipart':
      return type === 'multipart/form-data'
        ? null
        : new UnsupportedMediaTypeException({
            statusCode: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
            error: 'Unsupported Media Type',
            message: `the request body must be multipart/form-data (${got})`,
          });
  }
}

/**
 * What every HTTP request must satisfy before any handler, pipe or schema sees it; registered globally by
 * `createServiceApp`, after the guards (an anonymous caller learns nothing about a route's input).
 *
 * - A body only where the handler takes one (a `@Body`, an uploaded file, or the raw request), and of the type
 *   it reads: 400 for a body nobody reads, 415 for a body of another type (a text/plain body would otherwise
 *   reach the schema as "nothing", a misleading 400).
 * - Path parameters, query and body hold no control character (tab, line feed and carriage return aside) and no
 *   lone surrogate, in values or field names, and nest at most MAX_INPUT_DEPTH levels: the 400 names the field.
 *   This covers the parameters handlers read without a schema too (`@Param('id')`), which reach SQL as they are.
 */
@Injectable()
export class RequestInputInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Incoming>();
    const problem =
      bodyProblem(req, handlerBodyUse(context.getClass(), context.getHandler() as (...args: never[]) => unknown)) ??
      this.textProblem(req);
    return problem ? throwError(() => problem) : next.handle();
  }

  private textProblem(req: Incoming): HttpException | null {
    for (const part of ['params', 'query', 'body'] as const) {
      const issues = inputIssues(req[part]);
      if (issues.length > 0) return invalidInput(part, issues);
    }
    return null;
  }
}
