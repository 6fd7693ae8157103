import { randomUUID } from 'node:crypto';
import { catalog, createEvent, type Envelope, type Payload, type Topic } from '@hoso/contracts';
import { EventProducer, MessagingService } from '@hoso/messaging';
import { duplicatesSeen, reannounce, sendEvents, snapshotTables } from '@hoso/messaging/testing';
import { eventually } from '@hoso/testing';
import { maritalStatusForm, startIntake, TEST_PROCEDURE, type IntakeTestApp } from './testing/intake-test-app';

jest.setTimeout(90_000);

const CITIZEN = '001090000321';
const AGENCY = 'C00070';

/**
 * Re-announced payment.completed events (new event ids, same payments) each added a status-history row and a
 * "payment completed" entry to the citizen's timeline. Every fact intake consumes, announced again, must change
 * nothing; repeated case moves (IN_PROCESS → SUPPLEMENT_REQUESTED → IN_PROCESS) stay distinct facts.
 */
describe('intake: re-announced facts change nothing', () => {
  let t: IntakeTestApp;
  let citizen: string;
  let producer: EventProducer;

  beforeAll(async () => {
    t = await startIntake();
    citizen = await t.env.issuer.citizen(CITIZEN);
    producer = new EventProducer(t.env.kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await t.close();
  });

  async function submit(): Promise<string> {
    const res = await t
      .http()
      .post('/dossiers')
      .set({ Authorization: `Bearer ${citizen}` })
      .set('Idempotency-Key', `facts-${randomUUID()}`)
      .send({ procedureCode: TEST_PROCEDURE, agencyCode: AGENCY, form: maritalStatusForm(CITIZEN) });
    expect(res.status).toBe(202);
    return (res.body as { id: string }).id;
  }

  /** Every fact of a dossier's way through the other services, in the order they would happen. */
  function flow(dossierId: string): { topic: Topic; event: Envelope }[] {
    const start = Date.now();
    const at = (minutes: number) => new Date(start + minutes * 60_000).toISOString();
    const paymentId = randomUUID();
    const caseId = randomUUID();
    const move = (
      from: 'RECEIVED' | 'IN_PROCESS' | 'SUPPLEMENT_REQUESTED',
      to: 'IN_PROCESS' | 'SUPPLEMENT_REQUESTED',
      m: number,
    ) =>
      [
        'case.status-changed.v2',
        {
          dossierId,
          caseId,
          agencyCode: AGENCY,
          from,
          to,
          actor: { kind: 'officer', id: 'officer:C00070' },
          reason: to === 'SUPPLEMENT_REQUESTED' ? 'thiếu giấy tờ' : null,
          changedAt: at(m),
          dueAt: null,
        },
      ] as const;
    const facts: (readonly [Topic, unknown])[] = [
      ['identity.verified.v1', { dossierId, personalId: CITIZEN, vneidLevel: 2, verifiedAt: at(1) }],
      ['payment.requested.v1', { dossierId, paymentId, amountVnd: 5000, expiresAt: at(60), requestedAt: at(2) }],
      [
        'payment.completed.v1',
        {
          dossierId,
          paymentId,
          amountVnd: 5000,
          method: 'CARD',
          online: true,
          gatewayReference: 'GW-1',
          completedAt: at(3),
        },
      ],
      [
        'case.received.v1',
        {
          dossierId,
          caseId,
          receiptCode: 'x-receipt',
          agencyCode: AGENCY,
          procedureCode: TEST_PROCEDURE,
          provinceCode: '01',
          receivedAt: at(4),
          dueAt: at(5000),
          processingWorkingDays: 3,
        },
      ],
      move('RECEIVED', 'IN_PROCESS', 5),
      move('IN_PROCESS', 'SUPPLEMENT_REQUESTED', 6),
      move('SUPPLEMENT_REQUESTED', 'IN_PROCESS', 7),
      move('IN_PROCESS', 'SUPPLEMENT_REQUESTED', 8),
      move('SUPPLEMENT_REQUESTED', 'IN_PROCESS', 9),
    ];
    return facts.map(([topic, payload], i) => ({
      topic,
      event: createEvent(catalog, topic, payload as Payload<typeof topic>, {
        dossierId,
        correlationId: `facts-${dossierId}`,
        producer: 'test',
        occurredAt: new Date(start + (i + 1) * 60_000),
      }),
    }));
  }

  const historyOf = (ids: string[]) =>
    t.query<{ dossier_id: string; event_id: string | null }>(
      'SELECT dossier_id, event_id FROM dossier_status_history WHERE dossier_id = ANY($1)',
      [ids],
    );

  it('applies each fact once: history, timeline and status stay as they were', async () => {
    const dossiers = [await submit(), await submit()];
    const events = dossiers.flatMap(flow);
    for (const d of dossiers) {
      // One dossier's events in order (one partition); the two dossiers side by side.
      await sendEvents(
        producer,
        catalog,
        t.env.topicPrefix,
        events.filter((e) => e.event.dossierId === d),
      );
    }
    await eventually('every fact projected', async () => {
      const seen = new Set((await historyOf(dossiers)).map((h) => h.event_id));
      return events.every((e) => seen.has(e.event.eventId));
    });
    await eventually('the submissions relayed', async () => {
      const [r] = await t.query<{ n: number }>('SELECT count(*)::int AS n FROM messaging_outbox WHERE sent_at IS NULL');
      return r?.n === 0;
    });
    const timeline = async (id: string) =>
      (
        await t
          .http()
          .get(`/dossiers/${id}`)
          .set({ Authorization: `Bearer ${citizen}` })
          .expect(200)
      ).body as unknown;
    const readBefore = await Promise.all(dossiers.map(timeline));
    const before = await snapshotTables((sql, p) => t.query(sql, p));

    const stats = () => t.app.get(MessagingService).consumer?.stats;
    const duplicates = stats()?.duplicates ?? 0;
    const again = events.map(({ topic, event }) => ({ topic, event: reannounce(catalog, topic, event) }));
    await sendEvents(producer, catalog, t.env.topicPrefix, again);
    await duplicatesSeen(stats, duplicates, again.length);

    expect(await snapshotTables((sql, p) => t.query(sql, p))).toEqual(before);
    expect(await Promise.all(dossiers.map(timeline))).toEqual(readBefore);
  });
});
