import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Admin } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import { dlqTopicOf, topicNames } from '@hoso/contracts';
import { MessagingService } from '@hoso/messaging';
import type { Config } from '../config';
import { METRICS_CONFIG } from '../tokens';
import { prune, throughput, type OffsetSample } from './domain/throughput';

const WINDOW_MS = 60_000;

export interface TopicReadout {
  topic: string;
  physicalTopic: string;
  endOffset: number;
  windowSeconds: number;
  inPerSec: number | null;
  outPerSec: Record<string, number>;
  dlqDepth: number;
}

/**
 * Samples every contract topic's end offsets and the known groups' committed offsets every few seconds, in
 * memory (a readout of the last minute needs no storage), and answers throughput and DLQ depth from them.
 */
@Injectable()
export class TopicSampler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly samples = new Map<string, OffsetSample[]>();
  private readonly dlqDepths = new Map<string, number>();
  private admin: Admin | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    @Inject(METRICS_CONFIG) private readonly config: Config,
    private readonly messaging: MessagingService,
    private readonly log: PinoLogger,
  ) {
    this.log.setContext('TopicSampler');
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      void this.sampleOnce();
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

  async readouts(): Promise<{ sampledEveryMs: number; knownGroups: string[]; topics: TopicReadout[] }> {
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
    const dlq = await Promise.all(topicNames.map((t) => admin.fetchTopicOffsets(`${prefix}${dlqTopicOf(t)}`)));
    const committedByGroup = await Promise.all(
      this.config.KNOWN_GROUPS.map(async (groupId) => ({
        groupId,
        topics: await admin.fetchOffsets({ groupId, topics: physical }),
      })),
    );
    topicNames.forEach((topic, i) => {
      const end = sum((ends[i] ?? []).map((o) => Number(o.high)));
      const start = sum((ends[i] ?? []).map((o) => Number(o.low)));
      const committed: Record<string, number> = {};
      for (const g of committedByGroup) {
        const t = g.topics.find((x) => x.topic === physical[i]);
        const offsets = (t?.partitions ?? []).filter((p) => p.offset !== '-1');
        // Only groups that ever committed on this topic: the others do not consume it.
        if (offsets.length) committed[g.groupId] = sum(offsets.map((p) => Number(p.offset)));
      }
      const list = [...(this.samples.get(topic) ?? []), { at, start, end, committed }];
      this.samples.set(topic, prune(list, at, WINDOW_MS));
      this.dlqDepths.set(topic, sum((dlq[i] ?? []).map((o) => Number(o.high) - Number(o.low))));
    });
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
