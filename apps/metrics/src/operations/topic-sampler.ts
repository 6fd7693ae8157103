import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Admin } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import { dlqTopicOf, topicNames } from '@hoso/contracts';
import { dlqDepth, MessagingService, partitionLag } from '@hoso/messaging';
import { MetricsService } from '@hoso/nest-kit';
import type { Config } from '../config';
import { METRICS_CONFIG } from '../tokens';
import { prune, throughput, type OffsetSample } from './domain/throughput';
import { registerSamplerGauges, type SampledOffsets } from './sampler-gauges';

const WINDOW_MS = 60_000;
/**
 * Unwatched, one reading per half window keeps a baseline, so the first readout after a quiet spell has a rate;
 * a reading costs ~150 Kafka admin requests (every topic, every DLQ and its replay group, every known group), which
 * at the watched pace was a third of the idle platform's broker CPU.
 */
const UNWATCHED_EVERY_MS = WINDOW_MS / 2;
/** How long after the last readout request the sampler keeps the watched pace. */
const WATCHED_FOR_MS = 2 * WINDOW_MS;

export interface TopicReadout {
  topic: string;
  physicalTopic: string;
  endOffset: number;
  windowSeconds: number;
  inPerSec: number | null;
  outPerSec: Record<string, number>;
  /** Dead letters not yet replayed (libs/messaging `dlqDepth`). */
  dlqDepth: number;
}

export interface GroupLag {
  groupId: string;
  /** Σ end − committed over the partitions of the contract topics the group consumes. */
  totalLag: number;
}

export interface DlqDepthReadout {
  /** The contract DLQ name, e.g. `dossier.submitted.v1.dlq`. */
  topic: string;
  sourceTopic: string;
  depth: number;
}

/**
 * Samples every contract topic's end offsets and the known groups' committed offsets every few seconds while an
 * operator watches (every half minute otherwise), in memory (a readout of the last minute needs no storage), and answers throughput, lag and DLQ depth from them.
 */
