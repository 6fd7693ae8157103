import { context, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, OffsetsByTopicPartition } from 'kafkajs';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { decodeEvent, factKeyOf, keyOf, type EventOf, type TopicCatalog, type TopicOf } from '@hoso/contracts';
import { deadLetterMessage, headerString, REPLAY_TARGET_HEADER } from './dlq';
import type { Logger } from './logger';
import { isServerUnavailable, restartPauseMs } from './outage';
import { outboxWritten } from './outbox';
import type { EventProducer } from './producer';
import { FlushTrace, messagingTracer } from './tracing';

export const INBOX_TABLE = 'messaging_inbox';

/** One event claimed in the inbox: its id, its business fact (`factKeyOf` in @hoso/contracts) and where it was read. */
export interface InboxClaim {
  eventId: string;
  factKey: string;
  topic: string;
  partition: number;
  offset: string;
}

/**
 * The set-based inbox step: one multi-row INSERT of `(consumer, event_id, fact_key)` rows; returns the ids that
 * were new. An event whose id is there was handled before (a redelivery); one whose fact key is there states a
 * fact handled before under another id (a re-announcement): both must be skipped. Within one call, the first row of
 * a fact wins (callers pass each partition's events in offset order). Used by the consumer's flush and by
 * projections' replays, so both claim events the same way.
 */
export async function claimInbox(
  m: Pick<EntityManager, 'query'>,
  consumer: string,
  rows: readonly InboxClaim[],
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  // No conflict target: a row that hits either the primary key (event id) or the fact key index is skipped.
  const fresh = await m.query<{ event_id: string }[]>(
    `INSERT INTO ${INBOX_TABLE} (consumer, event_id, fact_key, topic, "partition", "offset")
     SELECT $1, e, f, t, p, o
       FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::bigint[]) WITH ORDINALITY AS u(e, f, t, p, o, n)
      ORDER BY n
     ON CONFLICT DO NOTHING RETURNING event_id`,
    [
      consumer,
      rows.map((r) => r.eventId),
      rows.map((r) => r.factKey),
      rows.map((r) => r.topic),
      rows.map((r) => r.partition),
      rows.map((r) => r.offset),
    ],
  );
  return new Set(fresh.map((r) => r.event_id));
}

type AfterCommit = () => Promise<unknown>;

export interface HandlerContext {
  /** The flush transaction's manager: write the effect with it, so effect and inbox row commit together. */
  manager: EntityManager;
  topic: string;
  /** Of the event (per-event handlers), or of the first event (batch handlers: each event's own is in `positions`). */
  partition: number;
  offset: string;
  /** 1 in the set-based pass; 1, 2, … when an event is retried on its own after a failure. */
  attempt: number;
  /**
   * Runs `effect` once the flush's transaction has committed, never if it rolls back (nor for an attempt undone to
   * its savepoint): side effects outside PostgreSQL (BullMQ jobs, notifications) are decided by committed rows
   * only. A failing effect is logged, not retried here: what it does must also be derivable from the committed
   * rows (a timer rebuild, a worker that re-reads the state), since a crash right after the commit skips it too.
   */
  afterCommit(effect: () => Promise<unknown>): void;
}

export type EventHandler<C extends TopicCatalog, T extends TopicOf<C>> = (
  event: EventOf<C, T>,
  ctx: HandlerContext,
) => Promise<void>;

/** Takes every event of its topic in a flush (key order, each key's events in partition order). */
export type BatchEventHandler<C extends TopicCatalog, T extends TopicOf<C>> = (
  events: readonly EventOf<C, T>[],
  ctx: HandlerContext,
) => Promise<void>;

/**
 * How a topic is handled. `accepts` is a pure test of the event alone: an event it refuses is skipped without an
 * inbox row or any statement (skipping it again on a redelivery is the same outcome, so nothing is lost).
 */
export type TopicHandler<C extends TopicCatalog, T extends TopicOf<C>> =
  | EventHandler<C, T>
  | { each: EventHandler<C, T>; accepts?: (event: EventOf<C, T>) => boolean }
  | { batch: BatchEventHandler<C, T>; accepts?: (event: EventOf<C, T>) => boolean };

export type HandlerMap<C extends TopicCatalog> = { [T in TopicOf<C>]?: TopicHandler<C, T> };

/** Thrown by a handler when retrying cannot help (e.g. a business rule refuses the event): straight to the DLQ. */
export class NonRetriableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetriableError';
  }
}

