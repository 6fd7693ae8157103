import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Response } from 'express';
import { PinoLogger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import type { Config } from '../config';
import { ratesSummary } from '../rates/rates.query';
import { CLOCK, METRICS_CONFIG, type Clock } from '../tokens';
import { QueueReadouts } from './queue-readout';
import { TopicSampler } from './topic-sampler';

/** Queue names are found by a SCAN of the keyspace: at most this often per stream, counts on every event. */
const QUEUE_DISCOVERY_MAX_AGE_MS = 10_000;

interface Stream {
  res: Response;
  tick: NodeJS.Timeout | null;
  heartbeat: NodeJS.Timeout;
  closed: boolean;
}

/**
 * `GET /operations/stream`: Server-Sent Events for the operator dashboard. Every OPS_STREAM_EVERY_MS an
 * `operations` event (throughput, lag, DLQ depths, queues) and a `rates` event (the national summary); a comment
 * line every OPS_STREAM_HEARTBEAT_MS. Each stream owns two timers, cleared when the client goes away.
 */
@Injectable()
export class OperationsStream implements BeforeApplicationShutdown {
  private readonly streams = new Set<Stream>();

  constructor(
    @Inject(METRICS_CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly sampler: TopicSampler,
    private readonly queues: QueueReadouts,
    private readonly db: DataSource,
    private readonly log: PinoLogger,
  ) {
    this.log.setContext('OperationsStream');
  }

  /** Streams with live timers (tests check that a closed connection leaves none). */
  get open(): number {
    return this.streams.size;
  }

  start(res: Response): void {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Connection', 'keep-alive');
    // nginx and similar proxies buffer responses unless told not to: events would arrive in bursts.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write(`retry: 5000\n: operations stream, every ${this.config.OPS_STREAM_EVERY_MS} ms\n\n`);
    const heartbeat = setInterval(() => {
      if (!res.writableNeedDrain) res.write(`: heartbeat ${new Date().toISOString()}\n\n`);
    }, this.config.OPS_STREAM_HEARTBEAT_MS);
    const stream: Stream = { res, tick: null, heartbeat, closed: false };
    this.streams.add(stream);
    res.on('close', () => {
      this.stop(stream);
    });
    void this.tick(stream);
  }

  beforeApplicationShutdown(): void {
    // Open streams would keep the HTTP server from closing.
    for (const s of [...this.streams]) {
      this.stop(s);
      s.res.end();
    }
  }

  private stop(s: Stream): void {
    s.closed = true;
    if (s.tick) clearTimeout(s.tick);
    clearInterval(s.heartbeat);
    this.streams.delete(s);
  }

  /** One round of events, then the next round after the interval (rounds never overlap, however slow). */
  private async tick(s: Stream): Promise<void> {
    const started = Date.now();
    // A client that does not read is not sent more: the round is skipped, not queued.
    if (!s.res.writableNeedDrain) {
      try {
        const [operations, rates] = await Promise.all([this.operations(), this.rates()]);
        if (s.closed) return;
        s.res.write(`event: operations\ndata: ${JSON.stringify(operations)}\n\n`);
        if (rates) s.res.write(`event: rates\ndata: ${JSON.stringify(rates)}\n\n`);
      } catch (err) {
        this.log.warn({ err }, 'operations stream round failed');
      }
    }
    if (s.closed) return;
    s.tick = setTimeout(
      () => {
        void this.tick(s);
      },
      Math.max(0, this.config.OPS_STREAM_EVERY_MS - (Date.now() - started)),
    );
  }

  /** Each part read on its own: Redis being down must not hide the Kafka readouts, and the reverse. */
  private async operations() {
    const errors: Record<string, string> = {};
    const part = async <T>(name: string, read: () => Promise<T>, empty: T): Promise<T> => {
      try {
        return await read();
      } catch (err) {
        errors[name] = err instanceof Error ? err.message : String(err);
        return empty;
      }
    };
    const [kafka, queues] = await Promise.all([
      part(
        'kafka',
        async () => {
          await this.sampler.fresh(this.config.OPS_STREAM_EVERY_MS);
          const r = await this.sampler.readouts();
          return {
            topics: r.topics.map((t) => ({
              topic: t.topic,
              inPerSec: t.inPerSec,
              outPerSec: t.outPerSec,
              endOffset: t.endOffset,
              windowSeconds: t.windowSeconds,
            })),
            lag: this.sampler.lag(),
            dlq: this.sampler.dlq(),
          };
        },
        { topics: [], lag: [], dlq: [] },
      ),
      part('queues', async () => (await this.queues.read(QUEUE_DISCOVERY_MAX_AGE_MS)).queues, []),
    ]);
    return { at: new Date().toISOString(), ...kafka, queues, ...(Object.keys(errors).length ? { errors } : {}) };
  }

  private async rates() {
    try {
      return await ratesSummary(this.db, { range: { from: null, to: null }, now: this.clock.now() });
    } catch (err) {
      this.log.warn({ err }, 'rates summary for the operations stream failed');
      return null;
    }
  }
}
