/**
 * Hand-made poison records: four kinds of record no consumer can apply, written straight to a consumed topic as a
 * broken producer (or an operator with a console producer) would — not JSON, JSON that is no event envelope, an
 * envelope of a version the topic does not carry, and a right envelope around a payload its schema refuses. Each
 * must end in the topic's DLQ, once per consuming group, with the headers that say why, and the partition must go
 * on past it.
 */
import type { Kafka } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';
import { catalog, dlqTopicOf, type Topic } from '@hoso/contracts';
import { DLQ_HEADERS, readDlq, type DlqEntry } from '@hoso/messaging';

export const POISON_KINDS = ['not JSON', 'wrong schema', 'unknown version', 'wrong payload'] as const;
export type PoisonKind = (typeof POISON_KINDS)[number];

/** The reason a consumer gives each kind (decodeEvent's, written to the `hoso-dlq-reason` header). */
export const POISON_REASON: Record<PoisonKind, string> = {
  'not JSON': 'not-json',
  'wrong schema': 'bad-envelope',
  'unknown version': 'wrong-type',
  'wrong payload': 'bad-payload',
};

export interface PoisonRecord {
  kind: PoisonKind;
  /** Physical topic (with the run's prefix). */
  topic: string;
  partition: number;
  offset: string;
  key: string;
}

function poisonValue(kind: PoisonKind, topic: Topic, key: string): string {
  const def = catalog[topic];
  const envelope = {
    eventId: uuidv7(),
    type: def.type,
    version: def.version,
    occurredAt: new Date().toISOString(),
    dossierId: key,
    correlationId: `faults-poison-${kind.replace(/\W/g, '-')}`,
    causationId: null,
    producer: 'simulator',
  };
  switch (kind) {
    case 'not JSON':
      return `{"eventId": "${envelope.eventId}", this is not JSON`;
    case 'wrong schema':
      return JSON.stringify({ id: envelope.eventId, kind: def.type, dossier: key, data: {} });
    case 'unknown version':
      return JSON.stringify({ ...envelope, version: def.version + 90, payload: { dossierId: key } });
    case 'wrong payload':
      return JSON.stringify({ ...envelope, payload: { dossierId: key, unexpected: true } });
  }
}

/**
 * Writes the four kinds, in order, to every partition of each of `topics` (logical name → keys): keyed by dossiers
 * still in flight, ahead of the events that follow on that partition, which must still be applied. Every partition,
 * not only the keys' own: a topic with one event per dossier (dossier.submitted.v1) gets no later event on an
 * in-flight dossier's partition unless another dossier happens to hash there, so the partitions a later arrival
 * lands on must hold poison as well.
 */
export async function producePoison(
  kafka: Kafka,
  prefix: string,
  topics: ReadonlyMap<Topic, readonly string[]>,
  partitions: number,
): Promise<PoisonRecord[]> {
  // One request for all of it: the poison must be in place before the arrivals still to come are submitted.
  const planned: { topic: string; partition: number; key: string; kind: PoisonKind }[] = [];
  for (const [topic, keys] of topics) {
    if (keys.length === 0) throw new Error(`no key to poison ${topic} with`);
    for (let partition = 0; partition < partitions; partition++) {
      const key = keys[partition % keys.length] as string;
      for (const kind of POISON_KINDS) planned.push({ topic, partition, key, kind });
    }
  }
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const meta = await producer.sendBatch({
      acks: -1,
      topicMessages: [...topics.keys()].map((topic) => ({
        topic: `${prefix}${topic}`,
        messages: planned
          .filter((x) => x.topic === topic)
          .map((x) => ({ key: x.key, partition: x.partition, value: poisonValue(x.kind, topic, x.key) })),
      })),
    });
    // A partition's records of one request are written consecutively from its base offset, in request order.
    const base = new Map(meta.map((m) => [`${m.topicName}/${m.partition}`, BigInt(m.baseOffset ?? '-1')]));
    const seen = new Map<string, bigint>();
    return planned.map((x) => {
      const physical = `${prefix}${x.topic}`;
      const tp = `${physical}/${x.partition}`;
      const first = base.get(tp);
      if (first === undefined || first < 0n) throw new Error(`no record metadata for the poison sent to ${tp}`);
      const i = seen.get(tp) ?? 0n;
      seen.set(tp, i + 1n);
      return { kind: x.kind, topic: physical, partition: x.partition, offset: String(first + i), key: x.key };
    });
  } finally {
    await producer.disconnect();
  }
}

/** Every dead letter of `physicalTopic`'s DLQ, from its log start. */
export function deadLetters(kafka: Kafka, physicalTopic: string): Promise<DlqEntry[]> {
  return readDlq(kafka, dlqTopicOf(physicalTopic), { from: 'start', timeoutMs: 60_000 });
}

/** The dead letters of one poison record (by original topic, partition and offset). */
export function lettersOf(entries: readonly DlqEntry[], p: PoisonRecord): DlqEntry[] {
  return entries.filter(
    (e) =>
      e.headers[DLQ_HEADERS.originalTopic] === p.topic &&
      e.headers[DLQ_HEADERS.originalPartition] === String(p.partition) &&
      e.headers[DLQ_HEADERS.originalOffset] === p.offset,
  );
}

/** What is wrong with a dead letter of `p` written by `consumer`, or null: the headers must say why and where from. */
export function letterProblem(e: DlqEntry, p: PoisonRecord): string | null {
  const h = e.headers;
  const problems: string[] = [];
  if (h[DLQ_HEADERS.reason] !== POISON_REASON[p.kind])
    problems.push(`reason ${h[DLQ_HEADERS.reason] ?? '(none)'}, expected ${POISON_REASON[p.kind]}`);
  if (!h[DLQ_HEADERS.error]) problems.push('no error text');
  if (!h[DLQ_HEADERS.consumer]) problems.push('no consumer');
  if (h[DLQ_HEADERS.attempts] === undefined) problems.push('no attempts');
  if (Number.isNaN(Date.parse(h[DLQ_HEADERS.failedAt] ?? ''))) problems.push('no failed-at time');
  if (e.key !== p.key) problems.push(`key ${e.key ?? '(none)'}, expected ${p.key}`);
  return problems.length ? `${p.kind} on ${p.topic}/${p.partition}@${p.offset}: ${problems.join('; ')}` : null;
}
