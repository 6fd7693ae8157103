import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { REDIS_CLIENT } from '@hoso/nest-kit';
import type { Config } from '../config';
import { METRICS_CONFIG } from '../tokens';

/** BullMQ's key prefix (the services keep its default): a queue `q` lives under `bull:q:*`. */
const BULL_PREFIX = 'bull';

export const QUEUE_COUNT_NAMES = ['waiting', 'active', 'completed', 'failed', 'delayed', 'paused'] as const;
export type QueueCounts = Record<(typeof QUEUE_COUNT_NAMES)[number], number>;

export interface QueueReadout {
  /** The BullMQ queue name, e.g. `t1a2b3c4.case-sla`. */
  name: string;
  /** The name without the environment's queue prefix, e.g. `case-sla`. */
  queue: string;
  prefix: string;
  counts: QueueCounts;
  /** Set instead of counts when this queue could not be read. */
  error?: string;
}

/** Redis glob metacharacters, escaped so a prefix matches only itself. */
const globEscape = (s: string) => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/**
 * BullMQ job counts of every queue of the environment, found in Redis rather than listed in config: every
 * `Queue` a service creates writes `bull:<name>:meta`, so a SCAN for `bull:<prefix>*:meta` finds new queues too.
 */
@Injectable()
export class QueueReadouts implements BeforeApplicationShutdown {
  private readonly queues = new Map<string, Queue>();
  private discovered: { at: number; names: { name: string; prefix: string }[] } | null = null;

  constructor(
    @Inject(METRICS_CONFIG) private readonly config: Config,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {}

  /** Counts per queue. Discovery (a SCAN of the keyspace) is reused for up to `discoveryMaxAgeMs`. */
  async read(discoveryMaxAgeMs = 0): Promise<{ prefixes: string[]; queues: QueueReadout[] }> {
    const prefixes = this.config.opsQueuePrefixes;
    if (!this.discovered || Date.now() - this.discovered.at > discoveryMaxAgeMs) {
      this.discovered = { at: Date.now(), names: await this.discover(prefixes) };
    }
    const queues = await Promise.all(
      this.discovered.names.map(async ({ name, prefix }) => {
        const base = { name, queue: name.slice(prefix.length), prefix };
        try {
          const counts = await this.queue(name).getJobCounts(...QUEUE_COUNT_NAMES);
          return {
            ...base,
            counts: Object.fromEntries(QUEUE_COUNT_NAMES.map((n) => [n, counts[n] ?? 0])) as QueueCounts,
          };
        } catch (e) {
          const counts = Object.fromEntries(QUEUE_COUNT_NAMES.map((n) => [n, 0])) as QueueCounts;
          return { ...base, counts, error: e instanceof Error ? e.message : String(e) };
        }
      }),
    );
    return { prefixes, queues };
  }

  async beforeApplicationShutdown(): Promise<void> {
    // The queues share the service's Redis client: closing them does not close it.
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }

  private async discover(prefixes: readonly string[]): Promise<{ name: string; prefix: string }[]> {
    const found = new Map<string, string>();
    for (const prefix of prefixes) {
      const match = `${BULL_PREFIX}:${globEscape(prefix)}*:meta`;
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          const name = key.slice(BULL_PREFIX.length + 1, -':meta'.length);
          // A longer prefix that also matches wins (e.g. `t1.` and `t1.x-`): names are shown once.
          if (!name.includes(':') && (found.get(name)?.length ?? -1) < prefix.length) found.set(name, prefix);
        }
      } while (cursor !== '0');
    }
    return [...found].map(([name, prefix]) => ({ name, prefix })).sort((a, b) => a.name.localeCompare(b.name));
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      // skipMetasUpdate: reading a queue must not write to it (nor bring a deleted one back).
      q = new Queue(name, { connection: this.redis, skipMetasUpdate: true });
      // A connection error also rejects the read in flight, which reports it; unhandled, the event would crash.
      q.on('error', () => undefined);
      this.queues.set(name, q);
    }
    return q;
  }
}
