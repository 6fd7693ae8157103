import { randomUUID } from 'node:crypto';
import { catalog, createEvent, samplePayloads, type Envelope, type Payload } from '@hoso/contracts';
import { EventProducer, MessagingService } from '@hoso/messaging';
import { duplicatesSeen, reannounce, sendEvents, snapshotTables } from '@hoso/messaging/testing';
import { citizenAt, unregisteredPersonalId } from '@hoso/population';
import { eventually } from '@hoso/testing';
import { startIdentity, TEST_REGISTRY_SIZE, type IdentityTestApp } from './testing/identity-test-app';

/**
 * A dossier.submitted announced again under a new event id (a producer retry that re-wrote its outbox row) made
 * identity check the applicant again and emit a second identity.verified. The same fact must change nothing.
 */
describe('identity: a re-announced dossier.submitted changes nothing', () => {
  let t: IdentityTestApp;
  let producer: EventProducer;

  beforeAll(async () => {
    t = await startIdentity();
    producer = new EventProducer(t.env.kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await t.close();
  });

  const submitted = (applicant: Payload<'dossier.submitted.v1'>['applicant']): Envelope => {
    const dossierId = randomUUID();
    return createEvent(
      catalog,
      'dossier.submitted.v1',
      { ...samplePayloads['dossier.submitted.v1'], dossierId, applicant, requiredVneidLevel: 0 },
      { dossierId, correlationId: `corr-${dossierId}`, producer: 'intake' },
    );
  };
  const outcomes = async () =>
    t.ds.query<{ topic: string; key: string }[]>(
      `SELECT topic, key FROM messaging_outbox WHERE topic LIKE '%identity.%' ORDER BY id`,
    );

  it('emits one outcome per dossier, however often its submission is announced', async () => {
    const citizens = Array.from({ length: 4 }, (_, i) => citizenAt(t.config.REGISTRY_SEED, i * 11)).filter(
      (c) => !c.deceased,
    );
    const events = [
      ...citizens.map((c) => submitted({ personalId: c.personalId, fullName: c.fullName, birthDate: c.birthDate })),
      submitted({
        personalId: unregisteredPersonalId(t.config.REGISTRY_SEED, TEST_REGISTRY_SIZE),
        fullName: 'Không Có',
        birthDate: '1990-01-01',
      }),
    ];
    await sendEvents(
      producer,
      catalog,
      t.env.topicPrefix,
      events.map((event) => ({ topic: 'dossier.submitted.v1' as const, event })),
    );
    await eventually('one outcome per dossier', async () => (await outcomes()).length === events.length);
    const first = await outcomes();
    expect(first.map((o) => o.key).sort()).toEqual(events.map((e) => e.dossierId).sort());
    expect(first.some((o) => o.topic.endsWith('identity.verified.v1'))).toBe(true);
    expect(first.some((o) => o.topic.endsWith('identity.rejected.v1'))).toBe(true);
    await eventually('the outcomes relayed', async () => {
      const [r] = await t.ds.query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM messaging_outbox WHERE sent_at IS NULL',
      );
      return r?.n === 0;
    });

    const stats = () => t.app.get(MessagingService).consumer?.stats;
    const before = await snapshotTables((sql, p) => t.ds.query(sql, p));
    const duplicates = stats()?.duplicates ?? 0;
    const again = events.map((e) => reannounce(catalog, 'dossier.submitted.v1', e));
    await sendEvents(
      producer,
      catalog,
      t.env.topicPrefix,
      again.map((event) => ({ topic: 'dossier.submitted.v1' as const, event })),
    );
    await duplicatesSeen(stats, duplicates, again.length);
    // No second identity.verified / rejected, no inbox row, nothing else written.
    expect(await snapshotTables((sql, p) => t.ds.query(sql, p))).toEqual(before);
  });
});
