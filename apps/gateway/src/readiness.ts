import type { Redis } from 'ioredis';
import type { UpstreamPool } from './upstream-pool';

interface Outcome {
  ok: boolean;
  message: string;
  at: number;
}

/** Also the active health check of every replica: a replica that is back takes requests again within this. */
const EVERY_MS = 3000;
const UPSTREAM_TIMEOUT_MS = 4000;
const REDIS_TIMEOUT_MS = 2000;
/** A result older than this means the watcher itself is stuck: not ready. */
const STALE_MS = 30_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      reject(new Error(`${what}: no answer in ${ms} ms`));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * Readiness of what the gateway needs (Redis, and at least one replica of each service answering its own
 * `/health/ready`), checked in the background every few seconds. A readiness probe reads the last results instead
 * of calling the services while it waits: an upstream's own readiness may take up to its probe timeout, and a busy
 * moment of this process must not make the gateway flap out of the load balancer. Each replica's result also goes
 * to the pool's balancer (the active health check), so a replica not ready is skipped and one that is back is used.
 */
export class ReadinessWatcher {
  private readonly last = new Map<string, Outcome>();
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly pool: UpstreamPool,
  ) {}

  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Probes for nest-kit's HealthModule: each resolves when its dependency was up at the last check. */
  probes(): Record<string, () => Promise<void>> {
    const names = ['redis', ...this.pool.services()];
    return Object.fromEntries(names.map((name) => [name, () => this.probe(name)]));
  }

  private async probe(name: string): Promise<void> {
    // Before the first round has finished, wait for it rather than answer without knowing.
    if (!this.last.has(name)) await this.round;
    const o = this.last.get(name);
    if (!o) throw new Error('not checked yet');
    if (Date.now() - o.at > STALE_MS) throw new Error(`last checked ${Math.round((Date.now() - o.at) / 1000)} s ago`);
    if (!o.ok) throw new Error(o.message);
  }

  private check(): Promise<void> {
    if (this.round) return this.round;
    const record = (name: string, p: Promise<unknown>) =>
      p.then(
        () => {
          this.last.set(name, { ok: true, message: 'up', at: Date.now() });
        },
        (e: unknown) => {
          const code = (e as { cause?: { code?: string } }).cause?.code;
          this.last.set(name, {
            ok: false,
            message: code ?? (e instanceof Error ? e.message : String(e)),
            at: Date.now(),
          });
        },
      );
    const replica = async (url: string): Promise<string | null> => {
      try {
        const res = await fetch(new URL('/health/ready', url), { signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
        await res.body?.cancel();
        return res.status === 200 ? null : `readiness answered ${res.status}`;
      } catch (e) {
        return (e as { cause?: { code?: string } }).cause?.code ?? (e instanceof Error ? e.message : String(e));
      }
    };
    this.round = Promise.all([
      record('redis', withTimeout(this.redis.ping(), REDIS_TIMEOUT_MS, 'redis')),
      ...this.pool.services().map((name) => {
        const balancer = this.pool.of(name);
        return record(
          name,
          Promise.all(
            balancer.urls.map(async (url) => {
              const problem = await replica(url);
              balancer.checked(url, problem === null, problem);
              return { url, problem };
            }),
          ).then((results) => {
            // Ready while one replica is: the balancer sends every request to the ready ones.
            if (results.some((r) => r.problem === null)) return;
            throw new Error(
              results.length === 1
                ? (results[0]?.problem ?? 'not ready')
                : `no replica ready (${results.map((r) => `${r.url}: ${r.problem ?? ''}`).join('; ')})`,
            );
          }),
        );
      }),
    ]).then(() => {
      this.round = null;
    });
    return this.round;
  }
}
