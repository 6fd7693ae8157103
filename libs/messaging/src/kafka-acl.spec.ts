import { KAFKA_SERVICE_USERS } from '@hoso/config';
import { catalog, dlqTopicOf, SUBSCRIPTIONS, topicsProducedBy, type Topic } from '@hoso/contracts';
import { kafkaAclPlan, type AclGrant } from './kafka-acl';

const P = 't1234.';
const plan = kafkaAclPlan(P);
const has = (principal: string, resource: AclGrant['resource'], name: string, operation: AclGrant['operation']) =>
  plan.some(
    (g) =>
      g.principal === `User:${principal}` && g.resource === resource && g.name === name && g.operation === operation,
  );
const topicsOf = (principal: string, operation: AclGrant['operation']) =>
  plan
    .filter((g) => g.principal === `User:${principal}` && g.resource === 'TOPIC' && g.operation === operation)
    .map((g) => g.name)
    .sort();

describe('kafkaAclPlan', () => {
  it("lets each service write exactly the topics the catalog says it produces, and its consumed topics' DLQs", () => {
    for (const service of KAFKA_SERVICE_USERS) {
      const own = topicsProducedBy(service).map((t) => `${P}${t}`);
      const dlqs = (SUBSCRIPTIONS[service] as readonly Topic[]).map((t) => `${P}${dlqTopicOf(t)}`);
      expect(topicsOf(service, 'WRITE')).toEqual([...own, ...dlqs].sort());
    }
    // Everything in the catalog has its producer's WRITE, and nobody else's but the operator's.
    for (const [topic, spec] of Object.entries(catalog)) {
      const writers = plan
        .filter((g) => g.name === `${P}${topic}` && g.operation === 'WRITE')
        .map((g) => g.principal)
        .sort();
      expect(writers).toEqual([`User:${(spec as { producer: string }).producer}`, 'User:operator'].sort());
    }
  });

  it('lets each service read only what it consumes, in its own group', () => {
    for (const service of KAFKA_SERVICE_USERS) {
      expect(topicsOf(service, 'READ')).toEqual(
        (SUBSCRIPTIONS[service] as readonly Topic[]).map((t) => `${P}${t}`).sort(),
      );
      expect(has(service, 'GROUP', `${P}${service}`, 'READ')).toBe(true);
    }
    expect(has('identity', 'TOPIC', `${P}payment.completed.v1`, 'READ')).toBe(false);
  });

  it('gives the operator every DLQ to read and every source topic to write, and nobody any cluster right', () => {
    for (const t of Object.keys(catalog) as Topic[]) {
      expect(has('operator', 'TOPIC', `${P}${dlqTopicOf(t)}`, 'READ')).toBe(true);
      expect(has('operator', 'TOPIC', `${P}${t}`, 'WRITE')).toBe(true);
    }
    expect(plan.every((g) => g.principal !== 'User:admin')).toBe(true);
    expect(new Set(plan.map((g): string => g.resource))).toEqual(new Set(['TOPIC', 'GROUP']));
  });

  it('keeps an environment to its prefix, and uses the literal wildcard for the unprefixed one', () => {
    const own = plan.filter((g) => g.principal !== 'User:metrics' || g.operation !== 'DESCRIBE');
    for (const g of own.filter((x) => x.resource === 'TOPIC')) {
      expect(g.name.startsWith(P)).toBe(true);
    }
    expect(plan).toContainEqual({
      principal: 'User:metrics',
      resource: 'TOPIC',
      pattern: 'PREFIXED',
      name: P,
      operation: 'DESCRIBE',
    });
    expect(kafkaAclPlan('')).toContainEqual({
      principal: 'User:metrics',
      resource: 'TOPIC',
      pattern: 'LITERAL',
      name: '*',
      operation: 'DESCRIBE',
    });
  });
});

describe('assertSubscribed', () => {
  // Imported here, not at the top: the Nest module pulls in more than the plan needs.
  const { assertSubscribed } = jest.requireActual<typeof import('./nest/messaging.module')>('./nest/messaging.module');

  it('refuses a service that handles a topic missing from its SUBSCRIPTIONS (its principal could not read it)', () => {
    expect(() => {
      assertSubscribed('identity', ['dossier.submitted.v1', 'payment.completed.v1']);
    }).toThrow(/identity handles payment\.completed\.v1, missing from SUBSCRIPTIONS\['identity'\]/);
    expect(() => {
      assertSubscribed('identity', ['dossier.submitted.v1']);
    }).not.toThrow();
    // A test's own consumer is no platform service: nothing to check.
    expect(() => {
      assertSubscribed('some-test-consumer', ['payment.completed.v1']);
    }).not.toThrow();
  });
});
