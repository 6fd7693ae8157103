import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterBody } from '@hoso/nest-kit';

/**
 * The error body every hoso service answers (`HttpErrorFilter`): `{ statusCode, error, message, correlationId }`,
 * so the portal reads the gateway's refusals the same way as a service's.
 *
 * A refusal often comes before the request's body has arrived (413, 401, 429): it goes out once the rest of the
 * body has been read and dropped (`afterBody`), or past the drain limits with the connection closed.
 */
export function sendProblem(
  res: ServerResponse,
  status: number,
  message: string,
  correlationId: string | undefined,
  headers: Record<string, string | number> = {},
): void {
  const req = res.req as IncomingMessage | undefined;
  if (res.writableEnded) {
    // A complete answer is already on its way: adding to it or cutting it would only lose it. The body the
    // upstream no longer reads is dropped here, so the connection stays usable.
    if (req && !req.complete) {
      req.unpipe();
      req.resume();
    }
    return;
  }
  if (res.headersSent) {
    // The upstream's answer has begun: the only honest signal left is cutting the connection.
    res.destroy();
    return;
  }
  const answer = (extra: Record<string, string>) => {
    if (res.headersSent || res.destroyed) return;
    const body = JSON.stringify({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, correlationId });
    for (const [name, value] of Object.entries({ ...headers, ...extra })) res.setHeader(name, value);
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('content-length', Buffer.byteLength(body));
    res.setHeader('cache-control', 'no-store');
    res.statusCode = status;
    res.end(body);
  };
  if (!req) {
    answer({});
    return;
  }
  afterBody(req, (ended) => {
    answer(ended ? {} : { connection: 'close' });
  });
}
