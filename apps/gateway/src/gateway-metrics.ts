import type { ServerResponse } from 'node:http';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { RouteGroup } from './domain/route-table';

/** What the gateway adds to the shared process metrics: traffic per route group and upstream, refusals, errors. */
export class GatewayMetrics {
  private readonly requests: Counter<'group' | 'upstream' | 'method' | 'status'>;
  private readonly duration: Histogram<'group' | 'upstream' | 'status'>;
  private readonly rateLimited: Counter<'group'>;
  private readonly degraded: Counter<'group'>;
  private readonly upstreamErrors: Counter<'upstream' | 'kind'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'gateway_requests_total',
      help: 'Requests answered by the gateway, by route group, upstream service, method and status',
      labelNames: ['group', 'upstream', 'method', 'status'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'gateway_request_duration_seconds',
      help: 'Time from request to the end of the response (streams excluded), by route group and upstream',
      labelNames: ['group', 'upstream', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.rateLimited = new Counter({
      name: 'gateway_rate_limited_total',
      help: 'Requests refused with 429, by route group',
      labelNames: ['group'],
      registers: [registry],
    });
    this.degraded = new Counter({
      name: 'gateway_rate_limit_degraded_total',
      help: 'Requests counted in process memory because Redis did not answer, by route group',
      labelNames: ['group'],
      registers: [registry],
    });
    this.upstreamErrors = new Counter({
      name: 'gateway_upstream_errors_total',
      help: 'Upstream failures answered 502/504, by upstream and kind (unreachable, timeout, reset)',
      labelNames: ['upstream', 'kind'],
      registers: [registry],
    });
  }

  /** Counts the request when its response is over (finished, or cut by either side). */
  track(res: ServerResponse, method: string, labels: () => { group: RouteGroup | 'none'; upstream: string }): void {
    const end = this.duration.startTimer();
    res.once('close', () => {
      const { group, upstream } = labels();
      const status = String(res.statusCode);
      this.requests.inc({ group, upstream, method, status });
      if (group !== 'stream') end({ group, upstream, status });
    });
  }

  rateLimitRefused(group: RouteGroup): void {
    this.rateLimited.inc({ group });
  }

  rateLimitDegraded(group: RouteGroup): void {
    this.degraded.inc({ group });
  }

  upstreamError(upstream: string, kind: 'unreachable' | 'timeout' | 'reset'): void {
    this.upstreamErrors.inc({ upstream, kind });
  }
}
