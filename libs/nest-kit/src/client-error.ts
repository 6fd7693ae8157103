import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** What Node's HTTP parser refuses, by its error code: the status and the words of the answer. */
const PARSER_REFUSALS: Readonly<Record<string, [number, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'request line and headers are larger than the server accepts'],
  HPE_URI_TOO_LONG: [414, 'request target is longer than the server accepts'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'the request did not arrive in time'],
};

/**
 * Answers a request Node's HTTP parser refuses before any application code runs (headers too large, a malformed
 * request line or header, a request that never completes) in the error shape of every other refusal, instead of
 * Node's bare status line. There is no request object yet: the id is a new one, sent in the header as usual.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (err.code === 'ECONNRESET' || !socket.writable || started) {
      socket.destroy();
      return;
    }
    const [status, message] = PARSER_REFUSALS[err.code ?? ''] ?? [400, 'malformed HTTP request'];
    const correlationId = randomUUID();
    const reason = STATUS_CODES[status] ?? 'Bad Request';
    const body = JSON.stringify({ statusCode: status, error: reason, message, correlationId });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Correlation-Id: ${correlationId}\r\n` +
        'Cache-Control: no-store\r\n' +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
