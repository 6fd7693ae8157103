import { STATUS_CODES, type ServerResponse } from 'node:http';

/**
 * The error body every hoso service answers (`HttpErrorFilter`): `{ statusCode, error, message, correlationId }`,
 * so the portal reads the gateway's refusals the same way as a service's.
 */
export function sendProblem(
  res: ServerResponse,
  status: number,
  message: string,
  correlationId: string | undefined,
  headers: Record<string, string | number> = {},
): void {
  if (res.headersSent) {
    // The upstream's answer has begun: the only honest signal left is cutting the connection.
    res.destroy();
    return;
  }
  const body = JSON.stringify({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, correlationId });
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.setHeader('cache-control', 'no-store');
  res.statusCode = status;
  res.end(body);
}
