import { randomUUID } from 'node:crypto';
import { createEvent } from '@hoso/contracts';
import { eventually } from '@hoso/testing';
import { isTransientDbError, type IdempotentConsumer } from './consumer';
import { createHarness, countRows, messagesIn, type Harness } from './testing/harness';
import { makeConsumer, recordEffect } from './testing/helpers';

describe('a transient database error (deadlock) redoes the whole batch instead of dead-lettering', () => {
  let h: Harness;
  let consumer: IdempotentConsumer<Harness['catalog']>;

  beforeAll(async () => {
    h = await createHarness();
  });

  afterAll(async () => {
    await consumer.stop();
    await h.close();
  });

  it('recognises deadlock and serialization failures, not other errors', () => {
    expect(isTransientDbError({ code: '40P01' })).toBe(true);
    expect(isTransientDbError({ driverError: { code: '40001' } })).toBe(true);
    expect(isTransientDbError({ code: '23505' })).toBe(false);
    expect(isTransientDbError(new Error('boom'))).toBe(false);
  });

  it('applies the event once after the transient failures, with nothing in the DLQ', async () => {
    const dossierId = randomUUID();
    const events = [0, 1, 2].map((seq) =>
      createEvent(
        h.catalog,
        h.topic as never,
        { seq, note: 'x' },
        {
          dossierId,
          correlationId: 'c',
          producer: 'test',
        },
      ),
    );
    await h.producer.sendBatch(events.map((e) => ({ topic: h.topic, key: dossierId, value: JSON.stringify(e) })));
    let deadlocks = 0;
    const effect = recordEffect('transient');
    consumer = makeConsumer(h, `g-${h.id}`, {
      maxAttempts: 2,
      handlers: {
        [h.topic]: async (e: Parameters<typeof effect>[0], ctx: Parameters<typeof effect>[1]) => {
          await effect(e, ctx);
          // The second event deadlocks twice (once in the fast path, once in the slow path), then succeeds.
          if (e.payload.seq === 1 && deadlocks < 2) {
            deadlocks++;
            throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
          }
        },
      },
    });
    await consumer.start();
    await eventually(
      'three effects',
      async () => (await countRows(h.ds, 'SELECT count(*) AS n FROM effects')) >= 3,
      60_000,
    );
    expect(deadlocks).toBe(2);
    expect(await countRows(h.ds, 'SELECT count(*) AS n FROM effects')).toBe(3);
    expect(await countRows(h.ds, 'SELECT count(DISTINCT event_id) AS n FROM effects')).toBe(3);
    expect(await messagesIn(h, h.dlq)).toBe(0);
  });
});
