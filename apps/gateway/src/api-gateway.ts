import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { InvalidTokenError, type AuthUser, type JwtVerifier } from '@hoso/auth';
import type { Config } from './config';
import { authorize, matchRoute, type RouteGroup } from './domain/route-table';
import type { GatewayMetrics } from './gateway-metrics';
import { sendProblem } from './problem';
import type { RateLimits } from './rate-limits';
import type { Upstreams } from './upstreams';

type Caller = { user: AuthUser; problem: null } | { user: null; problem: string };

/**
 * `/api/<service>/…`: route table → caller → rate limit → role → body size → streaming proxy.
 * Every refusal is the services' error shape with the correlation id, and happens before a byte reaches a service.
 */
export class ApiGateway {
  constructor(
    private readonly config: Pick<Config, 'RATE_LIMIT_ENABLED' | 'JSON_BODY_LIMIT_BYTES' | 'UPLOAD_BODY_LIMIT_BYTES'>,
    private readonly verifier: JwtVerifier,
    private readonly limits: RateLimits,
    private readonly upstreams: Upstreams,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
  ) {}

  async handle(req: Request, res: Response): Promise<void> {
    const correlationId = typeof req.id === 'string' ? req.id : '';
    let labels: { group: RouteGroup | 'none'; upstream: string } = { group: 'none', upstream: 'none' };
    this.metrics.track(res, req.method, () => labels);

    const match = matchRoute(req.method, req.originalUrl);
    if (match.kind === 'bad-path') {
      sendProblem(res, 400, match.reason, correlationId);
      return;
    }
    if (match.kind === 'not-found') {
      sendProblem(res, 404, `no API endpoint ${req.method} ${req.originalUrl.split('?')[0] ?? ''}`, correlationId);
      return;
    }
    const { rule } = match;
    labels = { group: rule.group, upstream: match.service };

    const caller = await this.identify(req, rule.access !== 'public');

    if (this.config.RATE_LIMIT_ENABLED) {
      const client = caller.user ? `sub:${caller.user.sub}` : `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
      const d = await this.limits.consume(rule.group, client);
      res.setHeader('RateLimit-Limit', d.limit);
      res.setHeader('RateLimit-Remaining', d.remaining);
      res.setHeader('RateLimit-Reset', d.resetSec);
      res.setHeader('RateLimit-Policy', d.policy);
      if (!d.allowed) {
        this.metrics.rateLimitRefused(rule.group);
        sendProblem(
          res,
          429,
          `too many ${rule.group} requests: at most ${d.limit} per ${d.windowSec} s; retry in ${d.resetSec} s`,
          correlationId,
          { 'retry-after': d.resetSec },
        );
        return;
      }
    }

    const access = authorize(rule, caller.user, caller.problem ?? '');
    if (!access.allowed) {
      sendProblem(
        res,
        access.status,
        access.message,
        correlationId,
        access.status === 401 ? { 'www-authenticate': 'Bearer realm="hoso"' } : {},
      );
      return;
    }

    const bodyLimit = rule.upload ? this.config.UPLOAD_BODY_LIMIT_BYTES : this.config.JSON_BODY_LIMIT_BYTES;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (Number.isFinite(declared) && declared > bodyLimit) {
      sendProblem(res, 413, `request body of ${declared} bytes is larger than ${bodyLimit} bytes`, correlationId);
      return;
    }

    this.upstreams.forward(req, res, {
      service: match.service,
      upstreamPath: match.upstreamPath,
      correlationId,
      bodyLimit,
      stream: rule.stream === true || String(req.headers.accept).includes('text/event-stream'),
      replayable: rule.replayable === true,
    });
  }

  /**
   * The verified caller. On public routes a token is optional (it only keys the rate limit by subject rather
   * than address), so it is verified only when present.
   */
  private async identify(req: Request, required: boolean): Promise<Caller> {
    const header = req.headers.authorization;
    const token = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
    if (!token) return { user: null, problem: 'missing bearer token' };
    try {
      return { user: await this.verifier.verify(token), problem: null };
    } catch (e) {
      if (!(e instanceof InvalidTokenError)) throw e;
      if (required) this.logger.debug({ reason: e.message, correlationId: req.id }, 'token refused');
      return { user: null, problem: `invalid token: ${e.message}` };
    }
  }
}
