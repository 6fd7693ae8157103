import type { Span, Tracer } from '@opentelemetry/api';
import type { DataSource } from 'typeorm';
import type { EventProducer, OutgoingMessage } from './producer';
import type { Logger } from './logger';
import { OUTBOX_TABLE } from './outbox';
import { endSpans, messagingTracer, startPublishSpan } from './tracing';

/** Advisory-lock namespace of the outbox ('hoso' in ASCII); the second key is the key's shard. */
const LOCK_NAMESPACE = 0x686f736f;
/** Keys hash into this many shards; a relay owns a shard for the length of one transaction. */
const KEY_SHARDS = 32;

export interface RelayOptions {
  dataSource: DataSource;
  producer: EventProducer;
  logger: Logger;
  batchSize?: number;
  /** Idle poll interval; a write in the same process wakes the relay at once. */
  pollIntervalMs?: number;
  /** Sent rows older than this are deleted. */
  retentionMs?: number;
  cleanupIntervalMs?: number;
  /**
   * Test seam: runs after Kafka acknowledged the batch and before the rows are marked sent, i.e.
   * exactly where a crash makes the relay publish the batch a second time.
   */
  afterPublish?: (messages: readonly OutgoingMessage[]) => Promise<void>;
}

interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string> | null;
}

/**
 * Publishes outbox rows to Kafka.
 *
 * A relay claims rows with `FOR UPDATE SKIP LOCKED`, so two relays never publish the same row at
 * once. Before claiming any row it takes transaction-scoped advisory locks on the key shards of the
 * next rows, then claims only rows of the shards it owns, so two relays never publish events of the
 * same key out of order: only the holder of a shard publishes it, in id order. The row locks are held while Kafka acknowledges; only then are the rows marked sent and the
 * transaction committed. A crash in between leaves them unsent, they are published again, and
 * consumers' inboxes drop the duplicate.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly retentionMs: number;
  private readonly cleanupIntervalMs: number;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private lastCleanup = 0;
  published = 0;

  constructor(private readonly opts: RelayOptions) {
    this.batchSize = opts.batchSize ?? 500;
    // A safety net only: every commit through MessagingService.transaction and every consumer batch wakes the
    // relay at once. Rows written some other way (a BullMQ worker's transaction, another replica) wait for it.
    this.pollIntervalMs = opts.pollIntervalMs ?? 500;
    this.retentionMs = opts.retentionMs ?? 24 * 3600_000;
    this.cleanupIntervalMs = opts.cleanupIntervalMs ?? 60_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Finishes the batch in flight, then returns. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loopDone;
    this.loopDone = null;
  }

  /** Makes an idle relay look at the table now (called after a local commit). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Claims, publishes and marks one batch; returns how many rows it published. */
  async runOnce(): Promise<number> {
    const qr = this.opts.dataSource.createQueryRunner();
    await qr.connect();
    try {
      // READ COMMITTED, the pool's default (libs/persistence dataSourceOptions): one round trip, not two.
      await qr.startTransaction();
      // 1. Own the shards of the next rows first. Taking a shard's lock while scanning rows would let a relay
      //    skip rows 3–5 of a key (the shard still held by the other relay), then claim row 6 once that relay
      //    committed — publishing row 6 before rows 3–5.
      const owned = (
        (await qr.query(
          `SELECT shard FROM (
             SELECT DISTINCT hashtext(key) & ${KEY_SHARDS - 1} AS shard
               FROM (SELECT key FROM ${OUTBOX_TABLE} WHERE sent_at IS NULL ORDER BY id LIMIT $1) next_rows
           ) shards
           WHERE pg_try_advisory_xact_lock(${LOCK_NAMESPACE}, shard)`,
          [this.batchSize],
        )) as { shard: number }[]
      ).map((r) => r.shard);
      if (owned.length === 0) {
        await qr.commitTransaction();
        return 0;
      }
      // 2. Claim the oldest unsent rows of the owned shards (nobody else claims them while we hold the shards).
      const rows = (await qr.query(
        `SELECT id, topic, key, value, headers
           FROM ${OUTBOX_TABLE}
          WHERE sent_at IS NULL
            AND (hashtext(key) & ${KEY_SHARDS - 1}) = ANY($2::int[])
          ORDER BY id
          LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [this.batchSize, owned],
      )) as OutboxRow[];
      if (rows.length === 0) {
        await qr.commitTransaction();
        return 0;
      }
      const tracer = messagingTracer();
      // Before the messages take the rows' headers: a traced row's W3C headers are rewritten to name its span.
      const spans = tracer === null ? null : publishSpans(tracer, rows);
      const messages: OutgoingMessage[] = rows.map((r) => ({
        topic: r.topic,
        key: r.key,
        value: r.value,
        headers: r.headers ?? {},
      }));
      try {
        await this.opts.producer.sendBatch(messages);
      } catch (e) {
        if (spans) endSpans(spans, e);
        throw e;
      }
      if (spans) endSpans(spans);
      await this.opts.afterPublish?.(messages);
      await qr.query(`UPDATE ${OUTBOX_TABLE} SET sent_at = now() WHERE id = ANY($1::bigint[])`, [
        rows.map((r) => r.id),
      ]);
      await qr.commitTransaction();
      this.published += rows.length;
      return rows.length;
    } catch (e) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      throw e;
    } finally {
      await qr.release();
    }
  }

  /** Deletes sent rows past retention; returns how many. */
  async cleanup(): Promise<number> {
    const res = await this.opts.dataSource.query<[unknown[], number]>(
      `DELETE FROM ${OUTBOX_TABLE} WHERE sent_at IS NOT NULL AND sent_at < now() - ($1::bigint * interval '1 millisecond')`,
      [this.retentionMs],
    );
    return res[1];
  }

  /** Rows not yet published (for /metrics and tests). */
  async backlog(): Promise<number> {
    const rows = await this.opts.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM ${OUTBOX_TABLE} WHERE sent_at IS NULL`,
    );
    return rows[0]?.n ?? 0;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let published = 0;
      try {
        published = await this.runOnce();
        failures = 0;
        if (Date.now() - this.lastCleanup > this.cleanupIntervalMs) {
          this.lastCleanup = Date.now();
          const removed = await this.cleanup();
          if (removed) this.opts.logger.debug({ removed }, 'outbox cleanup');
        }
      } catch (e) {
        failures++;
        const delay = Math.min(30_000, 200 * 2 ** Math.min(failures, 8));
        this.opts.logger.error(
          { err: e, failures, retryInMs: delay },
          'outbox relay failed; rows stay unsent and will be retried',
        );
        await this.idle(delay);
        continue;
      }
      // A full batch means more is waiting: go again at once.
      if (published < this.batchSize && !this.takeWake()) await this.idle(this.pollIntervalMs);
    }
  }

  /** True (once) if `wake()` was called since the last look: new rows may be waiting. */
  private takeWake(): boolean {
    const woken = this.woken;
    this.woken = false;
    return woken;
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
      if (!this.running) done();
    });
  }
}

/**
 * A PRODUCER span per row that carries its writer's trace context (rows written with tracing off have none and get
 * none); the row's W3C headers are rewritten to name its span, so consumers continue from the publish.
 */
function publishSpans(tracer: Tracer, rows: readonly OutboxRow[]): Span[] {
  const spans: Span[] = [];
  for (const r of rows) {
    const span = r.headers ? startPublishSpan(tracer, r.topic, r.key, r.headers) : null;
    if (span) spans.push(span);
  }
  return spans;
}
