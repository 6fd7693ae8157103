import { createHash } from 'node:crypto';
import { ContractViolation, keyOf, type Envelope } from './envelope';
import type { TopicCatalog, TopicOf } from './topic';

/**
 * JSON with every object's keys sorted (arrays keep their order; undefined members are left out, as JSON.stringify
 * does): two payloads that are equal as values give the same text, whatever order their producer wrote keys in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value) as string | undefined;
    return text ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The business fact an event states, as the inbox records it next to the event id: a consumer applies one event
 * per fact key, so the same fact published again under a new event id (a producer retry that re-wrote its outbox
 * row, a replay from another source) is skipped like a redelivery.
 *
 * - A topic with `factKey` fields: `<topic>/<value>/<value>…` (e.g. `payment.completed.v1/<dossierId>/<paymentId>`),
 *   so a re-announcement is recognised even if its timestamps were recomputed.
 * - Otherwise `<topic>/<Kafka key>/<sha256 of the canonical payload>`: a re-announcement repeats the payload (only
 *   the envelope's event id and times are new), two distinct facts differ in some payload field. The Kafka key
 *   (the dossier) is part of it because a payload need not name its dossier.
 *
 * The topic (with its version) is always part of the key: facts of two topics never merge.
 */
export function factKeyOf<C extends TopicCatalog>(catalog: C, topic: TopicOf<C>, event: Envelope): string {
  const def = catalog[topic];
  if (!def) throw new ContractViolation(topic, ['unknown topic']);
  const payload = event.payload as Record<string, unknown>;
  if (def.factKey) {
    const values = def.factKey.map((field) => {
      const v = payload[field];
      // Encoded: a value holding '/' cannot make two different value lists one key.
      if (typeof v === 'string' && v.length > 0) return encodeURIComponent(v);
      if (typeof v === 'number' && Number.isFinite(v)) return String(v);
      throw new ContractViolation(topic, [`payload.${field}: the fact key needs a non-empty string or a number`]);
    });
    return [topic, ...values].join('/');
  }
  const hash = createHash('sha256').update(canonicalJson(payload)).digest('base64url');
  return `${topic}/${keyOf(catalog, topic, event)}/${hash}`;
}