@Injectable()
export class TopicSampler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly samples = new Map<string, OffsetSample[]>();
  private readonly dlqDepths = new Map<string, number>();
  private lagByGroup: GroupLag[] = [];
  private lagByGroupAndTopic: SampledOffsets['lag'] = [];
  private lastAt = 0;
  private admin: Admin | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private lastDemand = 0;

  constructor(
    @Inject(METRICS_CONFIG) private readonly config: Config,
    private readonly messaging: MessagingService,
    private readonly log: PinoLogger,
    metrics: MetricsService,
  ) {
    this.log.setContext('TopicSampler');
    registerSamplerGauges(metrics.registry, () => this.lastReading());
  }

  /** The last reading for the Prometheus gauges; unlike the operator readouts, a scrape keeps the unwatched pace. */
  private lastReading(): SampledOffsets {
    return {
      lag: this.lagByGroupAndTopic,
      dlq: this.lastAt ? topicNames.map((t) => ({ topic: dlqTopicOf(t), depth: this.dlqDepths.get(t) ?? 0 })) : [],
      ends: [...this.samples].flatMap(([topic, s]) => {
        const last = s[s.length - 1];
        return last ? [{ topic, end: last.end }] : [];
      }),
      at: this.lastAt,
    };
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      const now = Date.now();
      const watched = now - this.lastDemand < WATCHED_FOR_MS;
      if (watched || now - this.lastAt >= Math.max(UNWATCHED_EVERY_MS, this.config.OPS_SAMPLE_EVERY_MS)) {
        void this.sampleOnce();
      }
    }, this.config.OPS_SAMPLE_EVERY_MS);
    this.timer.unref();
    void this.sampleOnce();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = null;
  }

  /** One reading of all topics (concurrent calls share the reading in flight). */
  sampleOnce(): Promise<void> {
    this.inFlight ??= this.read()
      .catch((err: unknown) => {
        this.log.warn({ err }, 'offset sampling failed');
        this.admin?.disconnect().catch(() => undefined);
        this.admin = null;
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  /** Samples now unless the last reading is younger than `maxAgeMs` (the stream asks more often than the timer). */
  async fresh(maxAgeMs: number): Promise<void> {
    this.lastDemand = Date.now();
    if (Date.now() - this.lastAt > maxAgeMs) await this.sampleOnce();
  }

  /** Lag per known group at the last reading (groups that consume no contract topic are left out). */
  lag(): GroupLag[] {
    this.lastDemand = Date.now();
    return this.lagByGroup;
  }

  /** Dead letters not yet replayed per contract DLQ at the last reading. */
  dlq(): DlqDepthReadout[] {
    this.lastDemand = Date.now();
    return topicNames.map((t) => ({ topic: dlqTopicOf(t), sourceTopic: t, depth: this.dlqDepths.get(t) ?? 0 }));
  }

  async readouts(): Promise<{ sampledEveryMs: number; knownGroups: string[]; topics: TopicReadout[] }> {
    this.lastDemand = Date.now();
    if (!this.samples.size) await this.sampleOnce();
    const now = Date.now();
    const prefix = this.config.KAFKA_TOPIC_PREFIX;
    const topics = topicNames.map((topic) => {
      const samples = this.samples.get(topic) ?? [];
      return {
        topic,
        physicalTopic: `${prefix}${topic}`,
        endOffset: samples[samples.length - 1]?.end ?? 0,
        ...throughput(samples, now, WINDOW_MS),
        dlqDepth: this.dlqDepths.get(topic) ?? 0,
      };
    });
    return { sampledEveryMs: this.config.OPS_SAMPLE_EVERY_MS, knownGroups: this.config.KNOWN_GROUPS, topics };
  }

  private async connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.messaging.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  private async read(): Promise<void> {
    const admin = await this.connectedAdmin();
    const prefix = this.config.KAFKA_TOPIC_PREFIX;
    const physical = topicNames.map((t) => `${prefix}${t}`);
    const at = Date.now();
    const ends = await Promise.all(physical.map((t) => admin.fetchTopicOffsets(t)));
    const dlq = await Promise.all(topicNames.map((t) => dlqDepth(admin, `${prefix}${dlqTopicOf(t)}`)));
    const committedByGroup = await Promise.all(
      this.config.KNOWN_GROUPS.map(async (groupId) => ({
        groupId,
        topics: await admin.fetchOffsets({ groupId, topics: physical }),
      })),
    );
    const lag = new Map<string, number>();
    const lagByGroupAndTopic: { groupId: string; topic: string; lag: number }[] = [];
    topicNames.forEach((topic, i) => {
      const end = sum((ends[i] ?? []).map((o) => Number(o.high)));
      const start = sum((ends[i] ?? []).map((o) => Number(o.low)));
      const committed: Record<string, number> = {};
      for (const g of committedByGroup) {
        const t = g.topics.find((x) => x.topic === physical[i]);
        const offsets = (t?.partitions ?? []).filter((p) => p.offset !== '-1');
        // Only groups that ever committed on this topic: the others do not consume it.
        if (!offsets.length) continue;
        committed[g.groupId] = sum(offsets.map((p) => Number(p.offset)));
        const behind = (t?.partitions ?? []).map((p) => {
          const e = ends[i]?.find((o) => o.partition === p.partition);
          return e ? partitionLag(p.offset, e.low, e.high) : 0;
        });
        lag.set(g.groupId, (lag.get(g.groupId) ?? 0) + sum(behind));
        lagByGroupAndTopic.push({ groupId: g.groupId, topic, lag: sum(behind) });
      }
      const list = [...(this.samples.get(topic) ?? []), { at, start, end, committed }];
      this.samples.set(topic, prune(list, at, WINDOW_MS));
      this.dlqDepths.set(topic, dlq[i]?.pending ?? 0);
    });
    this.lagByGroup = this.config.KNOWN_GROUPS.filter((g) => lag.has(g)).map((groupId) => ({
      groupId,
      totalLag: lag.get(groupId) ?? 0,
    }));
    this.lagByGroupAndTopic = lagByGroupAndTopic;
    this.lastAt = at;
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
