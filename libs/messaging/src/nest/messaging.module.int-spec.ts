import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { eventually, testEnv } from '@hoso/testing';
import type { HandlerContext } from '../consumer';
import { consumerLag, totalLag } from '../lag';
import { createHarness, countRows, type Harness } from '../testing/harness';
import { HandlesEvent, MessagingModule, MessagingService } from './messaging.module';

describe('MessagingModule in a Nest application', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await createHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  it('discovers @HandlesEvent handlers, relays outbox writes, and shuts down cleanly', async () => {
    @Injectable()
    class ThingHandler {
      @HandlesEvent(h.topic)
      async onThing(
        event: { eventId: string; dossierId: string | null; payload: { seq: number } },
        ctx: HandlerContext,
      ) {
        await ctx.manager.query('INSERT INTO effects (consumer, event_id, dossier_id, seq) VALUES ($1, $2, $3, $4)', [
          'nest',
          event.eventId,
          event.dossierId,
          event.payload.seq,
        ]);
      }
    }

    @Module({
      imports: [
        MessagingModule.forRootAsync({
          useFactory: () => ({
            service: 'test',
            brokers: testEnv.KAFKA_BROKERS,
            dataSource: h.ds,
            logger: h.logger,
            catalog: h.catalog,
            relay: { pollIntervalMs: 20 },
            consumer: { groupId: `nest-${h.id}` },
          }),
        }),
      ],
      providers: [ThingHandler],
    })
    class AppModule {}

    // A standalone application context: the lifecycle hooks a service's main.ts relies on, without HTTP.
    const app = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app.useLogger(false);
    await app.init();
    const messaging = app.get<MessagingService<Harness['catalog']>>(MessagingService);
    expect(messaging.consumer?.topics).toEqual([h.topic]);

    const dossierId = '0193a0b0-0000-7000-8000-0000000000ee';
    const ids = await messaging.transaction(async (m) => {
      await m.query('INSERT INTO business (dossier_id, seq) VALUES ($1, 0)', [dossierId]);
      return messaging.outbox.addMany(
        m,
        [0, 1, 2].map((seq) => ({
          topic: h.topic as never,
          payload: { seq, note: 'nest' } as never,
          meta: { dossierId, correlationId: 'n' },
        })),
      );
    });
    await eventually(
      'three effects',
      async () => (await countRows(h.ds, "SELECT count(*) AS n FROM effects WHERE consumer = 'nest'")) === 3,
    );
    const seqs = await h.ds.query<{ event_id: string; seq: number }[]>(
      "SELECT event_id, seq FROM effects WHERE consumer = 'nest' ORDER BY id",
    );
    expect(seqs.map((r) => r.event_id)).toEqual(ids);
    expect(seqs.map((r) => r.seq)).toEqual([0, 1, 2]);

    // The lag readout reaches zero once everything is committed.
    await eventually('lag 0', async () => totalLag(await messaging.lag()) === 0 || undefined);
    const lag = await messaging.lag();
    expect(lag.length).toBeGreaterThanOrEqual(1);
    expect(lag.every((l) => l.topic === h.topic)).toBe(true);

    await app.close();
    expect(messaging.consumer?.isRunning()).toBe(false);

    // Events written while the service is down wait in Kafka: lag shows them per partition.
    await h.producer.sendBatch(
      [3, 4].map((seq) => ({
        topic: h.topic,
        key: dossierId,
        value: JSON.stringify({ seq }),
      })),
    );
    const after = await consumerLag(h.kafka, `nest-${h.id}`);
    expect(totalLag(after)).toBe(2);
    expect(after.filter((l) => l.lag > 0)).toHaveLength(1);
  });
});
