import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { catalog, topicNames, type Topic } from './catalog';
import { createEvent, decodeEvent, type Envelope } from './envelope';
import { canonicalJson, factKeyOf } from './fact-key';
import { samplePayloads } from './samples';
import { defineTopic } from './topic';

const dossierOf = (topic: Topic): string | null => (samplePayloads[topic] as { dossierId?: string }).dossierId ?? null;

function announce<T extends Topic>(topic: T, payload = samplePayloads[topic], occurredAt?: Date): Envelope {
  return createEvent(catalog, topic, payload, {
    dossierId: dossierOf(topic),
    correlationId: `c-${randomUUID()}`,
    producer: 'test',
    ...(occurredAt ? { occurredAt } : {}),
  });
}

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order and leaves undefined members out', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null }, u: undefined })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(canonicalJson({ a: { c: null, d: [2, 1] }, b: 1 })).toBe(canonicalJson({ b: 1, a: { d: [2, 1], c: null } }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});

describe('factKeyOf', () => {
  it.each(topicNames)(
    '%s: the same fact under a new event id (new envelope times, keys reordered) has one key',
    (t) => {
      const first = announce(t);
      const reordered = Object.fromEntries(
        Object.entries(samplePayloads[t]).reverse(),
      ) as (typeof samplePayloads)[typeof t];
      const again = announce(t, reordered, new Date(Date.now() + 60_000));
      expect(again.eventId).not.toBe(first.eventId);
      // What the consumer sees: the decoded event, as it came off the wire.
      const decoded = decodeEvent(catalog, t, JSON.stringify(again));
      if (!decoded.ok) throw new Error(decoded.error);
      expect(factKeyOf(catalog, t, decoded.event)).toBe(factKeyOf(catalog, t, first));
      expect(factKeyOf(catalog, t, first).startsWith(`${t}/`)).toBe(true);
    },
  );

  it('names the business fact where one exists, so recomputed timestamps do not make a new fact', () => {
    const paid = samplePayloads['payment.completed.v1'];
    const first = announce('payment.completed.v1');
    const retried = announce('payment.completed.v1', { ...paid, completedAt: new Date().toISOString() });
    expect(factKeyOf(catalog, 'payment.completed.v1', retried)).toBe(factKeyOf(catalog, 'payment.completed.v1', first));
    expect(factKeyOf(catalog, 'payment.completed.v1', first)).toBe(
      `payment.completed.v1/${paid.dossierId}/${paid.paymentId}`,
    );
    const another = announce('payment.completed.v1', { ...paid, paymentId: randomUUID() });
    expect(factKeyOf(catalog, 'payment.completed.v1', another)).not.toBe(
      factKeyOf(catalog, 'payment.completed.v1', first),
    );
    const submitted = samplePayloads['dossier.submitted.v1'];
    expect(factKeyOf(catalog, 'dossier.submitted.v1', announce('dossier.submitted.v1'))).toBe(
      `dossier.submitted.v1/${submitted.dossierId}`,
    );
  });

  it('keeps repeated case moves apart (IN_PROCESS → SUPPLEMENT_REQUESTED → IN_PROCESS → SUPPLEMENT_REQUESTED)', () => {
    const base = samplePayloads['case.status-changed.v2'];
    const t0 = Date.parse('2026-01-05T08:00:00.000Z');
    const moves = [
      ['IN_PROCESS', 'SUPPLEMENT_REQUESTED'],
      ['SUPPLEMENT_REQUESTED', 'IN_PROCESS'],
      ['IN_PROCESS', 'SUPPLEMENT_REQUESTED'],
      ['SUPPLEMENT_REQUESTED', 'IN_PROCESS'],
    ] as const;
    const keys = moves.map(([from, to], i) =>
      factKeyOf(
        catalog,
        'case.status-changed.v2',
        announce('case.status-changed.v2', { ...base, from, to, changedAt: new Date(t0 + i * 1).toISOString() }),
      ),
    );
    expect(new Set(keys).size).toBe(moves.length);
  });

  it('keeps a declined attempt and the final expiry of one payment apart', () => {
    const base = samplePayloads['payment.failed.v1'];
    const declined = { ...base, reason: 'DECLINED' as const, final: false };
    const expired = { ...base, reason: 'EXPIRED' as const, final: true };
    expect(factKeyOf(catalog, 'payment.failed.v1', announce('payment.failed.v1', declined))).not.toBe(
      factKeyOf(catalog, 'payment.failed.v1', announce('payment.failed.v1', expired)),
    );
  });

  it('keeps one payload on two dossiers apart (the default key includes the Kafka key)', () => {
    const def = defineTopic({
      type: 'test.noted',
      version: 1,
      producer: 'test',
      summary: '',
      schema: z.looseObject({ n: z.number() }),
    });
    const cat = { [def.name]: def } as const;
    const on = (dossierId: string) =>
      factKeyOf(cat, def.name, createEvent(cat, def.name, { n: 1 }, { dossierId, correlationId: 'c', producer: 't' }));
    expect(on(randomUUID())).not.toBe(on(randomUUID()));
  });

  it('refuses at definition a fact key that could merge distinct facts', () => {
    const schema = z.looseObject({
      id: z.uuid(),
      maybe: z.string().optional(),
      orNull: z.uuid().nullable(),
      o: z.object({}),
    });
    const define = (factKey: string[]) =>
      defineTopic({ type: 'test.noted', version: 1, producer: 'test', summary: '', schema, factKey: factKey });
    expect(() => define(['id'])).not.toThrow();
    expect(() => define([])).toThrow(/names no field/);
    expect(() => define(['nope'])).toThrow(/not in the payload schema/);
    expect(() => define(['maybe'])).toThrow(/absent or null/);
    expect(() => define(['orNull'])).toThrow(/absent or null/);
    expect(() => define(['o'])).toThrow(/string, number or enum/);
  });
});
