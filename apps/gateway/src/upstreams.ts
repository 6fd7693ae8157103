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
import type { ServiceName } from './domain/route-table';
import type { GatewayMetrics } from './gateway-metrics';
import { sendProblem } from './problem';

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
}

export interface ForwardOptions {
  service: ServiceName;
  /** Path and query as the service sees them (`/procedures?page=2`). */
  upstreamPath: string;
  correlationId: string;
  bodyLimit: number;
  stream: boolean;
}

export interface UpstreamSettings {
  urls: Readonly<Record<ServiceName, string>>;
  timeoutMs: number;
  streamIdleTimeoutMs: number;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and ones this hop has already acted on. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'upgrade', 'expect'];

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * One streaming reverse proxy per service (http-proxy-middleware over keep-alive agents). Request bodies are piped
 * as they arrive and counted on the way, so a 10 MiB upload never sits in the gateway's memory and a body larger
 * than its limit is cut off (413) even without a Content-Length. Responses — JSON, PDFs, Server-Sent Events — are
 * piped back unbuffered and uncompressed.
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
    for (const [service, url] of Object.entries(settings.urls) as [ServiceName, string][]) {
      // Below the services' 5 s keep-alive, so the gateway never reuses a socket the service is closing.
      const agentOptions = { keepAlive: true, timeout: 4000, maxFreeSockets: 64 };
      const agent = url.startsWith('https:') ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
      this.agents.push(agent);
      this.proxies.set(
        service,
        createProxyMiddleware({
          target: url,
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
    const proxy = this.proxies.get(o.service);
    if (!proxy) throw new Error(`no upstream for ${o.service}`);
    this.exchanges.set(req, {
      service: o.service,
      correlationId: o.correlationId,
      bodyLimit: o.bodyLimit,
      idleTimeoutMs: o.stream ? this.settings.streamIdleTimeoutMs : this.settings.timeoutMs,
      received: 0,
      overLimit: false,
      timedOut: false,
      proxyReq: null,
    });
    req.url = o.upstreamPath;
    for (const h of HOP_BY_HOP) Reflect.deleteProperty(req.headers, h);
    // The service logs and stamps its events with the same id the caller got back.
    req.headers[CORRELATION_HEADER] = o.correlationId;
    if (o.stream) req.socket.setNoDelay(true);
    void proxy(req, res, (err?: unknown) => {
      // Only reached when the proxy could not even start (no target): a bug, answered as an upstream failure.
      this.logger.error({ err, correlationId: o.correlationId }, 'proxy failed to start');
      sendProblem(res, 502, `${o.service} could not be reached`, o.correlationId);
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
