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
 * Writes the four kinds, in order, to each of `topics` (logical name → key): keyed by a dossier still in flight,
 * they land on its partition ahead of its next events, which must still be applied.
 */
export async function producePoison(
  kafka: Kafka,
  prefix: string,
  topics: ReadonlyMap<Topic, string>,
): Promise<PoisonRecord[]> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const out: PoisonRecord[] = [];
  try {
    for (const [topic, key] of topics) {
      for (const kind of POISON_KINDS) {
        // One send per record: its offset is the send's base offset.
        const [meta] = await producer.send({
          topic: `${prefix}${topic}`,
          acks: -1,
          messages: [{ key, value: poisonValue(kind, topic, key) }],
        });
        if (!meta) throw new Error(`no record metadata for the poison sent to ${prefix}${topic}`);
        out.push({ kind, topic: `${prefix}${topic}`, partition: meta.partition, offset: meta.baseOffset ?? '', key });
      }
    }
  } finally {
    await producer.disconnect();
  }
  return out;
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
