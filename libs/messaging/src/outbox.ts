import type { EntityManager, QueryRunner } from 'typeorm';
import { propagation } from '@opentelemetry/api';
import { createEvent, keyOf, type EventMeta, type PayloadOf, type TopicCatalog, type TopicOf } from '@hoso/contracts';
import { messagingTracer, writerContext } from './tracing';

export const OUTBOX_TABLE = 'messaging_outbox';

/** Set on a transaction's query runner by every outbox write: its commit is worth waking the relay for. */
const OUTBOX_WRITTEN = 'hosoOutboxWritten';

/** Marks the transaction of `manager` as having written outbox rows (for rows written with raw SQL). */
export function markOutboxWritten(manager: EntityManager): void {
  const qr = manager.queryRunner;
  if (qr) qr.data = { ...qr.data, [OUTBOX_WRITTEN]: true };
}

/** Whether the transaction on `qr` wrote outbox rows. */
export function outboxWritten(qr: QueryRunner | undefined): boolean {
  return qr?.data[OUTBOX_WRITTEN] === true;
}

export interface OutboxEntry<C extends TopicCatalog, T extends TopicOf<C> = TopicOf<C>> {
  topic: T;
  payload: PayloadOf<C, T>;
  meta: Omit<EventMeta, 'producer'>;
}

/**
 * Writes events into the outbox table inside the caller's transaction, so an event exists if and only
 * if the business change that caused it committed. The relay publishes them afterwards.
 */
export class Outbox<C extends TopicCatalog> {
  constructor(
    private readonly catalog: C,
    private readonly producerName: string,
    /** Physical topic = prefix + contract topic; lets several environments (or test runs) share one cluster. */
    private readonly topicPrefix = '',
  ) {}

  /** Adds one event; returns its eventId. `manager` must be the transaction's EntityManager. */
  async add<T extends TopicOf<C>>(
    manager: EntityManager,
    topic: T,
    payload: PayloadOf<C, T>,
    meta: Omit<EventMeta, 'producer'>,
  ): Promise<string> {
    const [id] = await this.addMany(manager, [{ topic, payload, meta }]);
    return id as string;
  }

  /** Adds several events in one INSERT, in order (their relative order is kept per key on Kafka). */
  async addMany(manager: EntityManager, entries: readonly OutboxEntry<C>[]): Promise<string[]> {
    if (entries.length === 0) return [];
    if (!manager.queryRunner?.isTransactionActive) {
      // Without a transaction the outbox row could commit while the business change fails, or vice versa.
      throw new Error('Outbox.add must run inside a transaction (use dataSource.transaction(manager => …))');
    }
    const values: unknown[] = [];
    const rows: string[] = [];
    const ids: string[] = [];
    const tracing = messagingTracer() !== null;
    for (const e of entries) {
      const event = createEvent(this.catalog, e.topic, e.payload, { ...e.meta, producer: this.producerName });
      const headers: Record<string, string> = {
        'hoso-event-id': event.eventId,
        'hoso-correlation-id': event.correlationId,
      };
      // The writer's trace context travels in the row's headers (the relay turns it into its PRODUCER span's): the
      // INSERT keeps its shape, which intake's single-statement submission renders and checks.
      if (tracing) propagation.inject(writerContext(manager, e.meta.causationId), headers);
      const n = values.length;
      rows.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5})`);
      values.push(
        event.eventId,
        `${this.topicPrefix}${e.topic}`,
        keyOf(this.catalog, e.topic, event),
        JSON.stringify(event),
        headers,
      );
      ids.push(event.eventId);
    }
    await manager.query(
      `INSERT INTO ${OUTBOX_TABLE} (event_id, topic, key, value, headers) VALUES ${rows.join(', ')}`,
      values,
    );
    markOutboxWritten(manager);
    return ids;
  }
}
