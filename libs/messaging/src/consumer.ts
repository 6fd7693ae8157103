import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { decodeEvent, type EventOf, type TopicCatalog, type TopicOf } from '@hoso/contracts';
import { deadLetterMessage } from './dlq';
import type { Logger } from './logger';
import type { EventProducer } from './producer';

export const INBOX_TABLE = 'messaging_inbox';

export interface HandlerContext {
  /** The batch transaction's manager: write the effect with it, so effect and inbox row commit together. */
  manager: EntityManager;
  topic: string;
  partition: number;
  offset: string;
  attempt: number;
}

export type EventHandler<C extends TopicCatalog, T extends TopicOf<C>> = (
  event: EventOf<C, T>,
  ctx: HandlerContext,
) => Promise<void>;

export type HandlerMap<C extends TopicCatalog> = { [T in TopicOf<C>]?: EventHandler<C, T> };

/** Thrown by a handler when retrying cannot help (e.g. a business rule refuses the event): straight to the DLQ. */
export class NonRetriableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetriableError';
  }
}

/** Called after each committed batch (for metrics). */
export type BatchObserver = (batch: {
  topic: string;
  partition: number;
  processed: number;
  duplicates: number;
  deadLettered: number;
  seconds: number;
}) => void;

export interface ConsumerOptions<C extends TopicCatalog> {
  kafka: Kafka;
  catalog: C;
  dataSource: DataSource;
  /** Dead letters are sent with this producer. */
  producer: EventProducer;
  logger: Logger;
  groupId: string;
  /** Inbox identity; defaults to the group id. Two consumers with one name share "already done". */
  name?: string;
  handlers: HandlerMap<C>;
  /** Physical topic = prefix + contract topic (see Outbox). */
  topicPrefix?: string;
  fromBeginning?: boolean;
  /** Attempts per message before it is dead-lettered (the first try included). */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Partitions processed side by side, each with its own transaction. */
  partitionsConcurrently?: number;
  /** Restarts after a crash (broker gone, …) before the consumer gives up and calls onFatal. */
  maxRestarts?: number;
  onFatal?: (error: Error) => void;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  observer?: BatchObserver;
  /**
   * Called after a batch transaction committed with at least one event applied: its handlers may have written
   * outbox rows, and the service's relay should look now rather than at its next idle poll.
   */
  onCommitted?: () => void;
  /** How long a fetch waits at the broker for `minBytes` (default 500 ms). */
  maxWaitTimeMs?: number;
  /** The broker answers a fetch once this many bytes are ready (default 1: at once). */
  minBytes?: number;
}

export interface ConsumerStats {
  processed: number;
  duplicates: number;
  deadLettered: number;
  retries: number;
  batches: number;
}

/**
 * The batch's messages stably sorted by key. Handlers lock the rows of their event's aggregate (the key): batches
 * of different partitions run concurrently, each in one transaction, and taking those locks in the arrival order
 * let two batches lock two dossiers in opposite orders — a deadlock that redid both batches (seen under load in
 * intake's status projection). In key order every batch locks in the same global order; a stable sort keeps each
 * key's own events in their partition order, which is the only order Kafka promises.
 */
