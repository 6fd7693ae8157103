/**
 * The gateway's HTTP mechanics against a small local upstream that records what reaches it (headers, bodies, when
 * bytes arrive), with real Redis and real tokens: streaming both ways, Server-Sent Events, binary bodies,
 * timeouts, body limits on streamed bodies, the portal's static files, CORS, and a Redis outage.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestIssuer, type TestIssuer } from '@hoso/auth/testing';
import { eventually, testEnv } from '@hoso/testing';
import { call, startGateway, type GatewayTestApp } from './testing/gateway-test-app';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Every byte value, so a text conversion anywhere on the way would show. */
const PDF = Buffer.concat([
  Buffer.from('%PDF-1.7\n'),
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  randomBytes(64 * 1024),
]);

/** Stands in for the services: records what the gateway forwards and answers per path. */
class RecordingUpstream {
  readonly seen: Seen[] = [];
  uploadReceived = 0;
  uploadAborted = false;
  streamClosed = false;
  private releaseSecond: () => void = () => undefined;
  private readonly secondEvent = new Promise<void>((r) => {
    this.releaseSecond = r;
  });
  private readonly held: ServerResponse[] = [];
  private server: Server | null = null;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/health/ready') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      } else if (path === '/operations/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write('data: first\n\n');
        void this.secondEvent.then(() => res.write('data: second\n\n'));
        res.on('close', () => {
          this.streamClosed = true;
        });
      } else if (path === '/operations/slow') {
        this.held.push(res); // never answers
      } else if (path === '/cases/c1/result') {
        res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': PDF.length }).end(PDF);
      } else if (path === '/attachments') {
        req.on('data', (c: Buffer) => {
          this.uploadReceived += c.length;
        });
        req.on('end', () => {
          res
            .writeHead(201, { 'content-type': 'application/json' })
            .end(JSON.stringify({ received: this.uploadReceived }));
        });
        req.on('close', () => {
          if (!req.complete) this.uploadAborted = true;
        });
      } else {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const seen = {
            method: req.method ?? '',
            url: req.url ?? '',
            headers: req.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          };
          this.seen.push(seen);
          res
            .writeHead(200, {
              'content-type': 'application/json',
              'x-correlation-id': String(req.headers['x-correlation-id']),
            })
            .end(JSON.stringify(seen));
        });
      }
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  sendSecondEvent(): void {
    this.releaseSecond();
  }

  async close(): Promise<void> {
    for (const r of this.held) r.destroy();
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

/** All five services are the recording upstream. */
const upstreamEnv = (u: RecordingUpstream) => ({
  IDENTITY_URL: u.url,
  INTAKE_URL: u.url,
  PAYMENT_URL: u.url,
  CASE_TRACKING_URL: u.url,
  METRICS_URL: u.url,
});

/** Reads a streamed body until `pred` holds for what arrived, or fails after `timeoutMs`. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  sofar: string,
  pred: (text: string) => boolean,
  timeoutMs = 10_000,
): Promise<string> {
  const decoder = new TextDecoder();
  const deadline = Date.now() + timeoutMs;
  let text = sofar;
  while (!pred(text)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`stream did not deliver in ${timeoutMs} ms; got ${JSON.stringify(text)}`);
    const chunk = await Promise.race([
      reader.read(),
      new Promise<never>((_, rej) => {
        setTimeout(() => {
          rej(new Error(`nothing in ${left} ms; got ${JSON.stringify(text)}`));
        }, left);
      }),
    ]);
    if (chunk.done) throw new Error(`stream ended; got ${JSON.stringify(text)}`);
    text += decoder.decode(chunk.value, { stream: true });
  }
  return text;
}

interface RawExchange {
  status: number;
  body: string;
}

/**
 * A chunked request (no Content-Length) written piece by piece: `between(i)` runs before piece i+1 is written.
 * Stops writing once the answer has come (an early 413).
 */
function chunkedPost(
  url: string,
  headers: Record<string, string>,
  pieces: Buffer[],
  between: (i: number) => Promise<void> = () => Promise.resolve(),
): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const state = { answered: false };
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      state.answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    // The gateway may close the connection after an early answer while pieces are still being written.
    req.on('error', (e) => {
      if (!state.answered) reject(e);
    });
    void (async () => {
      for (let i = 0; i < pieces.length && !state.answered; i++) {
        if (!req.write(pieces[i])) await new Promise((r) => req.once('drain', r));
        if (i < pieces.length - 1) await between(i);
      }
      if (!state.answered) req.end();
    })().catch(reject);
  });
}

