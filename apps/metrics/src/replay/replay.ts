import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { catalog, decodeEvent, factKeyOf, type Envelope } from '@hoso/contracts';
import { claimInbox, consumerLag, type Logger } from '@hoso/messaging';
import { createDataSource, createTestDatabase, runMigrations } from '@hoso/persistence';
import { COUNT_NAMES } from '@hoso/rates';
import { consumedTopics, projectMixed, type ConsumedTopic } from '../projection/project-event';
import { groupBys, queryRates, type Sql } from '../rates/rates.query';
import { METRICS_MIGRATIONS } from '../migrations';

export interface ReplayOptions {
  kafka: Kafka;
  /** The PostgreSQL server (any database on it) where the fresh replay database is created. */
  serverUrl: string;
  /** The live projection to compare with. */
  live: DataSource;
  topicPrefix: string;
  /** The live consumer group: the comparison waits until it has committed up to the replay's end offsets. */
  liveGroupId?: string;
  /** "Overdue now" is compared at one instant for both projections. */
  now?: Date;
  keepDatabase?: boolean;
  timeoutMs?: number;
  logger?: Logger;
}

export interface ReplayReport {
  replayDatabase: string;
  /** Events applied (duplicates by event id or by fact key are dropped by the replay's own inbox). */
  applied: number;
  read: number;
  skippedInvalid: number;
  endOffsets: Record<string, Record<number, string>>;
  differences: string[];
  durationMs: number;
  /** From the first fetched batch to the last applied one (no set-up, group join or comparison), and its rate. */
  readMs: number;
  eventsPerSecond: number;
}

/**
 * Replay proof: a fresh database, the projection rebuilt from every consumed topic from offset zero up to the
 * end offsets seen at the start (new consumer group, bounded read), then every number compared with the live
 * projection. Must report no differences.
 */
export async function replayAndCompare(o: ReplayOptions): Promise<ReplayReport> {
  const started = Date.now();
  const timeoutMs = o.timeoutMs ?? 120_000;
  const physical = consumedTopics.map((t) => `${o.topicPrefix}${t}`);
  const ends = await endOffsets(o.kafka, physical);
  const db = await createTestDatabase(o.serverUrl, 'hoso_metrics_replay');
  const ds = createDataSource({ url: db.url, applicationName: 'metrics-replay', migrations: METRICS_MIGRATIONS });
  try {
    await ds.initialize();
    await runMigrations(ds);
    const { readMs, ...stats } = await readAll(o, ds, ends, timeoutMs);
    if (o.liveGroupId) await waitForLive(o.kafka, o.liveGroupId, ends, started + timeoutMs);
    const differences = await compareProjections(o.live, ds, o.now ?? new Date());
    return {
      replayDatabase: db.name,
      ...stats,
      endOffsets: Object.fromEntries(
        [...ends].map(([t, parts]) => [t, Object.fromEntries([...parts].map(([p, e]) => [p, e.toString()]))]),
      ),
      differences,
      durationMs: Date.now() - started,
      readMs,
      eventsPerSecond: Math.round(stats.read / Math.max(readMs / 1000, 0.001)),
    };
  } finally {
    if (ds.isInitialized) await ds.destroy();
    if (!o.keepDatabase) await db.drop();
  }
}

type Ends = Map<string, Map<number, bigint>>;

