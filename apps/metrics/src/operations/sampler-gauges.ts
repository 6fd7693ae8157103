import { Gauge, type Registry } from 'prom-client';

/** What the offset sampler read last (nothing before its first reading). */
export interface SampledOffsets {
  /** Σ end − committed per consumer group and contract topic it consumes. */
  lag: readonly { groupId: string; topic: string; lag: number }[];
  /** Dead letters not yet replayed per contract DLQ topic. */
  dlq: readonly { topic: string; depth: number }[];
  /** Σ end offset per contract topic: its rate is the events produced per second. */
  ends: readonly { topic: string; end: number }[];
  /** When the reading was taken (ms since the epoch; 0 before the first). */
  at: number;
}

/**
 * The sampler's last reading as Prometheus gauges. A scrape reads memory only: the sampler already pays the ~150
 * Kafka admin requests of a reading on its own schedule, and a scrape every 15 s must not add a second one.
 */
export function registerSamplerGauges(registry: Registry, read: () => SampledOffsets): void {
  new Gauge({
    name: 'messaging_consumer_lag_events',
    help: 'Events a consumer group has not committed yet on a contract topic (end offset − committed), all partitions',
    labelNames: ['group', 'topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const l of read().lag) this.set({ group: l.groupId, topic: l.topic }, l.lag);
    },
  });
  new Gauge({
    name: 'messaging_dlq_pending_events',
    help: 'Dead letters not yet replayed, per dead-letter topic',
    labelNames: ['topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of read().dlq) this.set({ topic: d.topic }, d.depth);
    },
  });
  new Gauge({
    name: 'messaging_topic_end_offset',
    help: 'Sum of the end offsets of a contract topic over its partitions (grows by one per event produced)',
    labelNames: ['topic'],
    registers: [registry],
    collect() {
      this.reset();
      for (const e of read().ends) this.set({ topic: e.topic }, e.end);
    },
  });
  new Gauge({
    name: 'messaging_offsets_sampled_timestamp_seconds',
    help: 'When the offsets behind the lag, DLQ and end-offset gauges were read (0 before the first reading)',
    registers: [registry],
    collect() {
      this.set(read().at / 1000);
    },
  });
}
