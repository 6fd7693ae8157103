import type { IHeaders, Kafka, Producer } from 'kafkajs';
import { createEvent, keyOf, type EventMeta, type PayloadOf, type TopicCatalog, type TopicOf } from '@hoso/contracts';

export interface OutgoingMessage {
  topic: string;
  key: string;
  /** Null: a tombstone (a dead letter keeps its original's null). */
  value: string | Buffer | null;
  headers?: IHeaders;
}

/**
 * The only way hoso writes to Kafka: an idempotent producer (acks=all, one in-flight request, so
 * broker-side retries never reorder or duplicate) that sends many messages per request.
 */
export class EventProducer {
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  connect(): Promise<void> {
    this.connected ??= this.producer.connect();
    return this.connected;
  }

  /** One produce request per broker for the whole list; per-key order is the list's order. */
  async sendBatch(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.connect();
    const byTopic = new Map<string, { key: string; value: string | Buffer | null; headers?: IHeaders }[]>();
    for (const m of messages) {
      let list = byTopic.get(m.topic);
      if (!list) byTopic.set(m.topic, (list = []));
      list.push(m.headers ? { key: m.key, value: m.value, headers: m.headers } : { key: m.key, value: m.value });
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })),
    });
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    await this.connected.catch(() => undefined);
    this.connected = null;
    await this.producer.disconnect();
  }
}

/**
 * Typed publishing outside a database transaction (e.g. metrics snapshots): the topic ties the payload
 * type, the payload is validated before it leaves, and concurrent calls are coalesced into one request.
 */
export class TypedPublisher<C extends TopicCatalog> {
  private pending: { message: OutgoingMessage; done: (e?: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly catalog: C,
    private readonly producer: EventProducer,
    private readonly producerName: string,
    private readonly topicPrefix = '',
  ) {}

  publish<T extends TopicOf<C>>(
    topic: T,
    payload: PayloadOf<C, T>,
    meta: Omit<EventMeta, 'producer'>,
  ): Promise<string> {
    const event = createEvent(this.catalog, topic, payload, { ...meta, producer: this.producerName });
    const message: OutgoingMessage = {
      topic: `${this.topicPrefix}${topic}`,
      key: keyOf(this.catalog, topic, event),
      value: JSON.stringify(event),
      headers: { 'hoso-event-id': event.eventId, 'hoso-correlation-id': event.correlationId },
    };
    return new Promise<string>((resolve, reject) => {
      this.pending.push({
        message,
        done: (e) => {
          if (e) reject(e instanceof Error ? e : new Error('publish failed'));
          else resolve(event.eventId);
        },
      });
      this.flushing ??= Promise.resolve().then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    // Everything published during one tick (and while the previous request was in flight) goes in one request.
    while (this.pending.length) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.producer.sendBatch(batch.map((p) => p.message));
        for (const p of batch) p.done();
      } catch (e) {
        for (const p of batch) p.done(e);
      }
    }
    this.flushing = null;
  }
}