async function endOffsets(kafka: Kafka, topics: string[]): Promise<Ends> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out: Ends = new Map();
    for (const t of topics) {
      const offsets = await admin.fetchTopicOffsets(t);
      // Only partitions with something to read: a partition whose log is empty (low = high) has no end to reach.
      out.set(
        t,
        new Map(offsets.filter((x) => BigInt(x.high) > BigInt(x.low)).map((x) => [x.partition, BigInt(x.high)])),
      );
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** Events waiting to be applied, beyond which the read waits for PostgreSQL (memory stays bounded). */
const MAX_PENDING = 20_000;

interface Pending {
  topic: ConsumedTopic;
  partition: number;
  offset: string;
  event: Envelope;
}

/**
 * The bounded read (like the DLQ tools' consumeUntilEnd, over many topics). Pipelined: while PostgreSQL applies
 * what was read so far, the next batches are fetched and decoded into a buffer; each application takes the whole
 * buffer, every topic and partition of it in one transaction, so a dossier's events read together (its submission,
 * payment, reception, moves, completion, rating) write its fact row once. One transaction at a time, so two never
 * lock the same fact rows in opposite orders. (Two transactions side by side over disjoint dossiers were measured:
 * no faster on two cores, where this process needs one of them.)
 */
async function readAll(
  o: ReplayOptions,
  ds: DataSource,
  ends: Ends,
  timeoutMs: number,
): Promise<{ applied: number; read: number; skippedInvalid: number; readMs: number }> {
  const remaining = new Set<string>();
  for (const [t, parts] of ends) for (const p of parts.keys()) remaining.add(`${t}/${p}`);
  const stats = { applied: 0, read: 0, skippedInvalid: 0, readMs: 0 };
  if (remaining.size === 0) return stats;
  let firstBatchAt: number | null = null;
  const buffer = { pending: [] as Pending[], applying: null as Promise<void> | null };
  let failed: Error | null = null;
  let settle: (() => void) | null = null;
  const groupId = `metrics-replay-${Date.now()}-${randomBytes(4).toString('hex')}`;
  const consumer = o.kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...ends.keys()], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(`replay did not reach the end offsets in ${timeoutMs} ms (left: ${[...remaining].join(', ')})`),
        );
      }, timeoutMs);
      /** Done: every partition read to its end offset and everything read applied. */
      settle = () => {
        if (remaining.size > 0 || buffer.pending.length > 0 || buffer.applying !== null) return;
        stats.readMs = Date.now() - (firstBatchAt ?? Date.now());
        clearTimeout(timer);
        resolve();
      };
      const applyOnce = async (todo: Pending[]) => {
        await ds.transaction(async (m) => {
          // The replay database is thrown away if the replay fails: its commits need not wait for fsync.
          await m.query(`SET LOCAL synchronous_commit = off`);
          // The live consumer's inbox: one multi-row INSERT, with the fact keys, so a fact re-announced under a new
          // event id counts once here as it does live.
          const fresh = await claimInbox(
            m,
            'metrics',
            todo.map((v) => ({
              eventId: v.event.eventId,
              factKey: factKeyOf(catalog, v.topic, v.event),
              topic: v.topic,
              partition: v.partition,
              offset: v.offset,
            })),
          );
          const apply = todo.filter((v) => fresh.delete(v.event.eventId));
          await projectMixed(
            apply.map((v) => ({ topic: v.topic, event: v.event as never })),
            m,
          );
          stats.applied += apply.length;
        });
      };
      /**
       * Applies the buffer until it is empty; a failure stops the replay. The loop starts a microtask later, so
       * `applying` is set before it can end (and be cleared).
       */
      const drain = (): void => {
        if (buffer.applying || buffer.pending.length === 0) return;
        buffer.applying = Promise.resolve()
          .then(async () => {
            while (buffer.pending.length) {
              const todo = buffer.pending;
              buffer.pending = [];
              await applyOnce(todo);
            }
          })
          .catch((e: unknown) => {
            failed = e instanceof Error ? e : new Error(String(e));
            reject(failed);
          })
          .finally(() => {
            buffer.applying = null;
            settle?.();
          });
      };
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async (payload) => {
            const { batch } = payload;
            if (failed) throw failed;
            firstBatchAt ??= Date.now();
            const end = ends.get(batch.topic)?.get(batch.partition) ?? 0n;
            const topic = batch.topic.slice(o.topicPrefix.length) as ConsumedTopic;
            for (const message of batch.messages) {
              if (BigInt(message.offset) >= end) continue;
              stats.read++;
              const decoded = decodeEvent(catalog, topic, message.value);
              // The live consumer dead-lettered these; they never reached the projection there either.
              if (decoded.ok) {
                buffer.pending.push({
                  topic,
                  partition: batch.partition,
                  offset: message.offset,
                  event: decoded.event,
                });
              } else stats.skippedInvalid++;
            }
            const last = batch.messages[batch.messages.length - 1];
            if (last && BigInt(last.offset) + 1n >= end) remaining.delete(`${batch.topic}/${batch.partition}`);
            drain();
            settle?.();
            // Back-pressure: past the bound, wait for the buffer to be taken before fetching more.
            while (buffer.pending.length > MAX_PENDING && buffer.applying) await buffer.applying;
            if (last) payload.resolveOffset(last.offset);
            await payload.heartbeat();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
    const admin = o.kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
  return stats;
}

