import { z } from 'zod';
import { catalog, topicNames, allTopicNames, PARTITIONS } from './catalog';
import { ContractViolation, createEvent, decodeEvent, keyOf } from './envelope';
import { samplePayloads } from './samples';
import { defineCatalog, defineTopic } from './topic';

/** Paths (a.b.c) of every required property in a JSON schema, nested objects included. */
function requiredPaths(schema: Record<string, unknown>, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  const props = (schema['properties'] ?? {}) as Record<string, Record<string, unknown>>;
  for (const name of (schema['required'] ?? []) as string[]) {
    out.push([...prefix, name]);
    const child = props[name];
    if (child && child['type'] === 'object') out.push(...requiredPaths(child, [...prefix, name]));
  }
  return out;
}

function without(obj: unknown, path: string[]): unknown {
  const [head, ...rest] = path;
  const { [head as string]: inner, ...others } = obj as Record<string, unknown>;
  return rest.length ? { ...others, [head as string]: without(inner, rest) } : others;
}

describe('catalog', () => {
  it('names every event of the flow, each with its version in the topic name', () => {
    expect(topicNames.sort()).toEqual(
      [
        'case.completed.v1',
        'case.rated.v1',
        'case.received.v1',
        'case.status-changed.v1',
        'case.status-changed.v2',
        'dossier.submitted.v1',
        'dossier.withdrawn.v1',
        'identity.rejected.v1',
        'identity.verified.v1',
        'metrics.completion-rate.v1',
        'payment.completed.v1',
        'payment.failed.v1',
        'payment.refunded.v1',
        'payment.requested.v1',
        'payment.waived.v1',
      ].sort(),
    );
    expect(allTopicNames()).toHaveLength(30);
    expect(allTopicNames()).toContain('dossier.submitted.v1.dlq');
    expect(PARTITIONS).toBeGreaterThanOrEqual(6);
  });

  it('refuses a topic defined twice or a badly named type', () => {
    const def = defineTopic({ type: 'a.b', version: 1, producer: 'test', summary: '', schema: z.object({}) });
    expect(() => defineCatalog([def, def])).toThrow(/defined twice/);
    expect(() =>
      defineTopic({ type: 'Bad Name', version: 1, producer: 'test', summary: '', schema: z.object({}) }),
    ).toThrow();
  });
});

describe.each(topicNames)('%s schema', (topic) => {
  const schema = catalog[topic].schema;
  const sample = samplePayloads[topic];
  const paths = requiredPaths(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }));

  it('accepts its sample', () => {
    expect(schema.safeParse(sample).success).toBe(true);
  });

  it('has required fields', () => {
    expect(paths.length).toBeGreaterThan(2);
  });

  it.each(paths.map((p) => [p.join('.'), p]))('rejects a payload missing %s', (_name, path) => {
    const result = schema.safeParse(without(sample, path));
    expect(result.success).toBe(false);
    expect(result.error?.issues.some((i) => i.path.join('.') === path.join('.'))).toBe(true);
  });

  it('accepts (and keeps) unknown extra fields', () => {
    const result = schema.safeParse({ ...sample, addedInAMinorRelease: { x: 1 } });
    expect(result.success).toBe(true);
    expect((result.data as Record<string, unknown>)['addedInAMinorRelease']).toEqual({ x: 1 });
  });
});

describe('createEvent / decodeEvent', () => {
  const meta = {
    dossierId: samplePayloads['dossier.submitted.v1'].dossierId,
    correlationId: 'req-1',
    producer: 'intake',
  };

  it('wraps a payload in the envelope with a UUIDv7 and round-trips through JSON', () => {
    const event = createEvent(catalog, 'dossier.submitted.v1', samplePayloads['dossier.submitted.v1'], meta);
    expect(event.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(event).toMatchObject({ type: 'dossier.submitted', version: 1, causationId: null, producer: 'intake' });
    expect(keyOf(catalog, 'dossier.submitted.v1', event)).toBe(meta.dossierId);
    const decoded = decodeEvent(catalog, 'dossier.submitted.v1', Buffer.from(JSON.stringify(event)));
    expect(decoded).toEqual({ ok: true, event });
  });

  it('refuses to produce a bad payload, naming the field', () => {
    const bad = { ...samplePayloads['identity.verified.v1'], personalId: '12345' };
    expect(() => createEvent(catalog, 'identity.verified.v1', bad, meta)).toThrow(ContractViolation);
    expect(() => createEvent(catalog, 'identity.verified.v1', bad, meta)).toThrow(/payload\.personalId/);
  });

  it('requires a dossier id except on topics keyed otherwise', () => {
    expect(() =>
      createEvent(catalog, 'case.received.v1', samplePayloads['case.received.v1'], { ...meta, dossierId: null }),
    ).toThrow(/dossierId is required/);
    const snapshot = createEvent(catalog, 'metrics.completion-rate.v1', samplePayloads['metrics.completion-rate.v1'], {
      ...meta,
      dossierId: null,
    });
    expect(keyOf(catalog, 'metrics.completion-rate.v1', snapshot)).toBe('province:33');
  });

  it('classifies what cannot be consumed instead of throwing', () => {
    const good = createEvent(catalog, 'payment.waived.v1', samplePayloads['payment.waived.v1'], meta);
    const decode = (v: string | null) => decodeEvent(catalog, 'payment.waived.v1', v);
    expect(decode(null)).toMatchObject({ ok: false, reason: 'not-json' });
    expect(decode('{oops')).toMatchObject({ ok: false, reason: 'not-json' });
    expect(decode(JSON.stringify({ ...good, eventId: 'nope' }))).toMatchObject({ ok: false, reason: 'bad-envelope' });
    expect(decode(JSON.stringify({ ...good, type: 'payment.completed' }))).toMatchObject({
      ok: false,
      reason: 'wrong-type',
    });
    expect(decode(JSON.stringify({ ...good, payload: { reason: 'ZERO_FEE' } }))).toMatchObject({
      ok: false,
      reason: 'bad-payload',
    });
    expect(decodeEvent(catalog, 'nope.v1' as never, '{}')).toMatchObject({ ok: false, reason: 'unknown-topic' });
  });
});