export function byKey<T extends { message: Pick<KafkaMessage, 'key'> }>(items: readonly T[]): T[] {
  const keyed = items.map((item, i) => ({ item, i, key: item.message.key?.toString('utf8') ?? '' }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
  return keyed.map((k) => k.item);
}

/** PostgreSQL errors that a fresh transaction cures: deadlock, serialization failure, lock not available. */
const TRANSIENT_DB_ERRORS = new Set(['40P01', '40001', '55P03']);

/**
 * A transient database error leaves locks of the batch's earlier messages held: retrying inside the same
 * transaction would deadlock again. Such errors abort the whole batch; kafkajs redelivers it with backoff.
 */
export function isTransientDbError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code ?? (e as { driverError?: { code?: unknown } }).driverError?.code;
  return typeof code === 'string' && TRANSIENT_DB_ERRORS.has(code);
}

/** Internal: a handler failed in the fast path; the batch is redone with per-message savepoints and retries. */
class HandlerFailedInFastPath extends Error {}

interface BatchOutcome {
  processed: number;
  duplicates: number;
  deadLettered: number;
  lastDone: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Consumes contract topics with an effect-exactly-once guarantee: each batch runs in one database
 * transaction; each message gets a savepoint, an inbox row `(consumer, event_id)` and the handler's
 * effect, so a redelivered event finds its inbox row and does nothing. A message that fails validation
 * goes to `<topic>.dlq` at once; one whose handler keeps failing goes there after bounded retries with
 * backoff. Offsets are committed only after the transaction, so a crash can only cause redelivery.
 */
export class IdempotentConsumer<C extends TopicCatalog> {
  private readonly consumer: Consumer;
  private readonly name: string;
  private readonly maxAttempts: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private restarts = 0;
  private running = false;
  readonly stats: ConsumerStats = { processed: 0, duplicates: 0, deadLettered: 0, retries: 0, batches: 0 };

  constructor(private readonly opts: ConsumerOptions<C>) {
    this.name = opts.name ?? opts.groupId;
    this.maxAttempts = opts.maxAttempts ?? 4;
    this.initialBackoffMs = opts.initialBackoffMs ?? 100;
    this.maxBackoffMs = opts.maxBackoffMs ?? 2000;
    const maxRestarts = opts.maxRestarts ?? 10;
    this.consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: opts.heartbeatIntervalMs ?? 3_000,
      // With minBytes 1 only an idle consumer waits this long: the broker answers as soon as a partition has a
      // record. (100 ms cost an idle service a fetch round trip to the broker ten times a second per consumer.)
      maxWaitTimeInMs: opts.maxWaitTimeMs ?? 500,
      minBytes: opts.minBytes ?? 1,
      retry: {
        retries: 8,
        initialRetryTime: 300,
        maxRetryTime: 10_000,
        // kafkajs would otherwise restart forever against a dead broker; give up loudly instead.
        restartOnFailure: (e: Error) => {
          this.restarts++;
          this.opts.logger.error({ err: e, restarts: this.restarts }, 'consumer crashed');
          return Promise.resolve(this.restarts <= maxRestarts);
        },
      },
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      if (!e.payload.restart) {
        this.running = false;
        this.opts.logger.fatal({ err: e.payload.error, groupId: opts.groupId }, 'consumer stopped for good');
        this.opts.onFatal?.(e.payload.error);
      }
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.restarts = 0;
    });
  }

  /** Contract topics this consumer handles. */
  get topics(): string[] {
    return Object.keys(this.opts.handlers);
  }

  /** Topics as named on the broker. */
  get physicalTopics(): string[] {
    return this.topics.map((t) => `${this.opts.topicPrefix ?? ''}${t}`);
  }

  async start(): Promise<void> {
    await this.opts.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.physicalTopics, fromBeginning: this.opts.fromBeginning ?? true });
    this.running = true;
    await this.consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConcurrently ?? 3,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  /** Waits for the batch in flight (its transaction commits and its offsets are committed), then leaves the group. */
  async stop(): Promise<void> {
    this.running = false;
    await this.consumer.disconnect();
  }

  isRunning(): boolean {
    return this.running;
  }

  /** Resolves when the consumer has joined its group and been assigned partitions. */
  waitForAssignment(timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.opts.groupId}: no partitions assigned in ${timeoutMs}ms`));
      }, timeoutMs);
      const off = this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  private async handleBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const topic = batch.topic.slice((this.opts.topicPrefix ?? '').length) as TopicOf<C>;
    const started = process.hrtime.bigint();
    // Fast path: one inbox INSERT for the whole batch, handlers without savepoints. If any handler
    // fails, the whole transaction is rolled back and the batch is redone message by message.
    const outcome =
      (await this.fastBatch(topic, batch.partition, batch.messages, heartbeat)) ??
      (await this.slowBatch(topic, batch.partition, batch.messages, heartbeat, () => isRunning() && !isStale()));
    this.stats.batches++;
    if (outcome.processed > 0) this.opts.onCommitted?.();
    this.stats.processed += outcome.processed;
    this.stats.duplicates += outcome.duplicates;
    this.stats.deadLettered += outcome.deadLettered;
    this.opts.observer?.({
      topic,
      partition: batch.partition,
      processed: outcome.processed,
      duplicates: outcome.duplicates,
      deadLettered: outcome.deadLettered,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    });
    if (outcome.lastDone !== null) {
      resolveOffset(outcome.lastDone);
      await commitOffsetsIfNecessary();
    }
  }

  private async inTransaction<R>(work: (qr: QueryRunner) => Promise<R>): Promise<R> {
    const qr = this.opts.dataSource.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction('READ COMMITTED');
      const result = await work(qr);
      await qr.commitTransaction();
      return result;
    } catch (e) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      throw e;
    } finally {
      await qr.release();
    }
  }

  /** Returns null when a handler failed (nothing was committed), so the caller redoes the batch slowly. */
  private async fastBatch(
    topic: TopicOf<C>,
    partition: number,
    messages: KafkaMessage[],
    heartbeat: () => Promise<void>,
  ): Promise<BatchOutcome | null> {
    const decoded = messages.map((message) => ({
      message,
      result: decodeEvent(this.opts.catalog, topic, message.value),
    }));
    const valid = decoded.flatMap((d) => (d.result.ok ? [{ message: d.message, event: d.result.event }] : []));
    const handler = this.opts.handlers[topic];
    try {
      return await this.inTransaction(async (qr) => {
        const fresh = new Set<string>();
        if (valid.length) {
          const rows = (await qr.query(
            `INSERT INTO ${INBOX_TABLE} (consumer, event_id, topic, "partition", "offset")
             SELECT $1, e, $2, $3, o FROM unnest($4::uuid[], $5::bigint[]) AS t(e, o)
             ON CONFLICT DO NOTHING RETURNING event_id`,
            [this.name, topic, partition, valid.map((v) => v.event.eventId), valid.map((v) => v.message.offset)],
          )) as { event_id: string }[];
          for (const r of rows) fresh.add(r.event_id);
        }
        let processed = 0;
        let n = 0;
        for (const { message, event } of byKey(valid)) {
          // `delete`: the same event twice in one batch is applied once.
          if (!fresh.delete(event.eventId)) continue;
          if (handler) {
            try {
              await handler(event, { manager: qr.manager, topic, partition, offset: message.offset, attempt: 1 });
            } catch (e) {
              if (isTransientDbError(e)) throw e;
              throw new HandlerFailedInFastPath();
            }
          }
          processed++;
          if (++n % 100 === 0) await heartbeat();
        }
        const poison = decoded.filter((d) => !d.result.ok);
        for (const { message, result } of poison) {
          if (!result.ok) await this.deadLetter(topic, partition, message, result.reason, result.error, 0);
        }
        const last = messages[messages.length - 1];
        return {
          processed,
          duplicates: valid.length - processed,
          deadLettered: poison.length,
          lastDone: last ? last.offset : null,
        };
      });
    } catch (e) {
      if (e instanceof HandlerFailedInFastPath) return null;
      throw e;
    }
  }

  private async slowBatch(
    topic: TopicOf<C>,
    partition: number,
    messages: KafkaMessage[],
    heartbeat: () => Promise<void>,
    stillOwned: () => boolean,
  ): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { processed: 0, duplicates: 0, deadLettered: 0, lastDone: null };
    await this.inTransaction(async (qr) => {
      for (const message of messages) {
        // On shutdown or rebalance, stop after the current message; the rest is redelivered.
        if (!stillOwned()) break;
        const result = await this.handleMessage(qr, topic, partition, message, heartbeat);
        if (result === 'processed') outcome.processed++;
        else if (result === 'duplicate') outcome.duplicates++;
        else outcome.deadLettered++;
        outcome.lastDone = message.offset;
        await heartbeat();
      }
    });
    return outcome;
  }

  private async handleMessage(
    qr: QueryRunner,
    topic: TopicOf<C>,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<'processed' | 'duplicate' | 'dead-lettered'> {
    const decoded = decodeEvent(this.opts.catalog, topic, message.value);
    if (!decoded.ok) {
      await this.deadLetter(topic, partition, message, decoded.reason, decoded.error, 0);
      return 'dead-lettered';
    }
    const event = decoded.event as EventOf<C, TopicOf<C>>;
    const handler = this.opts.handlers[topic];
    for (let attempt = 1; ; attempt++) {
      await qr.query('SAVEPOINT hoso_message');
      try {
        const inserted = (await qr.query(
          `INSERT INTO ${INBOX_TABLE} (consumer, event_id, topic, "partition", "offset")
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1`,
          [this.name, event.eventId, topic, partition, message.offset],
        )) as unknown[];
        if (inserted.length === 0) {
          await qr.query('RELEASE SAVEPOINT hoso_message');
          return 'duplicate';
        }
        if (handler) await handler(event, { manager: qr.manager, topic, partition, offset: message.offset, attempt });
        await qr.query('RELEASE SAVEPOINT hoso_message');
        return 'processed';
      } catch (e) {
        if (isTransientDbError(e)) throw e;
        await qr.query('ROLLBACK TO SAVEPOINT hoso_message');
        const err = e instanceof Error ? e : new Error(String(e));
        const final = e instanceof NonRetriableError || attempt >= this.maxAttempts;
        this.opts.logger.warn(
          {
            err,
            topic,
            partition,
            offset: message.offset,
            eventId: event.eventId,
            correlationId: event.correlationId,
            attempt,
            final,
          },
          'handler failed',
        );
        if (final) {
          await this.deadLetter(
            topic,
            partition,
            message,
            e instanceof NonRetriableError ? 'rejected' : 'handler-failed',
            err.message,
            attempt,
          );
          return 'dead-lettered';
        }
        this.stats.retries++;
        await sleep(Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (attempt - 1)));
        await heartbeat();
      }
    }
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    reason: string,
    error: string,
    attempts: number,
  ): Promise<void> {
    this.opts.logger.error(
      { topic, partition, offset: message.offset, reason, error, attempts },
      'message dead-lettered',
    );
    // Sent before the batch commits: if the commit then fails the message is dead-lettered again, never lost.
    await this.opts.producer.sendBatch([
      deadLetterMessage({
        topic: `${this.opts.topicPrefix ?? ''}${topic}`,
        partition,
        message,
        consumer: this.name,
        reason,
        error,
        attempts,
      }),
    ]);
  }
}