/** The live group has committed at least up to the offsets the replay read, so both saw the same events. */
async function waitForLive(kafka: Kafka, groupId: string, ends: Ends, deadline: number): Promise<void> {
  for (;;) {
    const lags = await consumerLag(kafka, groupId, [...ends.keys()]);
    const behind = [...ends].flatMap(([t, parts]) =>
      [...parts].filter(([p, end]) => {
        const c = lags.find((l) => l.topic === t && l.partition === p)?.committed ?? '-1';
        return c === '-1' || BigInt(c) < end;
      }),
    );
    if (behind.length === 0) return;
    if (Date.now() > deadline) throw new Error(`live group ${groupId} has not caught up with the replayed offsets`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const FACT_COLUMNS = `dossier_id, agency_code, province_code, procedure_code, service_level, channel, dims_from_submission,
  submitted_at, submitted_day::text, fee_vnd::text, has_attachments, identity_status, fee_charged, waived, paid_online,
  paid_offline, payment_failed_final, refunded, received_at, received_day::text, due_at, due_as_of, case_status,
  status_at, completed_at, completed_day::text, outcome, on_time, result_digital, rating, rated_at, rated_day::text,
  withdrawn_at`;

/**
 * Every number of both projections: all counts of every groupBy dimension (all time and per cohort day), and the
 * fact rows themselves. Returns one line per difference (none when the projections agree).
 */
export async function compareProjections(live: Sql, replay: Sql, now: Date): Promise<string[]> {
  const diffs: string[] = [];
  const days = await allDays(live, replay);
  const ranges = [{ from: null, to: null }, ...days.map((d) => ({ from: d, to: d }))];
  for (const groupBy of groupBys) {
    for (const range of ranges) {
      const q = { groupBy, range, now };
      const [a, b] = await Promise.all([queryRates(live, q), queryRates(replay, q)]);
      const keys = new Set([...a.map((r) => r.key), ...b.map((r) => r.key)]);
      const label = range.from ? `${groupBy}@${range.from}` : groupBy;
      for (const key of [...keys].sort()) {
        const ra = a.find((r) => r.key === key);
        const rb = b.find((r) => r.key === key);
        for (const n of COUNT_NAMES) {
          const va = ra?.counts[n] ?? 0;
          const vb = rb?.counts[n] ?? 0;
          if (va !== vb) diffs.push(`${label} ${key} ${n}: live ${va}, replay ${vb}`);
        }
      }
    }
  }
  const [fa, fb] = await Promise.all([facts(live), facts(replay)]);
  const ids = new Set([...fa.keys(), ...fb.keys()]);
  for (const id of [...ids].sort()) {
    const ra = fa.get(id);
    const rb = fb.get(id);
    if (!ra || !rb) {
      diffs.push(`fact ${id}: ${ra ? 'missing in replay' : 'missing in live'}`);
      continue;
    }
    for (const col of Object.keys(ra)) {
      const va = JSON.stringify(ra[col]);
      const vb = JSON.stringify(rb[col]);
      if (va !== vb) diffs.push(`fact ${id}.${col}: live ${va}, replay ${vb}`);
    }
  }
  return diffs;
}

async function facts(db: Sql): Promise<Map<string, Record<string, unknown>>> {
  const rows = await db.query<Record<string, unknown>[]>(
    `SELECT ${FACT_COLUMNS} FROM metrics_dossier_facts ORDER BY dossier_id`,
  );
  return new Map(rows.map((r) => [String(r['dossier_id']), r]));
}

async function allDays(...dbs: Sql[]): Promise<string[]> {
  const sql = `SELECT DISTINCT d::text AS d FROM metrics_dossier_facts,
                 unnest(ARRAY[submitted_day, received_day, completed_day, rated_day]) AS d WHERE d IS NOT NULL`;
  const sets = await Promise.all(dbs.map((db) => db.query<{ d: string }[]>(sql)));
  return [...new Set(sets.flat().map((r) => r.d))].sort();
}
