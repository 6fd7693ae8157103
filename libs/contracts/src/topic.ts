import type { z } from 'zod';

/** Services that produce events; the envelope's `producer` names one of them. */
export const producers = ['intake', 'identity', 'payment', 'case-tracking', 'metrics', 'gateway', 'simulator'] as const;
export type Producer = (typeof producers)[number];

/**
 * One Kafka topic and the only payload it may carry.
 * The version lives in the name (`dossier.submitted.v1`): a breaking change is a new `.v2` topic,
 * and within a version only additive changes are allowed.
 */
export interface TopicDefinition<S extends z.ZodType = z.ZodType, N extends string = string> {
  readonly name: N;
  /** `dossier.submitted` for `dossier.submitted.v1`. */
  readonly type: string;
  readonly version: number;
  readonly producer: Producer | 'test';
  readonly summary: string;
  readonly schema: S;
  /**
   * Partition key when an event is not about one dossier (metrics snapshots).
   * Otherwise the key is the envelope's `dossierId`, so one dossier's events stay ordered.
   */
  readonly keyOf?: (payload: z.output<S>) => string;
  /**
   * Payload fields that name the business fact this event states, when one exists (e.g. `['dossierId',
   * 'paymentId']`: a payment completes once). Consumers keep one inbox row per fact key (see `factKeyOf`), so the
   * same fact published again under a new event id — a producer that re-wrote its outbox row, a replay from
   * another source — changes nothing, even when the re-announcement carries new timestamps. Only for a fact that
   * can happen once per those fields: two distinct facts with equal values would be merged, the second lost.
   * Absent: the key is a hash of the whole payload (a re-announcement repeats it; two distinct facts differ in
   * some field, e.g. a time).
   */
  readonly factKey?: readonly string[];
  /**
   * Set when the topic is no longer produced (superseded by a newer version): why, and what replaces it. Its
   * consumers keep reading it for the events already in the log.
   */
  readonly deprecated?: string;
}

export type TopicCatalog = Readonly<Record<string, TopicDefinition>>;

export type TopicOf<C extends TopicCatalog> = Extract<keyof C, string>;

export type PayloadOf<C extends TopicCatalog, T extends TopicOf<C>> = z.output<C[T]['schema']>;

/** Builds a topic definition whose name is derived from type and version, so the two never disagree. */
export function defineTopic<S extends z.ZodType, const Ty extends string, const V extends number>(def: {
  type: Ty;
  version: V;
  producer: Producer | 'test';
  summary: string;
  schema: S;
  keyOf?: (payload: z.output<S>) => string;
  /** Payload fields of the fact key; each must be a required string, number or enum of the schema. */
  factKey?: readonly (keyof z.output<S> & string)[];
  deprecated?: string;
}): TopicDefinition<S, `${Ty}.v${V}`> {
  if (!/^[a-z]+(\.[a-z][a-z-]*)+$/.test(def.type)) {
    throw new Error(`topic type "${def.type}" must look like "area.past-tense-verb"`);
  }
  if (def.factKey) checkFactKey(`${def.type}.v${def.version}`, def.schema, def.factKey);
  return Object.freeze({ ...def, name: `${def.type}.v${def.version}` });
}

/**
 * A fact key must name fields every valid payload has, as a string or a number: a field that may be absent or
 * null would give many distinct facts one key. Checked when the topic is defined, so a bad key fails at start-up.
 */
function checkFactKey(name: string, schema: z.ZodType, fields: readonly string[]): void {
  const shape = (schema as { shape?: Record<string, z.ZodType> }).shape;
  if (fields.length === 0) throw new Error(`topic ${name}: factKey names no field`);
  if (!shape) throw new Error(`topic ${name}: factKey needs an object schema`);
  for (const field of fields) {
    const type = shape[field];
    if (!type) throw new Error(`topic ${name}: factKey field "${field}" is not in the payload schema`);
    if (type.safeParse(undefined).success || type.safeParse(null).success) {
      throw new Error(`topic ${name}: factKey field "${field}" may be absent or null`);
    }
    const kind = (type as { def?: { type?: string } }).def?.type;
    if (kind !== 'string' && kind !== 'number' && kind !== 'enum') {
      throw new Error(`topic ${name}: factKey field "${field}" must be a string, number or enum (is ${kind ?? '?'})`);
    }
  }
}

/** Builds a catalog keyed by topic name from a list of definitions (names must be unique). */
export function defineCatalog<const D extends readonly TopicDefinition[]>(
  defs: D,
): { readonly [K in D[number] as K['name']]: K } {
  const catalog: Record<string, TopicDefinition> = {};
  for (const def of defs) {
    if (catalog[def.name]) throw new Error(`topic ${def.name} is defined twice`);
    catalog[def.name] = def;
  }
  return Object.freeze(catalog) as { readonly [K in D[number] as K['name']]: K };
}

/** Dead-letter topic of a topic: where messages that cannot be handled are parked for operators. */
export function dlqTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

export const DLQ_SUFFIX = '.dlq';
