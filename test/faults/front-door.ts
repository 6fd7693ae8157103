/**
 * An HTTP front door per service, between the simulator and the service: what a load balancer with
 * retry-on-connect does (over the replicas of the service when given several). While the service is down (connection refused: the request never reached it, so sending
 * it again is safe whatever the method) the request is held and sent again until the service is back, up to
 * `holdMs`; then it answers 503. A connection that breaks after the request was sent answers 502, which the
 * simulator treats as a server error (it asks the platform whether the move happened before sending it again).
 * Without it, the citizens and officers of the simulator would give up on their dossiers during a restart, and a
 * dossier abandoned by its driver could not be told apart from one the platform lost.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FrontDoor {
  url: string;
  /** Replaces the upstreams (replicas of one service, taken in turn); the requests under way keep theirs. */
  setUpstreams(upstreams: readonly string[]): void;
  /** Requests that had to wait for the service to come back. */
  held(): number;
  /** Answers given to callers since the door opened (or the last `resetAnswers`): all, and those 5xx. */
  answers(): { total: number; serverErrors: number };
  resetAnswers(): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/**
 * `holdMs` stays under the simulator's own patience (30 s per request): a request it has given up on is not sent
 * on later behind its back.
 */
export async function openFrontDoor(upstream: string | readonly string[], holdMs = 28_000): Promise<FrontDoor> {
  // Several upstreams are replicas of one service: each attempt goes to the next, so a request refused by one that
  // is down is sent to another.
  let targets = (typeof upstream === 'string' ? [upstream] : upstream).map((u) => new URL(u));
  let turn = 0;
  const nextTarget = () => targets[turn++ % Math.max(targets.length, 1)];
  // Idle sockets dropped after 4 s, as the gateway's upstream agent does: a proxy must let go of an idle connection
  // before the service may close it, or a request sent on it just then breaks (a 502 the platform did not cause).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 4000 });
  let held = 0;
  let total = 0;
  let serverErrors = 0;
  /** Every answer the caller gets, the service's own or the door's 502/503, counted once. */
  const answered = (status: number) => {
    total++;
    if (status >= 500) serverErrors++;
  };
  /** Answers whose caller closed the connection before getting them. */
  const gone = new WeakSet<http.ServerResponse>();

  const forward = (
    req: http.IncomingMessage,
    body: Buffer,
    res: http.ServerResponse,
    deadline: number,
    first = true,
  ) => {
    const target = nextTarget();
    if (!target) {
      answered(503);
      res.writeHead(503, { 'content-type': 'text/plain' }).end('front door: no upstream');
      return;
    }
    const headers = { ...req.headers, host: target.host };
    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        const out: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
        answered(answer.statusCode ?? 502);
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
      },
    );
    up.on('error', (e: NodeJS.ErrnoException) => {
      // A kept-alive socket the service closed may also have carried a request it received before dying: only a
      // read is safe to send again then.
      const safe = req.method === 'GET' || req.method === 'HEAD';
      const refused = e.code === 'ECONNREFUSED' || (safe && up.reusedSocket && e.code === 'ECONNRESET');
      // The caller gave up (its own timeout): nothing is sent on its behalf any more.
      if (gone.has(res)) return;
      if (refused && Date.now() < deadline) {
        if (first) held++;
        setTimeout(() => {
          forward(req, body, res, deadline, false);
        }, 200);
        return;
      }
      // An answer broken off half-way is a server error for its caller, whatever status it began with.
      if (res.headersSent) {
        serverErrors++;
        res.destroy();
        return;
      }
      answered(refused ? 503 : 502);
      res.writeHead(refused ? 503 : 502, { 'content-type': 'text/plain' }).end(`front door: ${e.message}`);
    });
    up.end(body);
  };

  const server = http.createServer((req, res) => {
    res.on('close', () => {
      if (!res.writableFinished) gone.add(res);
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      forward(req, Buffer.concat(chunks), res, Date.now() + holdMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setUpstreams: (upstreams) => {
      targets = upstreams.map((u) => new URL(u));
    },
    held: () => held,
    answers: () => ({ total, serverErrors }),
    resetAnswers: () => {
      total = 0;
      serverErrors = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) =>
        server.close(() => {
          r();
        }),
      );
      agent.destroy();
    },
  };
}
