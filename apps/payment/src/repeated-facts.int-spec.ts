import { DataSource } from 'typeorm';
import { catalog, createEvent, type Envelope, type Payload, type Topic } from '@hoso/contracts';
import { MessagingService } from '@hoso/messaging';
import { duplicatesSeen, reannounce, sendEvents, snapshotTables } from '@hoso/messaging/testing';
import { eventually } from '@hoso/testing';
import { startHarness, submitted, type Harness } from './testing/payment-harness';

jest.setTimeout(90_000);

/**
 * Every fact payment consumes (submission, identity outcome, withdrawal, rejected completion), announced again
 * under new event ids: no second intent, waiver, refund or outbox event, nothing else written.
 */
describe('payment: re-announced facts change nothing', () => {
  let h: Harness;
  let ds: DataSource;

  beforeAll(async () => {
    h = await startHarness();
    ds = h.payment.get(DataSource);
  });

  afterAll(async () => {
    await h.close();
  });

  const event = <T extends Topic>(topic: T, payload: Payload<T>): { topic: Topic; event: Envelope } => ({
    topic,
    event: createEvent(catalog, topic, payload, {
      dossierId: (payload as { dossierId: string }).dossierId,
      correlationId: `facts-${(payload as { dossierId: string }).dossierId}`,
      producer: 'test',
    }),
  });
  const verified = (s: Payload<'dossier.submitted.v1'>) =>
    event('identity.verified.v1', {
      dossierId: s.dossierId,
      personalId: s.applicant.personalId,
      vneidLevel: 2,
      verifiedAt: new Date().toISOString(),
    });

  it('requests, waives and cancels once per dossier, however often each fact is announced', async () => {
    const fee = submitted({ feeVnd: 50_000 });
    const free = submitted({ feeVnd: 0 });
    const rejected = submitted({ feeVnd: 50_000 });
    const withdrawn = submitted({ feeVnd: 50_000 });
    const events = [
      event('dossier.submitted.v1', fee),
      verified(fee),
      event('dossier.submitted.v1', free),
      verified(free),
      event('dossier.submitted.v1', rejected),
      event('identity.rejected.v1', {
        dossierId: rejected.dossierId,
        personalId: rejected.applicant.personalId,
        reason: 'NOT_FOUND',
        detail: 'not in the registry',
        rejectedAt: new Date().toISOString(),
      }),
      event('dossier.submitted.v1', withdrawn),
      verified(withdrawn),
      event('dossier.withdrawn.v1', {
        dossierId: withdrawn.dossierId,
        receiptCode: withdrawn.receiptCode,
        agencyCode: withdrawn.agencyCode,
        reason: 'nộp nhầm',
        withdrawnAt: new Date().toISOString(),
      }),
    ];
    const stats = () => h.payment.get(MessagingService).consumer?.stats;
    const processed = stats()?.processed ?? 0;
    await sendEvents(h.producer, catalog, h.env.topicPrefix, events);
    await eventually('every fact applied', () =>
      Promise.resolve((stats()?.processed ?? 0) - processed >= events.length),
    );
    const outbox = await ds.query<{ topic: string; key: string }[]>('SELECT topic, key FROM messaging_outbox');
    // The facts did something: an intent requested for the fee, a waiver for the free dossier.
    expect(outbox.some((o) => o.topic.endsWith('payment.requested.v1') && o.key === fee.dossierId)).toBe(true);
    expect(outbox.some((o) => o.topic.endsWith('payment.waived.v1') && o.key === free.dossierId)).toBe(true);
    await eventually('the outbox relayed', async () => {
      const [r] = await ds.query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM messaging_outbox WHERE sent_at IS NULL',
      );
      return r?.n === 0;
    });

    const before = await snapshotTables((sql, p) => ds.query(sql, p));
    const duplicates = stats()?.duplicates ?? 0;
    const again = events.map(({ topic, event: e }) => ({ topic, event: reannounce(catalog, topic, e) }));
    await sendEvents(h.producer, catalog, h.env.topicPrefix, again);
    await duplicatesSeen(stats, duplicates, again.length);
    expect(await snapshotTables((sql, p) => ds.query(sql, p))).toEqual(before);
  });
});
