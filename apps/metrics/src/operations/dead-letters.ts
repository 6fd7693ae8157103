import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { dlqTopicOf, topicNames } from '@hoso/contracts';
import { createKafka, dlqDepth, EventProducer, readDlq, replayDlq, type DlqDepth } from '@hoso/messaging';
import type { Config } from '../config';
import { METRICS_CONFIG, ROOT_LOGGER } from '../tokens';
import { deadLetterView, notPending, type DeadLetterView } from './dead-letter-view';

/** Every contract topic's DLQ, by its contract name (`dossier.submitted.v1.dlq`). */
const DLQ_TOPICS: ReadonlyMap<string, string> = new Map(topicNames.map((t) => [dlqTopicOf(t), t]));

export interface DlqTopicReadout {
  topic: string;
  sourceTopic: string;
  physicalTopic: string;
  /** Dead letters not yet replayed (see DlqDepth.pending). */
  depth: number;
  /** Dead letters still in the topic, replayed or not. */
  held: number;
  /** Kafka timestamp of the oldest dead letter not yet replayed; null when there is none. */
  oldestAt: string | null;
  replayGroup: string;
  partitions: DlqDepth['partitions'];
}

/**
 * The operator's view of the dead-letter topics, on libs/messaging's DLQ code: depth as `dlqDepth` defines it,
 * messages as `readDlq` reads them, replay through `replayDlq` (the same code and replay group as `npm run dlq`).
 *
 * It talks to Kafka as the `operator` user, not as metrics: reading every dead-letter topic and writing every source
 * topic are the operator's rights, which the projection's user must not hold (docs/security.md).
 */
@Injectable()
export class DeadLetters implements OnModuleDestroy {
  /** One replay per topic at a time in this process: two members of the replay group would split the partitions. */
  private readonly replaying = new Set<string>();

  private readonly kafka: Kafka;
  private readonly producer: EventProducer;

  constructor(
    @Inject(METRICS_CONFIG) private readonly config: Config,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.kafka = createKafka({
      clientId: 'metrics-operator',
      brokers: config.KAFKA_BROKERS,
      sasl: config.operatorKafkaSasl,
      logger,
    });
    // Connects on the first replay only.
    this.producer = new EventProducer(this.kafka);
  }

  async onModuleDestroy(): Promise<void> {
    await this.producer.disconnect();
  }

  async overview(): Promise<{ asOf: string; totalDepth: number; topics: DlqTopicReadout[] }> {
    const asOf = new Date().toISOString();
    const depths = await this.withAdmin((admin) =>
      Promise.all([...DLQ_TOPICS.keys()].map((t) => dlqDepth(admin, this.physical(t)))),
    );
    const topics = await Promise.all(
      [...DLQ_TOPICS].map(async ([topic, sourceTopic], i) => {
        const d = depths[i] as DlqDepth;
        return {
          topic,
          sourceTopic,
          physicalTopic: d.topic,
          depth: d.pending,
          held: d.held,
          oldestAt: d.pending > 0 ? await this.oldestPending(d.topic) : null,
          replayGroup: d.replayGroup,
          partitions: d.partitions,
        };
      }),
    );
    return { asOf, totalDepth: topics.reduce((s, t) => s + t.depth, 0), topics };
  }

  async messages(
    topic: string,
    q: { limit: number; state: 'pending' | 'all' },
  ): Promise<{
    topic: string;
    physicalTopic: string;
    state: string;
    depth: number;
    held: number;
    messages: DeadLetterView[];
  }> {
    const physical = this.known(topic);
    const depth = await this.withAdmin((admin) => dlqDepth(admin, physical));
    const entries =
      (q.state === 'pending' ? depth.pending : depth.held) === 0
        ? []
        : await readDlq(this.kafka, physical, {
            limit: q.limit,
            from: q.state === 'pending' ? 'pending' : 'start',
          });
    const replayedTo = new Map(depth.partitions.map((p) => [p.partition, BigInt(p.replayedTo)]));
    const messages = entries
      .map((e) => deadLetterView(e, replayedTo.get(e.partition)))
      .sort(
        (a, b) =>
          a.timestamp.localeCompare(b.timestamp) ||
          a.partition - b.partition ||
          Number(BigInt(a.offset) - BigInt(b.offset)),
      );
    return { topic, physicalTopic: physical, state: q.state, depth: depth.pending, held: depth.held, messages };
  }

  /** Sends dead letters back to their topics; with `messageIds`, only those (each must be waiting for a replay). */
  async replay(
    topic: string,
    body: { limit?: number | undefined; messageIds?: string[] | undefined },
  ): Promise<{ topic: string; replayed: number; byTopic: Record<string, number> }> {
    const physical = this.known(topic);
    const ids = body.messageIds ? new Set(body.messageIds) : null;
    if (ids) {
      const depth = await this.withAdmin((admin) => dlqDepth(admin, physical));
      const refused = notPending([...ids], depth.partitions);
      if (refused.length) {
        throw new BadRequestException(
          `not waiting for a replay in ${topic} (already replayed, or no such message): ${refused.join(', ')}`,
        );
      }
    }
    if (this.replaying.has(physical)) throw new ConflictException(`a replay of ${topic} is already running`);
    this.replaying.add(physical);
    try {
      const limit = Math.min(body.limit ?? Number.POSITIVE_INFINITY, ids?.size ?? Number.POSITIVE_INFINITY);
      const result = await replayDlq(this.kafka, this.producer, physical, {
        ...(Number.isFinite(limit) ? { limit } : {}),
        ...(ids ? { select: (e) => ids.has(e.id) } : {}),
      });
      return { topic, ...result };
    } finally {
      this.replaying.delete(physical);
    }
  }

  private async oldestPending(physical: string): Promise<string | null> {
    const oldest = await readDlq(this.kafka, physical, {
      from: 'pending',
      perPartition: 1,
      timeoutMs: 30_000,
    });
    return oldest.map((e) => e.timestamp).sort()[0] ?? null;
  }

  /** The physical DLQ topic of a contract DLQ name; 404 for anything else. */
  private known(topic: string): string {
    if (!DLQ_TOPICS.has(topic)) throw new NotFoundException(`no dead-letter topic ${topic}`);
    return this.physical(topic);
  }

  private physical(topic: string): string {
    return `${this.config.KAFKA_TOPIC_PREFIX}${topic}`;
  }

  private async withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  }
}
