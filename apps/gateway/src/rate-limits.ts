import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitSetting } from './config';
import { ROUTE_GROUPS, type RouteGroup } from './domain/route-table';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets (the Retry-After of a refusal). */
  resetSec: number;
  windowSec: number;
  /** `RateLimit-Policy`: `<limit>;w=<window seconds>`. */
  policy: string;
  /** Counted in this process only, because Redis did not answer. */
  degraded: boolean;
}

const WARN_EVERY_MS = 30_000;

/**
 * Per-client budgets per route group, counted in Redis so every gateway replica draws on the same budget.
 *
 * When Redis does not answer, the request is counted in this process's memory with the same budget instead:
 * neither fail-open (a Redis outage would switch off the sign-in brute-force protection exactly when nobody
 * watches it) nor fail-closed (a Redis blip would lock every citizen out of signing in). With N replicas the
 * effective budget is at most N times the configured one until Redis is back — bounded, and logged as a warning.
 */
export class RateLimits {
  private readonly shared = new Map<RouteGroup, RateLimiterRedis>();
  private readonly local = new Map<RouteGroup, RateLimiterMemory>();
  private lastWarnAt = 0;

  constructor(
    redis: Redis,
    private readonly settings: Readonly<Record<RouteGroup, RateLimitSetting>>,
    keyPrefix: string,
    private readonly logger: Logger,
    private readonly onDegraded: (group: RouteGroup) => void = () => undefined,
  ) {
    for (const group of ROUTE_GROUPS) {
      const { points, durationSec: duration } = settings[group];
      this.shared.set(
        group,
        new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `${keyPrefix}:${group}`,
          points,
          duration,
          // Fall back at once while disconnected instead of waiting for a reconnect.
          rejectIfRedisNotReady: true,
        }),
      );
      this.local.set(group, new RateLimiterMemory({ keyPrefix: group, points, duration }));
    }
  }

  /** Takes one request from `client`'s budget for `group` (client: `sub:<token subject>` or `ip:<address>`). */
  async consume(group: RouteGroup, client: string): Promise<RateDecision> {
    const { points, durationSec } = this.settings[group];
    const policy = `${points};w=${durationSec}`;
    const decide = (r: RateLimiterRes, allowed: boolean, degraded: boolean): RateDecision => ({
      allowed,
      limit: points,
      remaining: Math.max(0, r.remainingPoints),
      resetSec: Math.max(1, Math.ceil(r.msBeforeNext / 1000)),
      windowSec: durationSec,
      policy,
      degraded,
    });
    try {
      return decide(await (this.shared.get(group) as RateLimiterRedis).consume(client), true, false);
    } catch (e) {
      if (e instanceof RateLimiterRes) return decide(e, false, false);
      this.warnDegraded(e);
      this.onDegraded(group);
    }
    try {
      return decide(await (this.local.get(group) as RateLimiterMemory).consume(client), true, true);
    } catch (e) {
      if (e instanceof RateLimiterRes) return decide(e, false, true);
      throw e;
    }
  }

  private warnDegraded(e: unknown): void {
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.logger.warn(
      { err: e },
      'rate limits: Redis did not answer; counting in this process only until it does (budgets are per replica meanwhile)',
    );
  }
}