/**
 * A chunked request that writes every piece whatever comes back (as curl or a simple client does): it succeeds only
 * when the whole body was written and the whole answer read, so a connection reset on either side fails it.
 */
async function chunkedPostAll(url: string, headers: Record<string, string>, totalBytes: number): Promise<RawExchange> {
  const piece = Buffer.alloc(64 * 1024, 0x20);
  const req = httpRequest(url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } });
  const answer = new Promise<RawExchange>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
  });
  const written = (async () => {
    // once() rejects when the request emits 'error' (EPIPE, ECONNRESET) while it waits.
    for (let sent = 0; sent < totalBytes; sent += piece.length) {
      if (!req.write(piece)) await once(req, 'drain');
    }
    req.end();
    await once(req, 'finish');
  })();
  const [exchange] = await Promise.all([answer, written]);
  return exchange;
}

describe('gateway: streaming, limits and headers against a recording upstream', () => {
  let issuer: TestIssuer;
  let upstream: RecordingUpstream;
  let gw: GatewayTestApp;
  const portalDir = mkdtempSync(join(tmpdir(), 'hoso-portal-'));

  beforeAll(async () => {
    issuer = await createTestIssuer();
    upstream = await new RecordingUpstream().start();
    mkdirSync(join(portalDir, 'assets'));
    writeFileSync(join(portalDir, 'index.html'), '<!doctype html><title>hoso</title><div id="root"></div>');
    writeFileSync(join(portalDir, 'assets', 'index-AbCd1234.js'), 'console.log("portal")');
    writeFileSync(join(portalDir, 'robots.txt'), 'User-agent: *\n');
    gw = await startGateway({
      ...upstreamEnv(upstream),
      REDIS_URL: testEnv.REDIS_URL,
      AUTH_JWKS_URL: issuer.jwksUrl,
      QUEUE_PREFIX: `edge${randomBytes(4).toString('hex')}`,
      PORTAL_DIR: portalDir,
      UPLOAD_BODY_LIMIT_BYTES: String(2 * 1024 * 1024),
      UPSTREAM_TIMEOUT_MS: '500',
      PAYMENT_GATEWAY_PUBLIC_URL: 'http://127.0.0.1:3006/checkout',
    });
  });

  afterAll(async () => {
    await gw.close();
    await upstream.close();
    await issuer.close();
  });

  it('forwards method, path without /api/<service>, query, body and the bearer token; the correlation id goes both ways', async () => {
    const token = await issuer.operator();
    const res = await call(`${gw.url}/api/metrics/snapshots?period=2025-11&x=%C3%A1`, token, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': 'edge-corr-42' },
      body: JSON.stringify({ reason: 'tết' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe('edge-corr-42');
    const seen = (await res.json()) as Seen;
    expect(seen).toMatchObject({ method: 'POST', url: '/snapshots?period=2025-11&x=%C3%A1', body: '{"reason":"tết"}' });
    expect(seen.headers['authorization']).toBe(`Bearer ${token}`);
    expect(seen.headers['x-correlation-id']).toBe('edge-corr-42');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it("forwards a citizen sign-in's X-Device-Id to identity, with the client's address", async () => {
    const res = await call(`${gw.url}/api/identity/auth/citizen/challenges`, null, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-device-id': 'Zr2c9VJ0bQhS1mK8xT4yWg' },
      body: JSON.stringify({ personalId: '079123456789' }),
    });
    expect(res.status).toBe(200);
    const seen = (await res.json()) as Seen;
    expect(seen).toMatchObject({ method: 'POST', url: '/auth/citizen/challenges' });
    expect(seen.headers['x-device-id']).toBe('Zr2c9VJ0bQhS1mK8xT4yWg');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('makes up a correlation id when the caller sends none (or an unsafe one), and gives the service the same', async () => {
    for (const given of [undefined, 'bad id with spaces and <script>']) {
      const res = await call(`${gw.url}/api/metrics/snapshots`, await issuer.operator(), {
        method: 'POST',
        headers: given ? { 'x-correlation-id': given } : {},
      });
      const id = res.headers.get('x-correlation-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(((await res.json()) as Seen).headers['x-correlation-id']).toBe(id);
    }
  });

  it('passes Server-Sent Events through as they come (no buffering, no compression) and lets go when the client leaves', async () => {
    const abort = new AbortController();
    const res = await call(`${gw.url}/api/metrics/operations/stream`, await issuer.operator(), {
      headers: { accept: 'text/event-stream', 'accept-encoding': 'gzip, br' },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    // The upstream holds the second event back: the first must arrive on its own.
    const first = await readUntil(reader, '', (t) => t.includes('data: first\n\n'));
    expect(first).not.toContain('second');
    upstream.sendSecondEvent();
    await readUntil(reader, first, (t) => t.includes('data: second\n\n'));
    abort.abort();
    await eventually('the upstream stream to be closed after the client left', () =>
      Promise.resolve(upstream.streamClosed),
    );
  });

  it('passes binary responses through byte for byte', async () => {
    const res = await call(`${gw.url}/api/cases/cases/c1/result`, await issuer.citizen('001099000123'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await res.arrayBuffer()).equals(PDF)).toBe(true);
  });

  it('streams an upload: the service has the first bytes before the client has sent the rest', async () => {
    const token = await issuer.citizen('001099000123');
    const piece = () => randomBytes(512 * 1024);
    upstream.uploadReceived = 0;
    const res = await chunkedPost(
      `${gw.url}/api/intake/attachments`,
      { authorization: `Bearer ${token}`, 'content-type': 'multipart/form-data; boundary=x' },
      [piece(), piece(), piece()],
      (i) =>
        eventually(`the upstream to receive piece ${i + 1} before the next is sent`, () =>
          Promise.resolve(upstream.uploadReceived >= (i + 1) * 512 * 1024),
        ).then(() => undefined),
    );
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body)).toEqual({ received: 3 * 512 * 1024 });
  });

  it('cuts a chunked upload off with 413 once it passes the limit, without a Content-Length to go by', async () => {
    const token = await issuer.citizen('001099000123');
    upstream.uploadAborted = false;
    const res = await chunkedPost(
      `${gw.url}/api/intake/attachments`,
      { authorization: `Bearer ${token}`, 'content-type': 'multipart/form-data; boundary=x' },
      Array.from({ length: 12 }, () => randomBytes(256 * 1024)),
    );
    expect(res.status).toBe(413);
    const body = JSON.parse(res.body) as { statusCode: number; message: string };
    expect(body.statusCode).toBe(413);
    expect(body.message).toBe('request body larger than 2097152 bytes');
    await eventually('the upstream request to be aborted', () => Promise.resolve(upstream.uploadAborted));
  });

  it('cuts a chunked JSON body off with 413 at the JSON limit', async () => {
    const seenBefore = upstream.seen.length;
    const res = await chunkedPost(
      `${gw.url}/api/metrics/snapshots`,
      { authorization: `Bearer ${await issuer.operator()}`, 'content-type': 'application/json' },
      Array.from({ length: 8 }, () => Buffer.alloc(64 * 1024, 0x20)),
    );
    expect(res.status).toBe(413);
    expect(upstream.seen.length).toBe(seenBefore);
  });

  it('answers a chunked 20 MB JSON body with 413 in the error shape every time, without resetting the connection', async () => {
    const token = await issuer.operator();
    const seenBefore = upstream.seen.length;
    for (let i = 0; i < 5; i++) {
      const res = await chunkedPostAll(
        `${gw.url}/api/metrics/snapshots`,
        { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-correlation-id': `big-${i}` },
        20 * 1024 * 1024,
      );
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: 'request body larger than 262144 bytes',
        correlationId: `big-${i}`,
      });
    }
    expect(upstream.seen.length).toBe(seenBefore);
  });

  it('answers a request the HTTP parser refuses (headers too large) in the error shape, not a bare status line', async () => {
    const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
    socket.write(`GET /api/intake/procedures HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk as Buffer);
    const [head = '', body = ''] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(body)).toMatchObject({ statusCode: 431, error: 'Request Header Fields Too Large' });
  });

  it('answers 504 when the upstream is silent longer than the timeout', async () => {
    const started = Date.now();
    const res = await call(`${gw.url}/api/metrics/operations/slow`, await issuer.operator());
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ statusCode: 504, message: 'metrics did not answer within 500 ms' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('sends security headers: a CSP for the portal with the payment checkout as a form target, no CORS by default', async () => {
    const res = await fetch(`${gw.url}/`, { headers: { origin: 'https://evil.example' } });
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("form-action 'self' http://127.0.0.1:3006");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${gw.url}/api/intake/procedures`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves the portal: index for pages, immutable hashed assets, 404 (not HTML) for missing files', async () => {
    const index = await fetch(`${gw.url}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<div id="root">');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const page = await fetch(`${gw.url}/dossiers/0192abc/timeline`, { headers: { accept: 'text/html,*/*' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const asset = await fetch(`${gw.url}/assets/index-AbCd1234.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await asset.text()).toBe('console.log("portal")');
    expect((await fetch(`${gw.url}/robots.txt`)).headers.get('cache-control')).toBe('no-cache');
    const missing = await fetch(`${gw.url}/assets/gone-12345678.js`, { headers: { accept: 'text/html,*/*' } });
    expect(missing.status).toBe(404);
    expect((await fetch(`${gw.url}/../../etc/passwd`, { headers: { accept: 'text/html' } })).status).not.toBe(500);
    expect((await fetch(`${gw.url}/`, { method: 'POST' })).status).toBe(404);
  });

  describe('with CORS origins configured', () => {
    let cors: GatewayTestApp;
    beforeAll(async () => {
      cors = await startGateway({
        ...upstreamEnv(upstream),
        REDIS_URL: testEnv.REDIS_URL,
        AUTH_JWKS_URL: issuer.jwksUrl,
        QUEUE_PREFIX: `cors${randomBytes(4).toString('hex')}`,
        CORS_ORIGINS: 'http://localhost:5173',
      });
    });
    afterAll(() => cors.close());

    it('answers preflights for the listed origins only and exposes the correlation and rate-limit headers', async () => {
      const ok = await fetch(`${cors.url}/api/intake/dossiers`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:5173',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      const signIn = await fetch(`${cors.url}/api/identity/auth/citizen/challenges`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:5173',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-device-id',
        },
      });
      expect(signIn.status).toBe(204);
      expect(signIn.headers.get('access-control-allow-headers')).toContain('x-device-id');
      const get = await fetch(`${cors.url}/api/intake/procedures`, { headers: { origin: 'http://localhost:5173' } });
      expect(get.headers.get('access-control-expose-headers')).toContain('x-correlation-id');
      expect(get.headers.get('access-control-expose-headers')).toContain('retry-after');
      const other = await fetch(`${cors.url}/api/intake/procedures`, { headers: { origin: 'https://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('when Redis does not answer', () => {
    let degraded: GatewayTestApp;
    beforeAll(async () => {
      degraded = await startGateway({
        ...upstreamEnv(upstream),
        // Nothing listens there.
        REDIS_URL: 'redis://gateway:a-long-redis-password@127.0.0.1:1',
        AUTH_JWKS_URL: issuer.jwksUrl,
        RATE_LIMIT_READ: '2/60',
        PORTAL_DIR: join(portalDir, 'not-built'),
      });
    }, 30_000);
    afterAll(() => degraded.close());

    it('keeps serving and keeps limiting, per process, with a warning; readiness reports Redis down', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${degraded.url}/api/intake/procedures`)).status);
      expect(statuses).toEqual([200, 200, 429]);
      expect(degraded.warnings.some((w) => String(w['msg']).includes('counting in this process only'))).toBe(true);
      const ready = await fetch(`${degraded.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ error: { redis: { status: 'down' } } });
      expect(await (await fetch(`${degraded.url}/metrics`)).text()).toMatch(
        /gateway_rate_limit_degraded_total\{group="read",service="gateway"\} 3/,
      );
    });

    it('answers 503 with a clear message at / when the portal is not built, while the API works', async () => {
      const res = await fetch(`${degraded.url}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toMatch(/portal is not built.*PORTAL_DIR/);
    });
  });
});