/** Called after each committed flush, once per topic-partition it held (for metrics). */
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
  /**
   * Topic-partition batches of one fetch handed to the flush side by side (default 256: every partition this
   * consumer can hold, so one fetch is one flush).
   */
  partitionsConcurrently?: number;
  /** A flush starts this long after its first batch arrived (default 5 ms), or at once when `flushMaxEvents` wait. */
  flushLingerMs?: number;
  /** Events in one flush transaction at most (default 2,000). */
  flushMaxEvents?: number;
  /**
   * Restarts in a row after a crash that is not a server outage (e.g. the inbox cannot be written) before the
   * consumer gives up and calls onFatal. A broker or database outage is retried for as long as it lasts.
   */
  maxRestarts?: number;
  /**
   * Pause before a restart after a crash: doubles from `initialMs` (default 1 s) up to `maxMs` (default 30 s), and
   * up to `outageMaxMs` (default 2 s) while a server is away (see restartPauseMs).
   */
  restartBackoff?: { initialMs?: number; maxMs?: number; outageMaxMs?: number };
  /** kafkajs' own retries inside one run, before it crashes (default 8, from 300 ms up to 2 s). */
  kafkaRetry?: { retries?: number; initialRetryTime?: number; maxRetryTime?: number };
  /** The consumer stopped for good (it will not consume again in this process). */
  onFatal?: (error: Error) => void;
  /** Every crash kafkajs reports, with whether it restarts (for tests and metrics). */
  onCrash?: (crash: { error: Error; restart: boolean; outage: boolean }) => void;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /**
   * This process's name among the group's members, stable across its restarts and unique among live processes
   * (host and port). Set, the member id of each join is kept in `messaging_group_members`, and the next process of
   * the same instance removes that member (LeaveGroup) before joining: after a SIGKILL the group then rebalances at
   * once instead of waiting for the dead member's session timeout. Two live processes given one name only cost
   * each other a rebalance when one starts.
   */
  instance?: string;
  observer?: BatchObserver;
  /**
   * Called after a flush committed that wrote outbox rows: the service's relay should look now rather than at
   * its next idle poll. A flush that wrote none does not call it (an idle look costs the relay a transaction).
   */
  onCommitted?: () => void;
  /** How long a fetch waits at the broker for `minBytes` (default 500 ms). */
  maxWaitTimeMs?: number;
  /** The broker answers a fetch once this many bytes are ready (default 1: at once). */
  minBytes?: number;
  /**
   * Commit flushes with `synchronous_commit = off` (no fsync wait; PostgreSQL writes the WAL within a few hundred
   * ms). Only for state rebuilt from Kafka (projections, read models): a PostgreSQL crash can lose the last
   * flushes, so their Kafka offsets are committed only once the WAL holding them is flushed to disk, and a server
   * restart seen while offsets wait makes the consumer read again from the committed ones. Nothing whose offset
   * is committed can be lost.
   */
  asyncCommit?: boolean;
}

/**
 * Offsets of an asynchronously committed flush, waiting for its WAL to reach the disk. `lsn` is null until a probe
 * (run after the commit, on the same server run) has read an insert position at or past its commit record.
 */
interface WaitingOffsets {
  lsn: bigint | null;
  /** The server run the flush committed on (pg_postmaster_start_time, read inside its transaction). */
  serverStarted: string;
  offsets: { topic: string; partition: number; offset: string }[];
}

