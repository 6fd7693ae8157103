/**
 * A plain HTTP client for hostile requests: any method with any body (fetch refuses a body on GET), raw paths,
 * chunked bodies written in full whatever comes back, and a deadline on the whole exchange.
 */
import { once } from 'node:events';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

export interface RawRequest {
  method: string;
  /** Path and query, already encoded. */
  path: string;
  headers?: Record<string, string>;
  /** Bytes sent with Content-Length, or a number of bytes sent chunked. */
  body?: Buffer | { chunkedBytes: number };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  ms: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/**
 * Sends `req` to `base` and reads the whole answer; rejects on a connection error or after `timeoutMs`. A stream of
 * Server-Sent Events is not read: its status and headers are the answer.
 */
export async function rawRequest(base: string, req: RawRequest, timeoutMs: number): Promise<RawResponse> {
  const started = performance.now();
  const body = req.body;
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  if (Buffer.isBuffer(body)) headers['content-length'] = String(body.length);
  else if (body) headers['transfer-encoding'] = 'chunked';
  const r = request(`${base}${req.path}`, { method: req.method, headers, agent });
  const deadline = setTimeout(() => {
    r.destroy(new Error(`no complete answer within ${timeoutMs} ms`));
  }, timeoutMs);
  try {
    const answer = new Promise<RawResponse>((resolve, reject) => {
      r.on('error', reject);
      r.on('response', (res) => {
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          res.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '', ms: performance.now() - started });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          });
        });
      });
    });
    const written = (async () => {
      if (body && !Buffer.isBuffer(body)) {
        const piece = Buffer.alloc(64 * 1024, 0x20);
        // once() rejects when the request fails (a reset) while it waits.
        for (let sent = 0; sent < body.chunkedBytes; sent += piece.length) {
          if (!r.write(piece)) await once(r, 'drain');
        }
        r.end();
      } else {
        r.end(body);
      }
      await once(r, 'finish');
    })();
    const [res] = await Promise.all([answer, written]);
    return res;
  } finally {
    clearTimeout(deadline);
  }
}

/** Closes the kept-alive sockets. */
export function closeRawClient(): void {
  agent.destroy();
}
