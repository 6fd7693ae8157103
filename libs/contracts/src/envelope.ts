import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import type { PayloadOf, TopicCatalog, TopicOf } from './topic';

/**
 * The one envelope every event travels in. `dossierId` is the Kafka key, so all events of a
 * dossier land on one partition in order; `correlationId` follows a citizen's request across
 * services and `causationId` names the event (or request) that caused this one.
 */
export const envelopeSchema = z.object({
  eventId: z.uuid({ version: 'v7', message: 'eventId must be a UUIDv7' }),
  type: z.string().min(1),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  dossierId: z.uuid().nullable(),
  correlationId: z.string().min(1).max(200),
  causationId: z.string().min(1).max(200).nullable(),
  producer: z.string().min(1),
  payload: z.unknown(),
});

export type EnvelopeHeader = Omit<z.output<typeof envelopeSchema>, 'payload'>;

export interface Envelope<P = unknown> extends EnvelopeHeader {
  readonly payload: P;
}

export type EventOf<C extends TopicCatalog, T extends TopicOf<C>> = Envelope<PayloadOf<C, T>>;

export interface EventMeta {
  /** Null only for topics that declare their own `keyOf` (not about one dossier). */
  dossierId: string | null;
  correlationId: string;
  causationId?: string | null;
  producer: string;
  occurredAt?: Date;
  eventId?: string;
}

export class ContractViolation extends Error {
  constructor(
    readonly topic: string,
    readonly issues: readonly string[],
  ) {
    super(`${topic}: ${issues.join('; ')}`);
    this.name = 'ContractViolation';
  }
}

function describe(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.')}: ${i.message}`);
}

/** Builds and validates an event for `topic`; throws ContractViolation on a bad payload (validate on produce). */
export function createEvent<C extends TopicCatalog, T extends TopicOf<C>>(
  catalog: C,
  topic: T,
  payload: PayloadOf<C, T>,
  meta: EventMeta,
): EventOf<C, T> {
  const def = catalog[topic];
  if (!def) throw new ContractViolation(topic, ['unknown topic']);
  const parsed = def.schema.safeParse(payload);
  if (!parsed.success) throw new ContractViolation(topic, describe(parsed.error, 'payload'));
  if (meta.dossierId === null && !def.keyOf) {
    throw new ContractViolation(topic, ['dossierId is required: this topic is keyed by dossier']);
  }
  const envelope = {
    eventId: meta.eventId ?? uuidv7(),
    type: def.type,
    version: def.version,
    occurredAt: (meta.occurredAt ?? new Date()).toISOString(),
    dossierId: meta.dossierId,
    correlationId: meta.correlationId,
    causationId: meta.causationId ?? null,
    producer: meta.producer,
    payload: parsed.data as PayloadOf<C, T>,
  };
  const header = envelopeSchema.safeParse(envelope);
  if (!header.success) throw new ContractViolation(topic, describe(header.error, ''));
  return envelope;
}

/** The Kafka key of an event: its dossier, or the topic's own key for events not about one dossier. */
export function keyOf<C extends TopicCatalog>(catalog: C, topic: TopicOf<C>, event: Envelope): string {
  if (event.dossierId) return event.dossierId;
  const def = catalog[topic];
  if (def?.keyOf) return def.keyOf(event.payload);
  throw new ContractViolation(topic, ['event has neither dossierId nor a topic key']);
}

export type DecodeResult<P> =
  | { ok: true; event: Envelope<P> }
  | { ok: false; reason: 'unknown-topic' | 'not-json' | 'bad-envelope' | 'bad-payload' | 'wrong-type'; error: string };

/** Validates raw bytes read from `topic` (validate on consume). Never throws: a bad message is a value. */
export function decodeEvent<C extends TopicCatalog, T extends TopicOf<C>>(
  catalog: C,
  topic: T,
  raw: Buffer | string | null,
): DecodeResult<PayloadOf<C, T>> {
  const def = catalog[topic];
  if (!def) return { ok: false, reason: 'unknown-topic', error: `unknown topic ${topic}` };
  if (raw === null) return { ok: false, reason: 'not-json', error: 'empty message value (tombstone)' };
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (e) {
    return { ok: false, reason: 'not-json', error: `value is not JSON: ${(e as Error).message}` };
  }
  const header = envelopeSchema.safeParse(json);
  if (!header.success) {
    return { ok: false, reason: 'bad-envelope', error: describe(header.error, '').join('; ') };
  }
  if (header.data.type !== def.type || header.data.version !== def.version) {
    return {
      ok: false,
      reason: 'wrong-type',
      error: `topic ${topic} carries ${def.type} v${def.version}, got ${header.data.type} v${header.data.version}`,
    };
  }
  const payload = def.schema.safeParse(header.data.payload);
  if (!payload.success) {
    return { ok: false, reason: 'bad-payload', error: describe(payload.error, 'payload').join('; ') };
  }
  return { ok: true, event: { ...header.data, payload: payload.data as PayloadOf<C, T> } };
}
