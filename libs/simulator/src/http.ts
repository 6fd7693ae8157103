/**
 * The simulator's HTTP client: node:http with its own keep-alive agents (so `close()` leaves no socket behind,
 * which the global fetch cannot promise) and one limit on requests in flight across every bot.
 */
import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';

export class HttpError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${url} answered ${status}: ${body.slice(0, 300)}`);
    this.name = 'HttpError';
  }
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** From sending the request to the end of the answer (the wait for a free slot not included). */
  durationMs: number;
}

/**
 * A kept-alive socket the server had just closed: the request never reached it, so sending it again on a fresh
 * socket is safe whatever the method (Node's documented way to handle the keep-alive race).
 */
class StaleSocketError extends Error {}

export interface RequestOptions {
  token?: string | null;
  json?: unknown;
  headers?: Record<string, string>;
  /** A raw body with its content type (multipart uploads). */
  body?: { bytes: Buffer; contentType: string };
  /** Retry on a connection failure or a 5xx (only for requests that are safe to repeat). */
  retry?: boolean;
}

/** A counting semaphore: at most `limit` holders at once, waiters served in arrival order. */
class Semaphore {
  private held = 0;
  private closed = false;
  private readonly waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(private readonly limit: number) {}

  async acquire(): Promise<void> {
    if (this.closed) throw new Error('the simulator is stopped');
    if (this.held < this.limit) {
      this.held++;
      return;
    }
    await new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next.resolve();
    else this.held--;
  }

  /** Refuses every waiter (and every later caller), so nothing waits on a stopped simulator. */
  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(new Error('the simulator is stopped'));
  }
}

/** A saturated service answers 500 when it cannot get a database connection in time: worth another try too. */
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);
const RETRIES = 3;

export class HttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly slots: Semaphore;
  private closed = false;

  constructor(
    concurrency: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.slots = new Semaphore(concurrency);
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: concurrency });
  }

  /** Any status; throws only when no answer came. */
  async request(method: string, url: string, o: RequestOptions = {}): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.once(method, url, o);
        if (o.retry && TRANSIENT_STATUS.has(res.status) && attempt < RETRIES) {
          await new Promise((r) => setTimeout(r, 200 * attempt));
          continue;
        }
        return res;
      } catch (e) {
        if (e instanceof StaleSocketError && attempt < RETRIES && !this.closed) continue;
        if (!o.retry || attempt >= RETRIES || this.closed) throw e;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  /** The JSON body of an answer with status `expected` (any 2xx when not given), else an HttpError. */
  async json<T>(method: string, url: string, o: RequestOptions = {}, expected?: number): Promise<T> {
    return (await this.timedJson(method, url, o, expected)).body as T;
  }

  /** json(), with how long the platform took to answer. */
  async timedJson(
    method: string,
    url: string,
    o: RequestOptions = {},
    expected?: number,
  ): Promise<{ body: unknown; durationMs: number }> {
    const res = await this.request(method, url, o);
    const ok = expected === undefined ? res.status >= 200 && res.status < 300 : res.status === expected;
    if (!ok) throw new HttpError(method, url, res.status, res.text);
    return { body: res.text ? (JSON.parse(res.text) as unknown) : {}, durationMs: res.durationMs };
  }

  /** Ends every kept-alive socket; later requests fail. */
  close(): void {
    this.closed = true;
    this.slots.close();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async once(method: string, url: string, o: RequestOptions): Promise<HttpResponse> {
    if (this.closed) throw new Error(`${method} ${url}: the simulator is stopped`);
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
    if (o.token) headers['authorization'] = `Bearer ${o.token}`;
    let payload: Buffer | undefined;
    if (o.json !== undefined) {
      payload = Buffer.from(JSON.stringify(o.json));
      headers['content-type'] = 'application/json';
    } else if (o.body) {
      payload = o.body.bytes;
      headers['content-type'] = o.body.contentType;
    }
    if (payload) headers['content-length'] = String(payload.length);
    await this.slots.acquire();
    try {
      const sent = performance.now();
      return await new Promise<HttpResponse>((resolve, reject) => {
        const req = (secure ? https : http).request(
          target,
          { method, headers, agent: secure ? this.httpsAgent : this.httpAgent, timeout: this.timeoutMs },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                text: Buffer.concat(chunks).toString('utf8'),
                durationMs: performance.now() - sent,
              });
            });
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${this.timeoutMs} ms`)));
        req.on('error', (e: NodeJS.ErrnoException) => {
          reject(req.reusedSocket && e.code === 'ECONNRESET' ? new StaleSocketError(e.message) : e);
        });
        req.end(payload);
      });
    } finally {
      this.slots.release();
    }
  }
}

/** A multipart/form-data body with one file field, as a browser's upload sends it. */
export function multipartFile(
  field: string,
  fileName: string,
  contentType: string,
  bytes: Buffer,
): { bytes: Buffer; contentType: string } {
  const boundary = `----hoso-sim-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\n` +
      `Content-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { bytes: Buffer.concat([head, bytes, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** `base` (which may carry a path prefix, e.g. behind a gateway) joined with an absolute `path`. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}
