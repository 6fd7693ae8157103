import { Controller, Module, type Type } from '@nestjs/common';
import { toolKafkaSasl } from '@hoso/config';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { createEvent } from '@hoso/contracts';
import { eventually, testEnv } from '@hoso/testing';
import { NonRetriableError } from '../consumer';
import { DLQ_HEADERS, readDlq } from '../dlq';
import { consumerLag, totalLag } from '../lag';
import { createHarness, countRows, type Harness } from '../testing/harness';
import { EventContext, eventPatternFor } from './event-transport';
import { MessagingModule, MessagingService } from './messaging.module';

/** A service's root module around one events controller, with the messaging module on the harness. */
function appWith(h: Harness, controller: Type, groupId: string) {
  @Module({
    imports: [
      MessagingModule.forRootAsync({
        useFactory: () => ({
          service: 'test',
          brokers: testEnv.KAFKA_BROKERS,
          sasl: toolKafkaSasl(),
          dataSource: h.ds,
          logger: h.logger,
          catalog: h.catalog,
          relay: { pollIntervalMs: 20 },
          consumer: { groupId, initialBackoffMs: 10, maxAttempts: 3 },
        }),
      }),
    ],
    controllers: [controller],
  })
  class AppModule {}
  return AppModule;
}

/** A standalone Nest microservice over the messaging transport: the lifecycle a service's main.ts relies on. */
async function startApp(module: Type) {
  const ref = await Test.createTestingModule({ imports: [module] }).compile();
  const app = ref.createNestMicroservice({ strategy: ref.get(MessagingService).transport });
  app.useLogger(false);
  await app.listen();
  return { app, messaging: ref.get<MessagingService<Harness['catalog']>>(MessagingService) };
}

describe('MessagingModule in a Nest application', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await createHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  it('serves @EventPattern handlers through the transport, relays outbox writes, and shuts down cleanly', async () => {
    const EventPattern = eventPatternFor<Harness['catalog']>();
    @Controller()
    class ThingEvents {
      @EventPattern(h.topic as keyof Harness['catalog'])
      async onThing(
        @Payload() event: { eventId: string; dossierId: string | null; payload: { seq: number } },
        @Ctx() ctx: EventContext,
      ) {
        await ctx.manager.query('INSERT INTO effects (consumer, event_id, dossier_id, seq) VALUES ($1, $2, $3, $4)', [
          'nest',
          event.eventId,
          event.dossierId,
          event.payload.seq,
        ]);
      }
    }

    const { app, messaging } = await startApp(appWith(h, ThingEvents, `nest-${h.id}`));
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

  it('refuses to start with two handlers for one topic', async () => {
    const EventPattern = eventPatternFor<Harness['catalog']>();
    @Controller()
    class Twice {
      @EventPattern(h.topic as keyof Harness['catalog'])
      async first() {}

      @EventPattern(h.topic as keyof Harness['catalog'])
      async second() {}
    }
    const ref = await Test.createTestingModule({ imports: [appWith(h, Twice, `twice-${h.id}`)] }).compile();
    const app = ref.createNestMicroservice({ strategy: ref.get(MessagingService).transport });
    app.useLogger(false);
    await expect(app.listen()).rejects.toThrow(`two handlers for ${h.topic}`);
    await app.close().catch(() => undefined);
  });

  it("hands a handler's errors to the consumer untouched: a NonRetriableError is dead-lettered at once", async () => {
    const EventPattern = eventPatternFor<Harness['catalog']>();
    const attempts: number[] = [];
    @Controller()
    class Refusing {
      @EventPattern(h.topic as keyof Harness['catalog'])
      async onThing(@Payload() event: { payload: { seq: number } }, @Ctx() ctx: EventContext) {
        attempts.push(ctx.attempt);
        if (event.payload.seq === 7) throw new NonRetriableError('seven is refused by rule');
        await ctx.manager.query(
          "INSERT INTO effects (consumer, event_id, dossier_id, seq) VALUES ('refusing', gen_random_uuid(), gen_random_uuid(), $1)",
          [event.payload.seq],
        );
      }
    }
    const { app } = await startApp(appWith(h, Refusing, `refusing-${h.id}`));
    const dossierId = '0193a0b0-0000-7000-8000-0000000000ef';
    const event = createEvent(
      h.catalog,
      h.topic as never,
      { seq: 7, note: 'refused' },
      {
        dossierId,
        correlationId: 'r',
        producer: 'test',
      },
    );
    const before = (await readDlq(h.kafka, h.dlq)).length;
    await h.producer.sendBatch([{ topic: h.topic, key: dossierId, value: JSON.stringify(event) }]);
    await eventually('dead-lettered', async () => (await readDlq(h.kafka, h.dlq)).length > before || undefined);
    const letters = await readDlq(h.kafka, h.dlq);
    // Only this test's event (the first test's raw records are dead-lettered by this new group as well).
    const mine = letters.filter((l) => l.headers[DLQ_HEADERS.consumer] === `refusing-${h.id}` && l.key === dossierId);
    expect(mine).toHaveLength(1);
    // The consumer saw the NonRetriableError itself (Nest's filter would have made it a generic object):
    // rejected by rule, after a single try in the event-by-event pass, never retried.
    expect(mine[0]?.headers[DLQ_HEADERS.reason]).toBe('rejected');
    expect(mine[0]?.headers[DLQ_HEADERS.error]).toBe('seven is refused by rule');
    expect(attempts.filter((a) => a > 1)).toEqual([]);
    await app.close();
  });
});
