import { Controller, Module } from '@nestjs/common';
import { toolKafkaSasl } from '@hoso/config';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { createEvent } from '@hoso/contracts';
import { eventually, testEnv } from '@hoso/testing';
import { createHarness, type Harness } from '../testing/harness';
import { EventContext, eventPatternFor } from './event-transport';
import { MessagingModule, MessagingService } from './messaging.module';

describe('a consumer that stops for good fails readiness and ends the process', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await createHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  it('marks the service not ready and calls the exit hook with a non-zero code', async () => {
    const exits: number[] = [];
    const EventPattern = eventPatternFor<Harness['catalog']>();
    @Controller()
    class ThingEvents {
      @EventPattern(h.topic as keyof Harness['catalog'])
      async onThing(@Payload() event: { eventId: string }, @Ctx() ctx: EventContext) {
        await ctx.manager.query('SELECT $1::uuid', [event.eventId]);
      }
    }
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
            relay: false,
            // No restart after a crash that is not an outage, and few kafkajs retries: it stops at the first one.
            consumer: {
              groupId: `fatal-${h.id}`,
              maxRestarts: 0,
              kafkaRetry: { retries: 0, initialRetryTime: 50, maxRetryTime: 100 },
              restartBackoff: { initialMs: 50, maxMs: 100 },
            },
            exit: (code: number) => exits.push(code),
            fatalExitGraceMs: 2_000,
          }),
        }),
      ],
      controllers: [ThingEvents],
    })
    class AppModule {}

    const ref = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const messaging = ref.get<MessagingService<Harness['catalog']>>(MessagingService);
    const app = ref.createNestMicroservice({ strategy: messaging.transport });
    app.useLogger(false);
    await app.listen();
    try {
      await expect(messaging.consumerReady()).resolves.toBeUndefined();

      // The inbox is gone: every flush fails, and that is no outage that waiting would cure.
      await h.ds.query('ALTER TABLE messaging_inbox RENAME TO messaging_inbox_gone');
      const dossierId = randomUUID();
      const e = createEvent(
        h.catalog,
        h.topic as never,
        { seq: 1, note: 'x' },
        {
          dossierId,
          correlationId: 'f',
          producer: 'test',
        },
      );
      await h.producer.sendBatch([{ topic: h.topic, key: dossierId, value: JSON.stringify(e) }]);

      await eventually('the exit hook called', () => Promise.resolve(exits.length > 0), 60_000);
      expect(exits).toEqual([1]);
      expect(messaging.consumer?.isRunning()).toBe(false);
      await expect(messaging.consumerReady()).rejects.toThrow(/consumer stopped for good/);
    } finally {
      await h.ds.query('ALTER TABLE IF EXISTS messaging_inbox_gone RENAME TO messaging_inbox');
      await app.close();
    }
  });
});
