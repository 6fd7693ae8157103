import { eventually } from '@hoso/testing';
import { createEvent, keyOf, type Envelope, type TopicCatalog, type TopicOf } from '@hoso/contracts';
import type { ConsumerStats } from '../consumer';
import type { EventProducer } from '../producer';

type Query = (sql: string, params?: unknown[]) => Promise<unknown[]>;

/**
 * Every row of every table of the service's schema, as sorted JSON per table: "nothing changed" compares two of
 * these. `skip` leaves out tables that move on their own (timers, snapshots taken on a schedule).
 */
export async function snapshotTables(query: Query, skip: readonly string[] = []): Promise<Record<string, string[]>> {
  const tables = (await query(
    `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'typeorm_migrations'
      ORDER BY tablename`,
  )) as { tablename: string }[];
  const out: Record<string, string[]> = {};
  for (const { tablename } of tables) {
    // Which member each process last joined its group as: bookkeeping of the group, not state an event changes.
    if (skip.includes(tablename) || tablename === 'messaging_group_members') continue;
    const [row] = (await query(
      `SELECT coalesce(array_agg(j ORDER BY j), '{}') AS rows FROM (SELECT row_to_json(t)::text AS j FROM "${tablename}" t) s`,
    )) as { rows: string[] }[];
    out[tablename] = row?.rows ?? [];
  }
  return out;
}

/**
 * The same fact announced again, as a producer retry that re-wrote its outbox row (or a replay from another
 * source) would: the payload and dossier of `event` under a new event id, correlation and envelope time.
 */
export function reannounce<C extends TopicCatalog>(catalog: C, topic: TopicOf<C>, event: Envelope): Envelope {
  const again = createEvent(catalog, topic, event.payload as never, {
    dossierId: event.dossierId,
    correlationId: `reannounced-${event.correlationId}`.slice(0, 200),
    causationId: event.causationId,
    producer: event.producer,
    occurredAt: new Date(Date.parse(event.occurredAt) + 1_000),
  });
  if (again.eventId === event.eventId) throw new Error('a re-announcement needs a new event id');
  return again;
}

/** Sends events on the run's prefixed topics, each under its Kafka key (as a producing service would). */
export async function sendEvents<C extends TopicCatalog>(
  producer: EventProducer,
  catalog: C,
  topicPrefix: string,
  events: readonly { topic: TopicOf<C>; event: Envelope }[],
): Promise<void> {
  await producer.sendBatch(
    events.map(({ topic, event }) => ({
      topic: `${topicPrefix}${topic}`,
      key: keyOf(catalog, topic, event),
      value: JSON.stringify(event),
    })),
  );
}

/** Waits until the consumer has counted `n` more duplicates than `before` (the re-announcements were read). */
export async function duplicatesSeen(
  stats: () => ConsumerStats | undefined,
  before: number,
  n: number,
  timeoutMs = 30_000,
): Promise<void> {
  await eventually(
    `${n} re-announced facts seen as duplicates`,
    () => Promise.resolve((stats()?.duplicates ?? 0) - before >= n),
    timeoutMs,
  );
}

/**
 * A snapshot once the service has settled: two snapshots 200 ms apart are equal (the relay, notification
 * deliveries and other work that follows a consumed fact have finished), polled up to `timeoutMs`.
 */
export async function settledSnapshot(
  query: Query,
  skip: readonly string[] = [],
  timeoutMs = 30_000,
): Promise<Record<string, string[]>> {
  let last = JSON.stringify(await snapshotTables(query, skip));
  return eventually(
    'the service database settled',
    async () => {
      const now = await snapshotTables(query, skip);
      const text = JSON.stringify(now);
      if (text === last) return now;
      last = text;
      return undefined;
    },
    timeoutMs,
    200,
  );
}