/** `16/B374D848` → a number that orders like the WAL position. */
export function parseLsn(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  if (hi === undefined || lo === undefined) throw new Error(`not an LSN: ${lsn}`);
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

export interface ConsumerStats {
  processed: number;
  duplicates: number;
  deadLettered: number;
  /** Events an `accepts` test skipped (no inbox row, no statement). */
  skipped: number;
  retries: number;
  /** Flush transactions committed. */
  batches: number;
}

/**
 * Items stably sorted by key. Handlers lock the rows of their event's aggregate (the key): taking those locks in
 * arrival order let two concurrent transactions lock two dossiers in opposite orders — a deadlock that redid
 * both (seen under load in intake's status projection). In key order every transaction locks in the same global
 * order; a stable sort keeps each key's own events in their partition order, which is the only order Kafka
 * promises.
 */
export function byKey<T extends { message: Pick<KafkaMessage, 'key'> }>(items: readonly T[]): T[] {
  const keyed = items.map((item, i) => ({ item, i, key: item.message.key?.toString('utf8') ?? '' }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
  return keyed.map((k) => k.item);
}

/** PostgreSQL errors that a fresh transaction cures: deadlock, serialization failure, lock not available. */
const TRANSIENT_DB_ERRORS = new Set(['40P01', '40001', '55P03']);

/**
 * A transient database error leaves locks of the flush's earlier events held: retrying inside the same
 * transaction would deadlock again. Such errors abort the whole flush, which is redone in a fresh transaction.
 */
export function isTransientDbError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code ?? (e as { driverError?: { code?: unknown } }).driverError?.code;
  return typeof code === 'string' && TRANSIENT_DB_ERRORS.has(code);
}

/** Internal: a handler failed in the set-based pass; the flush is redone event by event with savepoints. */
class HandlerFailedInFastPath extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One topic-partition batch waiting in (or being applied by) a flush. */
interface Part {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  resolveOffset: (offset: string) => void;
  heartbeat: () => Promise<void>;
  stillOwned: () => boolean;
  /** Offset of the last message this flush finished (null: redeliver the whole batch). */
  lastDone: string | null;
  processed: number;
  duplicates: number;
  deadLettered: number;
  done: { resolve: () => void; reject: (e: unknown) => void };
}

interface Item<C extends TopicCatalog> {
  part: Part;
  message: KafkaMessage;
  event: EventOf<C, TopicOf<C>>;
  /** The business fact the event states (`factKeyOf`): the inbox keeps one row per consumer and fact. */
  factKey: string;
}

interface Normalised<C extends TopicCatalog> {
  accepts: (event: EventOf<C, TopicOf<C>>) => boolean;
  batch: BatchEventHandler<C, TopicOf<C>> | null;
  each: EventHandler<C, TopicOf<C>> | null;
}

function normalise<C extends TopicCatalog>(h: TopicHandler<C, TopicOf<C>>): Normalised<C> {
  if (typeof h === 'function') return { accepts: () => true, batch: null, each: h };
  if ('batch' in h) return { accepts: h.accepts ?? (() => true), batch: h.batch, each: null };
  return { accepts: h.accepts ?? (() => true), batch: null, each: h.each };
}

/**
 * Consumes contract topics with an effect-exactly-once guarantee, in sets.
 *
 * The batches of every topic-partition that one fetch returns are gathered into one **flush**: one database
 * transaction holding one multi-row inbox INSERT `(consumer, event_id, fact_key)` for all of them and the handlers'
 * effects, each topic's handler called once with all its events (batch handlers) or once per event. A redelivered
 * event finds its inbox row and does nothing; so does the same business fact published again under a new event id
 * (its fact key, see `factKeyOf` in @hoso/contracts, is there). If a handler fails, the flush is rolled back and redone event by event,
 * each with a savepoint, bounded retries and backoff; an event that keeps failing, or that fails validation, goes
 * to `<topic>.dlq`. Offsets are committed only after the transaction, so a crash can only cause redelivery.
 */
export class IdempotentConsumer<C extends TopicCatalog> {
  private readonly consumer: Consumer;
  private readonly name: string;
  private readonly maxAttempts: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly lingerMs: number;
  private readonly maxEvents: number;
  private readonly handlers = new Map<string, Normalised<C>>();
  /** Topics in catalog order: a flush applies them in the flow's order (submitted, identity, payment, case). */
  private readonly topicOrder: string[];
  private restarts = 0;
  private running = false;
  private pending: Part[] = [];
  private pendingEvents = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Flushes run one after another: one transaction at a time per consumer. */
  private chain: Promise<void> = Promise.resolve();
  private commitOffsets: ((offsets: OffsetsByTopicPartition) => Promise<void>) | null = null;
  private readonly asyncCommit: boolean;
  /** The server run of the last asynchronously committed flush (read inside its transaction). */
  private lastCommitServer: string | null = null;
  private waiting: WaitingOffsets[] = [];
  private durableTimer: NodeJS.Timeout | null = null;
  private runConfig: Parameters<Consumer['run']>[0] = {};
  readonly stats: ConsumerStats = { processed: 0, duplicates: 0, deadLettered: 0, skipped: 0, retries: 0, batches: 0 };

  constructor(private readonly opts: ConsumerOptions<C>) {
    this.name = opts.name ?? opts.groupId;
    this.maxAttempts = opts.maxAttempts ?? 4;
    this.initialBackoffMs = opts.initialBackoffMs ?? 100;
    this.maxBackoffMs = opts.maxBackoffMs ?? 2000;
    this.lingerMs = opts.flushLingerMs ?? 5;
    this.maxEvents = opts.flushMaxEvents ?? 2000;
    this.asyncCommit = opts.asyncCommit ?? false;
    for (const [topic, h] of Object.entries(opts.handlers)) {
      if (h) this.handlers.set(topic, normalise(h as TopicHandler<C, TopicOf<C>>));
    }
    this.topicOrder = Object.keys(opts.catalog).filter((t) => this.handlers.has(t));
    const maxRestarts = opts.maxRestarts ?? 10;
    const backoff = opts.restartBackoff ?? {};
    // Crashes in a row that were not outages: only those count against maxRestarts (an outage's crashes are many).
    let failures = 0;
    const restartPause = (outage: boolean) => restartPauseMs(this.restarts, outage, backoff);
    this.consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      ...(opts.instance === undefined ? {} : { leaveFirst: () => this.previousMember() }),
      heartbeatInterval: opts.heartbeatIntervalMs ?? 3_000,
      // With minBytes 1 only an idle consumer waits this long: the broker answers as soon as a partition has a
      // record. (100 ms cost an idle service a fetch round trip to the broker ten times a second per consumer.)
      maxWaitTimeInMs: opts.maxWaitTimeMs ?? 500,
      minBytes: opts.minBytes ?? 1,
      retry: {
        retries: opts.kafkaRetry?.retries ?? 8,
        initialRetryTime: opts.kafkaRetry?.initialRetryTime ?? 300,
        // Capped low so that a consumer notices a returning broker within seconds: with 10 s a killed broker that
        // was back in ~5 s left the flow stalled ~18 s. An attempt every 2 s costs an outage nothing noticeable.
        maxRetryTime: opts.kafkaRetry?.maxRetryTime ?? 2_000,
        // kafkajs asks this only for a crash it deems retriable. A broker (or database) outage is not a poison
        // message: it is retried for as long as it lasts, with a capped pause, since giving up left a live
        // process that consumed nothing once the broker was back. Any other crash is retried a few times, then
        // the consumer stops and onFatal lets the process exit to be restarted.
        restartOnFailure: async (e: Error) => {
          if (!this.running) return false;
          this.restarts++;
          const outage = isServerUnavailable(e);
          if (!outage) failures++;
          const restart = outage || failures <= maxRestarts;
          this.opts.logger.error({ err: e, restarts: this.restarts, outage, restart }, 'consumer crashed');
          if (!restart) return false;
          await sleep(restartPause(outage));
          // stop() may have been called during the pause.
          return this.running;
        },
      },
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      const error = e.payload.error;
      const outage = isServerUnavailable(error);
      this.opts.onCrash?.({ error, restart: e.payload.restart, outage });
      // Restarting (kafkajs does it), or stopped on purpose: nothing to do.
      if (e.payload.restart || !this.running) return;
      if (outage) {
        // Some outage errors are non-retriable to kafkajs (e.g. no group coordinator found), so it has left the
        // consumer disconnected: connect and run again ourselves, with the same capped pause, until it takes.
        void (async () => {
          while (this.running) {
            this.restarts++;
            this.opts.logger.error({ err: error, restarts: this.restarts }, 'consumer crashed; reconnecting');
            await sleep(restartPause(true));
            // stop() may have been called during the pause (a method call: the field's narrowing does not see that).
            if (!this.isRunning()) return;
            try {
              await this.consumer.connect();
              // A failure from here on reaches this handler again as a crash.
              await this.consumer.run(this.runConfig);
              return;
            } catch (err) {
              this.opts.logger.warn({ err }, 'consumer could not reconnect yet');
            }
          }
        })();
        return;
      }
      this.running = false;
      this.opts.logger.fatal({ err: error, groupId: opts.groupId }, 'consumer stopped for good');
      this.opts.onFatal?.(error);
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.restarts = 0;
      failures = 0;
      this.remember(e.payload.memberId);
    });
  }

  /** The member this instance's previous process joined as, if it was recorded. */
  private async previousMember(): Promise<string | null> {
    const rows = await this.opts.dataSource.query<{ member_id: string }[]>(
      `SELECT member_id FROM messaging_group_members WHERE group_id = $1 AND instance = $2`,
      [this.opts.groupId, this.opts.instance],
    );
    return rows[0]?.member_id ?? null;
  }

  /** Records the member this process joined as (a rejoin under the same id writes nothing). */
  private remember(memberId: string): void {
    const { instance, groupId } = this.opts;
    if (instance === undefined) return;
    // Not awaited: the join goes on. A row not written leaves the successor waiting for the session timeout, as
    // before this table existed, and nothing else.
    this.opts.dataSource
      .query(
        `INSERT INTO messaging_group_members (group_id, instance, member_id) VALUES ($1, $2, $3)
          ON CONFLICT (group_id, instance) DO UPDATE SET member_id = EXCLUDED.member_id, joined_at = now()
          WHERE messaging_group_members.member_id <> EXCLUDED.member_id`,
        [groupId, instance, memberId],
      )
      .catch((err: unknown) => {
        this.opts.logger.warn({ err, groupId, instance }, 'could not record the group member');
      });
  }

  /** Contract topics this consumer handles. */
  get topics(): string[] {
    return [...this.handlers.keys()];
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
    this.runConfig = {
      // Asynchronous commits: offsets are committed by hand once durable (see asyncCommit), never by kafkajs.
      autoCommit: !this.asyncCommit,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConcurrently ?? 256,
      eachBatch: (payload) => this.collect(payload),
    };
    await this.consumer.run(this.runConfig);
  }

  /** Waits for the flush in flight (its transaction commits and its offsets are committed), then leaves the group. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.asyncCommit) {
      // Commit what is durable while still a member; anything applied after this is read again by the next owner.
      await this.chain;
      await this.commitDurable(true);
    }
    if (this.durableTimer) clearTimeout(this.durableTimer);
    this.durableTimer = null;
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

  /**
   * Commits a flush's offsets in one OffsetCommit request. Left to kafkajs, each partition batch of the flush commits
   * on its own once the flush settles it, and all of them find the same offsets uncommitted: a flush over 12
   * partitions sent 12 identical requests. Committed here first, the batches find nothing left to commit. If this
   * request fails (e.g. a rebalance under way), the offsets stay uncommitted and kafkajs's per-batch commit tries
   * again, as before; anything never committed is read again by the next owner, and the inbox makes that a no-op.
   */
  private async commitFlushed(parts: Part[]): Promise<void> {
    const prefix = this.opts.topicPrefix ?? '';
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const p of parts) {
      if (p.lastDone === null) continue;
      const topic = `${prefix}${p.topic}`;
      const list = byTopic.get(topic) ?? [];
      const next = (BigInt(p.lastDone) + 1n).toString();
      const had = list.find((o) => o.partition === p.partition);
      if (!had) list.push({ partition: p.partition, offset: next });
      else if (BigInt(had.offset) < BigInt(next)) had.offset = next;
      byTopic.set(topic, list);
    }
    if (byTopic.size === 0 || !this.commitOffsets) return;
    try {
      await this.commitOffsets({ topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
    } catch (e) {
      this.opts.logger.warn({ err: e }, "could not commit a flush's offsets; kafkajs commits them after its batches");
    }
  }

  /**
   * After an asynchronously committed flush: its offsets wait until the WAL is flushed past its commit. Nothing is
   * asked of the database here (a flush costs no extra round trip): the next probe places every flush committed
   * before it in the WAL, and a later one sees that position flushed. The wait does not hold the next flush (the
   * fetch positions have moved on).
   */
  private awaitDurable(parts: Part[]): void {
    const serverStarted = this.lastCommitServer;
    this.lastCommitServer = null;
    const prefix = this.opts.topicPrefix ?? '';
    const offsets = parts.flatMap((p) =>
      p.lastDone === null
        ? []
        : [{ topic: `${prefix}${p.topic}`, partition: p.partition, offset: (BigInt(p.lastDone) + 1n).toString() }],
    );
    if (offsets.length === 0) return;
    if (serverStarted === null) throw new Error('asynchronous commit without its server run');
    this.waiting.push({ lsn: null, serverStarted, offsets });
    this.scheduleDurableCheck();
  }

  /**
   * One probe: the insert position now is at or past the commit record of every flush committed before it (on
   * this server run), and the flushed position says which of those are on disk. Commits the offsets that are;
   * `final`: probes again (up to 5 s) until all of them are.
   */
  private async commitDurable(final = false): Promise<void> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      if (this.waiting.length === 0) return;
      const placed = this.waiting.filter((w) => w.lsn === null);
      let now: { inserted: string; flushed: string; started: string } | undefined;
      try {
        [now] = await this.opts.dataSource.query<{ inserted: string; flushed: string; started: string }[]>(
          `SELECT pg_current_wal_insert_lsn()::text AS inserted, pg_current_wal_flush_lsn()::text AS flushed,
                  pg_postmaster_start_time()::text AS started`,
        );
      } catch (e) {
        this.opts.logger.warn({ err: e }, 'cannot read the WAL position; committed offsets wait');
      }
      if (now) {
        const inserted = parseLsn(now.inserted);
        // Only the flushes that committed before this probe was sent; later ones wait for the next probe.
        for (const w of placed) if (w.serverStarted === now.started) w.lsn = inserted;
        await this.releaseUpTo(parseLsn(now.flushed), now.started);
      }
      if (!final) {
        this.scheduleDurableCheck();
        return;
      }
      if (this.waiting.length === 0 || Date.now() > deadline) return;
      await sleep(50);
    }
  }

  private async releaseUpTo(flushed: bigint, serverStarted: string): Promise<void> {
    if (this.waiting.some((w) => w.serverStarted !== serverStarted)) {
      // PostgreSQL restarted while offsets waited: flushes whose WAL was not on disk are gone, and their events
      // are behind this consumer's fetch positions. Reading again from the committed offsets redoes them (the
      // inbox rows of the flushes that survived make those a no-op).
      this.waiting = [];
      this.opts.logger.warn({ groupId: this.opts.groupId }, 'database restarted; reading again from committed offsets');
      // Not awaited: stopping waits for the batches in flight, which wait for the flush chain this may run in.
      void this.rejoin();
      return;
    }
    const isReady = (w: WaitingOffsets) => w.lsn !== null && w.lsn <= flushed;
    const ready = this.waiting.filter(isReady);
    if (ready.length > 0) {
      this.waiting = this.waiting.filter((w) => !isReady(w));
      const latest = new Map<string, { topic: string; partition: number; offset: string }>();
      for (const o of ready.flatMap((w) => w.offsets)) {
        const key = `${o.topic}/${o.partition}`;
        const had = latest.get(key);
        if (!had || BigInt(had.offset) < BigInt(o.offset)) latest.set(key, o);
      }
      try {
        await this.consumer.commitOffsets([...latest.values()]);
      } catch (e) {
        // E.g. a rebalance took the partitions: the new owner reads from the last committed offsets again, and
        // the inbox makes what it reads again a no-op.
        this.opts.logger.warn({ err: e }, 'could not commit durable offsets');
      }
    }
  }

  /** While offsets wait, look again (also when the database could not be asked: it may be restarting). */
  private scheduleDurableCheck(): void {
    if (this.waiting.length === 0 || this.durableTimer || !this.running) return;
    // PostgreSQL's WAL writer flushes asynchronous commits within 3 × wal_writer_delay (200 ms by default).
    this.durableTimer = setTimeout(() => {
      this.durableTimer = null;
      this.chain = this.chain.then(() => this.commitDurable());
    }, 200);
  }

  /** Leaves the group and joins again: consumption restarts from the committed offsets. */
  private async rejoin(): Promise<void> {
    try {
      await this.consumer.stop();
      if (this.running) await this.consumer.run(this.runConfig);
    } catch (e) {
      this.opts.logger.error({ err: e }, 'could not restart consumption');
      this.opts.onFatal?.(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** kafkajs hands each topic-partition batch here; it waits until the flush that takes it has committed. */
  private collect({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return Promise.resolve();
    // Bound to the group, not to this batch: any batch's function commits the offsets of every partition of a flush.
    this.commitOffsets = commitOffsetsIfNecessary;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({
        topic: batch.topic.slice((this.opts.topicPrefix ?? '').length),
        partition: batch.partition,
        messages: batch.messages,
        resolveOffset,
        heartbeat,
        stillOwned: () => isRunning() && !isStale(),
        lastDone: null,
        processed: 0,
        duplicates: 0,
        deadLettered: 0,
        done: { resolve, reject },
      });
      this.pendingEvents += batch.messages.length;
      if (this.pendingEvents >= this.maxEvents) this.flushNow();
      else
        this.timer ??= setTimeout(() => {
          this.flushNow();
        }, this.lingerMs);
    });
  }

  private flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const parts = this.pending;
    this.pending = [];
    this.pendingEvents = 0;
    if (parts.length === 0) return;
    this.chain = this.chain.then(() => this.flush(parts));
  }

  /** Applies one flush and settles its batches; never rejects (the batches carry the error to kafkajs). */
  private async flush(parts: Part[]): Promise<void> {
    const started = process.hrtime.bigint();
    const live = parts.filter((p) => p.stillOwned());
    try {
      const wroteOutbox = live.length > 0 ? await this.applyWithRedo(live) : false;
      this.stats.batches++;
      if (wroteOutbox) this.opts.onCommitted?.();
      for (const p of live) if (p.lastDone !== null) p.resolveOffset(p.lastDone);
      if (this.asyncCommit) this.awaitDurable(live);
      else await this.commitFlushed(live);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      for (const p of live) {
        this.stats.processed += p.processed;
        this.stats.duplicates += p.duplicates;
        this.stats.deadLettered += p.deadLettered;
        this.opts.observer?.({
          topic: p.topic,
          partition: p.partition,
          processed: p.processed,
          duplicates: p.duplicates,
          deadLettered: p.deadLettered,
          seconds,
        });
      }
      for (const p of parts) p.done.resolve();
    } catch (e) {
      for (const p of parts) p.done.reject(e);
    }
  }

  /** A deadlock or serialization failure redoes the whole flush in a fresh transaction, a few times. */
  private async applyWithRedo(parts: Part[]): Promise<boolean> {
    const reset = () => {
      for (const p of parts) Object.assign(p, { lastDone: null, processed: 0, duplicates: 0, deadLettered: 0 });
    };
    for (let attempt = 1; ; attempt++) {
      reset();
      try {
        const fast = await this.fastFlush(parts);
        if (fast !== null) return fast;
        // The set-based pass counted the duplicates it met before a handler failed: the slow pass counts anew.
        reset();
        return await this.slowFlush(parts);
      } catch (e) {
        if (!isTransientDbError(e) || attempt >= 3 || !this.running) throw e;
        this.stats.retries++;
        this.opts.logger.warn({ err: e, attempt }, 'flush hit a transient database error; redoing it');
        await sleep(Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (attempt - 1)));
      }
    }
  }

  private decode(parts: Part[]) {
    const valid: Item<C>[] = [];
    const poison: { part: Part; message: KafkaMessage; reason: string; error: string }[] = [];
    let skipped = 0;
    for (const part of parts) {
      const handler = this.handlers.get(part.topic);
      for (const message of part.messages) {
        // A replayed dead letter is meant for the consumer that failed it: every other group on the topic
        // applied (or dead-lettered) the original already, and must neither apply nor dead-letter it again.
        const target = headerString(message.headers, REPLAY_TARGET_HEADER);
        if (target !== undefined && target !== this.name) {
          skipped++;
          continue;
        }
        const r = decodeEvent(this.opts.catalog, part.topic as TopicOf<C>, message.value);
        if (!r.ok) {
          poison.push({ part, message, reason: r.reason, error: r.error });
          continue;
        }
        const mismatch = this.keyMismatch(part.topic, message, r.event);
        if (mismatch) {
          poison.push({ part, message, reason: 'key-mismatch', error: mismatch });
          continue;
        }
        if (!handler?.accepts(r.event)) {
          skipped++;
          continue;
        }
        // Cannot fail for a valid payload (defineTopic checks the fact key's fields are required): kept defensive.
        let factKey: string;
        try {
          factKey = factKeyOf(this.opts.catalog, part.topic as TopicOf<C>, r.event);
        } catch (e) {
          poison.push({ part, message, reason: 'no-fact-key', error: e instanceof Error ? e.message : String(e) });
          continue;
        }
        valid.push({ part, message, event: r.event, factKey });
      }
    }
    return { valid, poison, skipped };
  }

  /**
   * Why an event's dossier is not the one its record claims, or null. The key routes a dossier's events to one
   * partition (their only order) and the handlers trust the envelope's dossierId: an envelope that names another
   * dossier than the key, or than its own payload, would be applied out of order or to the wrong dossier.
   */
  private keyMismatch(topic: string, message: KafkaMessage, event: EventOf<C, TopicOf<C>>): string | null {
    const key = message.key?.toString('utf8') ?? null;
    const payloadDossier = (event.payload as { dossierId?: unknown }).dossierId;
    if (event.dossierId !== null && payloadDossier !== undefined && payloadDossier !== event.dossierId) {
      return `envelope dossierId ${event.dossierId} but payload dossierId ${JSON.stringify(payloadDossier)}`;
    }
    let expected: string;
    try {
      expected = keyOf(this.opts.catalog, topic as TopicOf<C>, event);
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
    return key === expected ? null : `record key ${key ?? '(none)'} but the event's key is ${expected}`;
  }

  /** Valid items grouped by topic in catalog order, each group in key order. */
  private byTopic(items: Item<C>[]): [string, Item<C>[]][] {
    const groups = new Map<string, Item<C>[]>();
    for (const item of items) {
      const g = groups.get(item.part.topic);
      if (g) g.push(item);
      else groups.set(item.part.topic, [item]);
    }
    return this.topicOrder.flatMap((t) => {
      const g = groups.get(t);
      return g ? [[t, byKey(g)] as [string, Item<C>[]]] : [];
    });
  }

  private async inTransaction<R>(
    work: (qr: QueryRunner, afterCommit: AfterCommit[], flushTrace: FlushTrace | null) => Promise<R>,
  ): Promise<{ result: R; wroteOutbox: boolean }> {
    const afterCommit: AfterCommit[] = [];
    const tracer = messagingTracer();
    const flushTrace = tracer === null ? null : new FlushTrace(tracer, this.opts.groupId);
    const qr = this.opts.dataSource.createQueryRunner();
    // The outbox finds the context of the event a row is caused by through the transaction's query runner.
    flushTrace?.attach(qr);
    await qr.connect();
    try {
      // READ COMMITTED: the pool's connections default to it (libs/persistence dataSourceOptions), so naming it
      // here would only cost a SET TRANSACTION round trip per flush.
      await qr.startTransaction();
      let serverStarted: string | null = null;
      if (this.asyncCommit) {
        // One statement: no fsync wait for this transaction, and the server run it commits on (a probe on another
        // run means the server restarted in between, and this commit may be lost).
        const [row] = (await qr.query(
          `SELECT set_config('synchronous_commit', 'off', true), pg_postmaster_start_time()::text AS started`,
        )) as { started: string }[];
        serverStarted = row?.started ?? null;
      }
      const result = await work(qr, afterCommit, flushTrace);
      const wroteOutbox = outboxWritten(qr);
      await qr.commitTransaction();
      flushTrace?.end();
      if (this.asyncCommit) this.lastCommitServer = serverStarted;
      await this.runAfterCommit(afterCommit);
      return { result, wroteOutbox };
    } catch (e) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      flushTrace?.end(e);
      throw e;
    } finally {
      await qr.release();
    }
  }

  /** Effects of a committed flush, in the order the handlers asked for them; a failure is logged, not thrown. */
  private async runAfterCommit(effects: AfterCommit[]): Promise<void> {
    for (const effect of effects) {
      try {
        await effect();
      } catch (err) {
        this.opts.logger.warn({ err }, 'an after-commit effect failed; its committed state lets it be redone');
      }
    }
  }

  /** The set-based pass; null when a handler failed (nothing was committed), so the caller redoes it slowly. */
  private async fastFlush(parts: Part[]): Promise<boolean | null> {
    const { valid, poison, skipped } = this.decode(parts);
    const heartbeat = parts[0]?.heartbeat ?? (() => Promise.resolve());
    try {
      const { wroteOutbox } = await this.inTransaction(async (qr, afterCommit, flushTrace) => {
        const fresh = await claimInbox(
          qr.manager,
          this.name,
          valid.map((v) => ({
            eventId: v.event.eventId,
            factKey: v.factKey,
            topic: v.part.topic,
            partition: v.part.partition,
            offset: v.message.offset,
          })),
        );
        for (const [topic, items] of this.byTopic(valid)) {
          // `delete`: the same event twice in one flush is applied once. An event whose fact another event of
          // this flush (or an earlier one) claimed is not in `fresh`: a duplicate, like a redelivery.
          const todo = items.filter((i) => fresh.delete(i.event.eventId));
          for (const i of items) if (!todo.includes(i)) i.part.duplicates++;
          if (todo.length === 0) continue;
          const h = this.handlers.get(topic) as Normalised<C>;
          const first = todo[0] as Item<C>;
          // A CONSUMER span per event handed to the handler (tracing on only); a batch handler's outbox rows find
          // their event's span through their causation id, a per-event handler also runs inside its span.
          const spans = flushTrace ? todo.map((i) => this.startSpan(flushTrace, topic, i)) : null;
          const ctx = (i: Item<C>): HandlerContext => ({
            manager: qr.manager,
            topic,
            partition: i.part.partition,
            offset: i.message.offset,
            attempt: 1,
            afterCommit: (effect) => afterCommit.push(effect),
          });
          try {
            if (h.batch) {
              await h.batch(
                todo.map((i) => i.event),
                ctx(first),
              );
            } else if (h.each) {
              const each = h.each;
              let n = 0;
              for (const i of todo) {
                // Branched rather than wrapped: with tracing off, no closure per event.
                if (spans) await context.with(spans[n] as Context, () => each(i.event, ctx(i)));
                else await each(i.event, ctx(i));
                if (++n % 200 === 0) await heartbeat();
              }
            }
          } catch (e) {
            if (isTransientDbError(e)) throw e;
            throw new HandlerFailedInFastPath();
          }
          for (const i of todo) i.part.processed++;
        }
        for (const p of poison) {
          await this.deadLetter(p.part.topic, p.part.partition, p.message, p.reason, p.error, 0);
          p.part.deadLettered++;
        }
      });
      this.stats.skipped += skipped;
      for (const p of parts) p.lastDone = p.messages[p.messages.length - 1]?.offset ?? null;
      return wroteOutbox;
    } catch (e) {
      if (e instanceof HandlerFailedInFastPath) return null;
      throw e;
    }
  }

  /** Event by event, each with a savepoint, bounded retries, and the DLQ for what keeps failing. */
  private async slowFlush(parts: Part[]): Promise<boolean> {
    const { valid, poison, skipped } = this.decode(parts);
    const abandoned = new Set<Part>();
    const { wroteOutbox } = await this.inTransaction(async (qr, afterCommit, flushTrace) => {
      for (const [topic, items] of this.byTopic(valid)) {
        for (const item of items) {
          if (abandoned.has(item.part)) continue;
          // On shutdown or rebalance, a batch stops here and is redelivered whole (its done events are in the inbox).
          if (!item.part.stillOwned()) {
            abandoned.add(item.part);
            continue;
          }
          const result = await this.handleOne(qr, topic, item, afterCommit, flushTrace);
          if (result === 'processed') item.part.processed++;
          else if (result === 'duplicate') item.part.duplicates++;
          else item.part.deadLettered++;
          await item.part.heartbeat();
        }
      }
      for (const p of poison) {
        if (abandoned.has(p.part)) continue;
        await this.deadLetter(p.part.topic, p.part.partition, p.message, p.reason, p.error, 0);
        p.part.deadLettered++;
      }
    });
    this.stats.skipped += skipped;
    for (const p of parts) {
      p.lastDone = abandoned.has(p) ? null : (p.messages[p.messages.length - 1]?.offset ?? null);
    }
    return wroteOutbox;
  }

  private async handleOne(
    qr: QueryRunner,
    topic: string,
    item: Item<C>,
    afterCommit: AfterCommit[],
    flushTrace: FlushTrace | null,
  ): Promise<'processed' | 'duplicate' | 'dead-lettered'> {
    const { part, message, event, factKey } = item;
    const h = this.handlers.get(topic) as Normalised<C>;
    // The event's CONSUMER span, opened once its inbox claim succeeded (a duplicate gets none), across attempts.
    let spanContext: Context | undefined;
    for (let attempt = 1; ; attempt++) {
      // Kept only if this attempt is released: an attempt undone to its savepoint decided nothing.
      const effects: AfterCommit[] = [];
      await qr.query('SAVEPOINT hoso_message');
      try {
        // The set-based claim, for one event: a known event id or a known fact is a duplicate.
        const inserted = await claimInbox(qr.manager, this.name, [
          { eventId: event.eventId, factKey, topic, partition: part.partition, offset: message.offset },
        ]);
        if (inserted.size === 0) {
          await qr.query('RELEASE SAVEPOINT hoso_message');
          return 'duplicate';
        }
        if (flushTrace) spanContext ??= this.startSpan(flushTrace, topic, item);
        const ctx: HandlerContext = {
          manager: qr.manager,
          topic,
          partition: part.partition,
          offset: message.offset,
          attempt,
          afterCommit: (effect) => effects.push(effect),
        };
        const { batch, each } = h;
        if (spanContext) {
          if (batch) await context.with(spanContext, () => batch([event], ctx));
          else if (each) await context.with(spanContext, () => each(event, ctx));
        } else if (batch) await batch([event], ctx);
        else if (each) await each(event, ctx);
        await qr.query('RELEASE SAVEPOINT hoso_message');
        afterCommit.push(...effects);
        return 'processed';
      } catch (e) {
        if (isTransientDbError(e)) throw e;
        await qr.query('ROLLBACK TO SAVEPOINT hoso_message');
        const err = e instanceof Error ? e : new Error(String(e));
        const final = e instanceof NonRetriableError || attempt >= this.maxAttempts;
        const span = spanContext === undefined ? undefined : trace.getSpan(spanContext);
        span?.recordException(err);
        if (final) span?.setStatus({ code: SpanStatusCode.ERROR, message: `dead-lettered: ${err.message}` });
        this.opts.logger.warn(
          {
            err,
            topic,
            partition: part.partition,
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
            part.partition,
            message,
            e instanceof NonRetriableError ? 'rejected' : 'handler-failed',
            err.message,
            attempt,
          );
          return 'dead-lettered';
        }
        this.stats.retries++;
        await sleep(Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (attempt - 1)));
        await part.heartbeat();
      }
    }
  }

  /** Opens the CONSUMER span of one event of this flush (see FlushTrace). */
  private startSpan(flushTrace: FlushTrace, topic: string, { part, message, event }: Item<C>): Context {
    return flushTrace.start(`${this.opts.topicPrefix ?? ''}${topic}`, part.partition, message, event);
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
    // Sent before the flush commits: if the commit then fails the message is dead-lettered again, never lost.
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
