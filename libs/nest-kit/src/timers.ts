import { Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * One kind of BullMQ job (a timer, a schedule, a pending side effect) that PostgreSQL's committed state says
 * should exist. PostgreSQL is the source of truth; Redis only holds the jobs, so they can always be derived again.
 */
export interface TimerSource {
  /** For logs, e.g. 'sla' or 'payment-expiry'. */
  name: string;
  /**
   * Adds every job the committed state calls for, with deterministic job ids (an add of an id that exists is a
   * no-op in BullMQ), and re-ensures repeatable schedules. Workers re-read the committed state, so a job added
   * again after it already ran does nothing. Returns how many jobs it ensured, for the log.
   */
  ensure(): Promise<number>;
}

export interface TimerKeeperOptions {
  service: string;
  /** Isolates the marker of runs that share one Redis (tests, environments): the service's topic prefix. */
  namespace: string;
  /** How often Redis is checked for a loss (the marker key gone, another server run); default 5 s. */
  checkEveryMs?: number;
  /** A full rebuild even without a detected loss (a crash between a commit and its enqueue); default 60 s. */
  rebuildEveryMs?: number;
}

/** Parses `INFO` output into its fields. */
export function parseRedisInfo(info: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of info.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/**
 * What in a Redis server's settings can lose BullMQ jobs: an eviction policy other than `noeviction` drops keys
 * under memory pressure (BullMQ's own requirement), and a server without AOF loses everything since its last
 * snapshot on a restart. Returns one sentence per finding; empty when the server keeps jobs.
 */
export function redisJobRisks(info: Record<string, string>): string[] {
  const risks: string[] = [];
  const policy = info['maxmemory_policy'];
  if (policy !== undefined && policy !== 'noeviction') {
    risks.push(`maxmemory-policy is ${policy}: Redis may evict queued jobs under memory pressure (use noeviction)`);
  }
  if (info['aof_enabled'] === '0') {
    risks.push('appendonly is off: a Redis restart loses the jobs written since its last snapshot');
  }
  return risks;
}

/**
 * Keeps a service's Redis-held jobs in line with PostgreSQL. On start it warns when Redis could drop jobs, then
 * runs every registered source; afterwards it rebuilds at once when Redis lost its data (a marker key it sets is
 * gone — a FLUSHALL, a restart without persistence — or the server's run id changed) and in any case every
 * `rebuildEveryMs`, which also covers a process that died between a commit and the enqueue that follows it.
 */
export class TimerKeeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly sources: TimerSource[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastRunId: string | undefined;
  private lastRebuild = 0;
  private rebuilds = 0;

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly options: TimerKeeperOptions,
  ) {}

  private get markerKey(): string {
    return `hoso:timers:${this.options.namespace}${this.options.service}`;
  }

  register(source: TimerSource): void {
    this.sources.push(source);
  }

  /** How many rebuilds have run (readouts and tests). */
  get rebuildCount(): number {
    return this.rebuilds;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.sources.length === 0) return;
    await this.warnIfRedisLoses().catch((err: unknown) => {
      this.logger.warn({ err }, 'could not read the Redis settings');
    });
    // Not awaited: a service with many open timers listens while they are re-added (each add is idempotent).
    void this.rebuild('start');
    this.timer = setInterval(() => void this.check(), this.options.checkEveryMs ?? 5_000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async warnIfRedisLoses(): Promise<void> {
    const info = parseRedisInfo(await this.redis.info());
    this.lastRunId = info['run_id'];
    for (const risk of redisJobRisks(info)) {
      this.logger.warn(
        { redis: { maxmemoryPolicy: info['maxmemory_policy'], aofEnabled: info['aof_enabled'] } },
        `Redis ${risk}; lost jobs are rebuilt from PostgreSQL within ${this.options.checkEveryMs ?? 5_000} ms of a detected loss`,
      );
    }
  }

  /** One check: cheap (EXISTS + the run id) unless a rebuild is due. Never throws; a Redis outage is retried. */
  async check(): Promise<void> {
    if (this.running) return;
    try {
      const [exists, server] = await Promise.all([this.redis.exists(this.markerKey), this.redis.info('server')]);
      const runId = parseRedisInfo(server)['run_id'];
      const restarted = this.lastRunId !== undefined && runId !== undefined && runId !== this.lastRunId;
      this.lastRunId = runId;
      if (exists === 0 || restarted) await this.rebuild(restarted ? 'redis restarted' : 'redis lost its data');
      else if (Date.now() - this.lastRebuild >= (this.options.rebuildEveryMs ?? 60_000)) await this.rebuild('periodic');
    } catch (err) {
      this.logger.debug({ err }, 'timer check failed; retried at the next check');
    }
  }

  /** Runs every source once (never two rebuilds at a time); the marker is set only once all succeeded. */
  rebuild(reason: string): Promise<void> {
    this.running ??= this.runSources(reason).finally(() => (this.running = undefined));
    return this.running;
  }

  private async runSources(reason: string): Promise<void> {
    const started = Date.now();
    const counts: Record<string, number> = {};
    let failed = false;
    for (const source of this.sources) {
      try {
        counts[source.name] = await source.ensure();
      } catch (err) {
        failed = true;
        this.logger.warn({ err, source: source.name }, 'timer rebuild failed; retried at the next check');
      }
    }
    this.lastRebuild = Date.now();
    this.rebuilds += 1;
    if (!failed) await this.redis.set(this.markerKey, new Date(started).toISOString()).catch(() => undefined);
    const level = reason === 'periodic' || reason === 'start' ? 'debug' : 'warn';
    this.logger[level]({ reason, ensured: counts, ms: Date.now() - started }, 'timers rebuilt from PostgreSQL');
  }
}

/**
 * Gives the service one TimerKeeper over its shared Redis client; job modules `register` their sources in
 * `onModuleInit`. Built by platformModules; exported for services that build their module list by hand.
 */
@Module({})
export class TimerKeeperModule {
  static forRoot(o: { redisToken: symbol; logger: Logger; options: TimerKeeperOptions }): DynamicModule {
    return {
      module: TimerKeeperModule,
      global: true,
      providers: [
        {
          provide: TimerKeeper,
          inject: [o.redisToken],
          useFactory: (redis: Redis) => new TimerKeeper(redis, o.logger, o.options),
        },
      ],
      exports: [TimerKeeper],
    };
  }
}
