import { once } from 'node:events';
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DRAIN_LIMITS } from '@hoso/nest-kit';
import { sendProblem } from './problem';

/** A server that refuses every request with 413 as soon as its first body bytes arrive. */
async function refusingServer(): Promise<{ url: string; server: Server; dropped: () => number }> {
  let dropped = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.once('data', (first: Buffer) => {
      dropped += first.length;
      req.on('data', (c: Buffer) => (dropped += c.length));
      sendProblem(res, 413, 'request body larger than 10 bytes', 'corr-1', { connection: 'close' });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, dropped: () => dropped };
}

/** Writes `bytes` of body in full (chunked), whatever comes back; resolves with the answer once both are done. */
async function sendAll(url: string, bytes: number, agent: Agent) {
  const req = request(url, { method: 'POST', agent, headers: { 'transfer-encoding': 'chunked' } });
  const answer = new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>(
    (resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      });
    },
  );
  const piece = Buffer.alloc(64 * 1024, 0x20);
  for (let sent = 0; sent < bytes; sent += piece.length) {
    if (!req.write(piece)) await once(req, 'drain');
  }
  req.end();
  await once(req, 'finish');
  return answer;
}

describe('sendProblem', () => {
  const limits = { ...DRAIN_LIMITS };
  afterEach(() => {
    Object.assign(DRAIN_LIMITS, limits);
  });

  it('answers a refusal once the body has arrived, so a client that sends it all reads the answer', async () => {
    const { url, server, dropped } = await refusingServer();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await sendAll(url, 8 * 1024 * 1024, agent);
        expect(res.status).toBe(413);
        expect(JSON.parse(res.body)).toEqual({
          statusCode: 413,
          error: 'Payload Too Large',
          message: 'request body larger than 10 bytes',
          correlationId: 'corr-1',
        });
        expect(res.headers['cache-control']).toBe('no-store');
      }
      expect(dropped()).toBe(3 * 8 * 1024 * 1024);
    } finally {
      agent.destroy();
      server.close();
    }
  });

  it('answers anyway, closing the connection, once more than the drain limit has been dropped', async () => {
    DRAIN_LIMITS.bytes = 256 * 1024;
    const { url, server, dropped } = await refusingServer();
    const agent = new Agent({ keepAlive: true });
    try {
      const req = request(url, { method: 'POST', agent, headers: { 'transfer-encoding': 'chunked' } });
      req.on('error', () => undefined); // the connection is closed while the client still writes: expected here
      const answered = new Promise<IncomingMessage>((resolve) => req.on('response', resolve));
      const piece = Buffer.alloc(64 * 1024, 0x20);
      // Never ends its body: only the limit can get it an answer.
      const writer = setInterval(() => req.write(piece), 5);
      const res = await answered;
      clearInterval(writer);
      expect(res.statusCode).toBe(413);
      expect(res.headers.connection).toBe('close');
      expect(dropped()).toBeGreaterThan(DRAIN_LIMITS.bytes);
      req.destroy();
    } finally {
      agent.destroy();
      server.close();
    }
  });

  it('leaves a finished answer alone and cuts one that has begun', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/done') {
        res.end('ok');
        sendProblem(res, 502, 'too late', 'c');
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial', () => {
          sendProblem(res, 502, 'upstream failed', 'c');
        });
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const done = await fetch(`${url}/done`);
      expect({ status: done.status, body: await done.text() }).toEqual({ status: 200, body: 'ok' });
      const cut = await fetch(`${url}/begun`);
      expect(cut.status).toBe(200);
      await expect(cut.text()).rejects.toThrow();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
