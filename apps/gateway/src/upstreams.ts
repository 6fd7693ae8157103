import { Agent as HttpAgent, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import {
  createProxyMiddleware,
  debugProxyErrorsPlugin,
  proxyEventsPlugin,
  type RequestHandler,
} from 'http-proxy-middleware';
import type { Logger } from 'pino';
import { CORRELATION_HEADER } from '@hoso/nest-kit';
import { retryable } from './domain/balancer';
import type { ServiceName } from './domain/route-table';
import type { GatewayMetrics } from './gateway-metrics';
import { sendProblem } from './problem';
import type { UpstreamPool } from './upstream-pool';

/** What one proxied request needs its proxy event handlers to know. */
interface Exchange {
  service: ServiceName;
  correlationId: string;
  /** Largest request body allowed through, bytes. */
  bodyLimit: number;
  /** Idle timeout of the upstream exchange, ms. */
  idleTimeoutMs: number;
  received: number;
  overLimit: boolean;
  timedOut: boolean;
  proxyReq: ClientRequest | null;
  /** The replica this attempt went to, and every replica tried so far. */
  target: string;
  tried: Set<string>;
  retried: boolean;
  /** The request carries a body. */
  hasBody: boolean;
  replayable: boolean;
  /** The whole body, read before forwarding when it is small enough to be sent again; null otherwise. */
  body: Buffer | null;
  /** Ends the count of this attempt's request on its replica. */
  release: () => void;
}

export interface ForwardOptions {
  service: ServiceName;
  /** Path and query as the service sees them (`/procedures?page=2`). */
  upstreamPath: string;
  correlationId: string;
  bodyLimit: number;
  stream: boolean;
  /** The route may arrive twice without acting twice (RouteRule.replayable). */
  replayable?: boolean;
}

export interface UpstreamSettings {
  pool: UpstreamPool;
  timeoutMs: number;
  streamIdleTimeoutMs: number;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and ones this hop has already acted on. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'upgrade', 'expect'];

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Bodies up to this size (with a Content-Length) are read whole before they are forwarded, so a request refused by
 * one replica can be sent to another: a JSON body, never an upload, which streams through.
 */
const REPLAYABLE_BODY_BYTES = 256 * 1024;

/**
 * One streaming reverse proxy per service (http-proxy-middleware over keep-alive agents). Request bodies are piped
 * as they arrive and counted on the way, so a 10 MiB upload never sits in the gateway's memory and a body larger
 * than its limit is cut off (413) even without a Content-Length. Responses — JSON, PDFs, Server-Sent Events — are
 * piped back unbuffered and uncompressed.
 *
 * Each request goes to one replica of its service, in turn among the healthy ones (the pool's balancer). A replica
 * the request could not reach is marked down for a while, and the request is sent once more to another replica when
 * that cannot do anything twice (see `retryable`): the connection was refused (no byte reached the service) and the
 * body, if any, is held whole; or, when no answer began, the method is GET, HEAD or OPTIONS or the route says a
 * repeat does nothing more.
 */
export class Upstreams {
  private readonly proxies = new Map<ServiceName, RequestHandler>();
  private readonly agents: (HttpAgent | HttpsAgent)[] = [];
  private readonly exchanges = new WeakMap<IncomingMessage, Exchange>();

  constructor(
    private readonly settings: UpstreamSettings,
    private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
  ) {
    for (const service of settings.pool.services()) {
      const urls = settings.pool.of(service).urls;
      // Below the services' 5 s keep-alive, so the gateway never reuses a socket the service is closing.
      const agentOptions = { keepAlive: true, timeout: 4000, maxFreeSockets: 64 };
      // One agent serves every replica (it keeps its sockets per host and port); all replicas share one scheme.
      const agent = urls[0]?.startsWith('https:') ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
      this.agents.push(agent);
      this.proxies.set(
        service,
        createProxyMiddleware({
          target: urls[0],
          // The replica chosen for this attempt (forward and the retry choose it).
          router: (req) => this.exchanges.get(req)?.target ?? urls[0],
          agent,
          changeOrigin: true,
          xfwd: true,
          // Our own error answers replace the default plain-text one.
          ejectPlugins: true,
          plugins: [debugProxyErrorsPlugin, proxyEventsPlugin],
          on: {
            start: (req, res) => {
              this.countBody(req, res);
            },
            proxyReq: (proxyReq, req) => {
              this.onProxyReq(proxyReq, req);
            },
            proxyRes: (proxyRes) => {
              if (String(proxyRes.headers['content-type']).startsWith('text/event-stream')) {
                // Tell any buffering proxy in front (nginx ingress) to pass events through as they come.
                proxyRes.headers['x-accel-buffering'] = 'no';
              }
            },
            error: (err, req, res) => {
              this.onError(err, req, res);
            },
          },
        }),
      );
    }
  }

  forward(req: IncomingMessage, res: ServerResponse, o: ForwardOptions): void {
    if (!this.proxies.has(o.service)) throw new Error(`no upstream for ${o.service}`);
    const length = req.headers['content-length'] === undefined ? null : Number(req.headers['content-length']);
    const hasBody = (length !== null && length > 0) || req.headers['transfer-encoding'] !== undefined;
    const x: Exchange = {
      service: o.service,
      correlationId: o.correlationId,
      bodyLimit: o.bodyLimit,
      idleTimeoutMs: o.stream ? this.settings.streamIdleTimeoutMs : this.settings.timeoutMs,
      received: 0,
      overLimit: false,
      timedOut: false,
      proxyReq: null,
      target: '',
      tried: new Set(),
      retried: false,
      hasBody,
      replayable: o.replayable === true,
      body: null,
      release: () => undefined,
    };
    this.exchanges.set(req, x);
    req.url = o.upstreamPath;
    for (const h of HOP_BY_HOP) Reflect.deleteProperty(req.headers, h);
    // The service logs and stamps its events with the same id the caller got back.
    req.headers[CORRELATION_HEADER] = o.correlationId;
    if (o.stream) req.socket.setNoDelay(true);
    res.once('close', () => {
      x.release();
    });
    const holdBody = hasBody && !o.stream && length !== null && length <= Math.min(o.bodyLimit, REPLAYABLE_BODY_BYTES);
    if (!holdBody) {
      this.attempt(req, res, x);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      x.body = Buffer.concat(chunks);
      x.received = x.body.length;
      this.attempt(req, res, x);
    });
  }

  /** Sends the request to the next replica of its service (one it has not tried). */
  private attempt(req: IncomingMessage, res: ServerResponse, x: Exchange): void {
    const proxy = this.proxies.get(x.service) as RequestHandler;
    const balancer = this.settings.pool.of(x.service);
    const target = balancer.pick(x.tried) ?? balancer.urls[0] ?? '';
    x.target = target;
    x.tried.add(target);
    x.proxyReq = null;
    x.timedOut = false;
    x.release = balancer.begin(target);
    void proxy(req, res, (err?: unknown) => {
      // Only reached when the proxy could not even start (no target): a bug, answered as an upstream failure.
      this.logger.error({ err, correlationId: x.correlationId }, 'proxy failed to start');
      sendProblem(res, 502, `${x.service} could not be reached`, x.correlationId);
    });
  }

  /**
   * Counts the body as it streams to the service. http-proxy emits `start` just before it pipes the request, in
   * the same tick, so this listener sees every chunk the pipe sees.
   */
  private countBody(req: IncomingMessage, res: ServerResponse): void {
    const x = this.exchanges.get(req);
    if (!x) return;
    req.on('data', (chunk: Buffer) => {
      x.received += chunk.length;
      if (x.received <= x.bodyLimit || x.overLimit) return;
      x.overLimit = true;
      req.unpipe();
      x.proxyReq?.destroy();
      // Read and drop the rest so the client gets to read the answer; the connection is not reused.
      req.resume();
      sendProblem(res, 413, `request body larger than ${x.bodyLimit} bytes`, x.correlationId, { connection: 'close' });
    });
  }

  private onProxyReq(proxyReq: ClientRequest, req: IncomingMessage): void {
    const x = this.exchanges.get(req);
    if (!x) return;
    x.proxyReq = proxyReq;
    if (x.overLimit) {
      proxyReq.destroy();
      return;
    }
    if (x.body) {
      // The body was read before forwarding (the request stream has ended, so its pipe only ends this request).
      proxyReq.setHeader('content-length', x.body.length);
      proxyReq.write(x.body);
    }
    proxyReq.setTimeout(x.idleTimeoutMs, () => {
      x.timedOut = true;
      proxyReq.destroy(new Error(`no answer from ${x.service} within ${x.idleTimeoutMs} ms`));
    });
  }

  private onError(err: NodeJS.ErrnoException, req: IncomingMessage, res: ServerResponse | Socket): void {
    const x = this.exchanges.get(req);
    // Cut on purpose (413 already answered), or the client left: nothing to answer.
    if (!x || x.overLimit || req.socket.destroyed) return;
    const kind = x.timedOut ? 'timeout' : UNREACHABLE.has(err.code ?? '') ? 'unreachable' : 'reset';
    x.release();
    const balancer = this.settings.pool.of(x.service);
    // A replica that cannot be reached, or that dropped the connection, is skipped for a while; a slow one is not
    // (it is up, and its peers would likely be as slow).
    if (kind !== 'timeout') balancer.failed(x.target, `${kind}: ${err.code ?? err.message}`);
    const answerStarted = 'headersSent' in res ? res.headersSent : true;
    if (
      kind !== 'timeout' &&
      !x.retried &&
      balancer.pick(new Set(x.tried)) !== null &&
      retryable({
        method: req.method ?? 'GET',
        replayable: x.replayable,
        connectFailed: kind === 'unreachable',
        bodyReplayable: !x.hasBody || x.body !== null,
        answerStarted,
      })
    ) {
      x.retried = true;
      this.logger.warn(
        { err, upstream: x.service, replica: x.target, kind, correlationId: x.correlationId },
        `upstream ${x.service} failed (${kind}) at ${x.target}; sent to another replica`,
      );
      this.attempt(req, res as ServerResponse, x);
      return;
    }
    this.metrics.upstreamError(x.service, kind);
    this.logger.warn(
      { err, upstream: x.service, kind, correlationId: x.correlationId },
      `upstream ${x.service} failed (${kind})`,
    );
    if (!('setHeader' in res)) return;
    if (kind === 'timeout') {
      sendProblem(res, 504, `${x.service} did not answer within ${x.idleTimeoutMs} ms`, x.correlationId);
    } else {
      sendProblem(
        res,
        502,
        kind === 'unreachable' ? `${x.service} is unavailable` : `${x.service} closed the connection`,
        x.correlationId,
      );
    }
  }

  close(): void {
    for (const a of this.agents) a.destroy();
  }
}
