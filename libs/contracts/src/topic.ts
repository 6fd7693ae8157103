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
  deprecated?: string;
}): TopicDefinition<S, `${Ty}.v${V}`> {
  if (!/^[a-z]+(\.[a-z][a-z-]*)+$/.test(def.type)) {
    throw new Error(`topic type "${def.type}" must look like "area.past-tense-verb"`);
  }
  return Object.freeze({ ...def, name: `${def.type}.v${def.version}` });
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
