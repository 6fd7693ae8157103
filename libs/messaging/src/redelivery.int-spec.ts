import { eventually } from '@hoso/testing';
import type { IdempotentConsumer } from './consumer';
import { OutboxRelay } from './relay';
import { createHarness, countRows, messagesIn, type Harness } from './testing/harness';
import { makeConsumer, writeBusiness } from './testing/helpers';

describe('the same event delivered twice gives one effect', () => {
  let h: Harness;
  let consumer: IdempotentConsumer<Harness['catalog']>;

  beforeAll(async () => {
    h = await createHarness();
  });

  afterAll(async () => {
    await consumer.stop();
    await h.close();
  });

  it('a relay that crashed after publishing but before marking sent publishes again; consumers drop the copy', async () => {
    const { eventIds } = await writeBusiness(h, 10, 10);
    let crashes = 0;
    const crashing = new OutboxRelay({
      dataSource: h.ds,
      producer: h.producer,
      logger: h.logger,
      batchSize: 1000,
      afterPublish: () => {
        crashes++;
        return Promise.reject(new Error('relay process died'));
      },
    });
    await expect(crashing.runOnce()).rejects.toThrow('relay process died');
    expect(crashes).toBe(1);
    // Kafka has the batch, the outbox still says unsent.
    expect(await messagesIn(h, h.topic)).toBe(100);
    expect(await countRows(h.ds, 'SELECT count(*) AS n FROM messaging_outbox WHERE sent_at IS NULL')).toBe(100);

    const restarted = new OutboxRelay({ dataSource: h.ds, producer: h.producer, logger: h.logger, batchSize: 1000 });
    expect(await restarted.runOnce()).toBe(100);
    expect(await messagesIn(h, h.topic)).toBe(200);
    expect(await restarted.backlog()).toBe(0);

    consumer = makeConsumer(h, `g-${h.id}`);
    await consumer.start();
    await eventually('every copy consumed', () =>
      Promise.resolve(consumer.stats.processed + consumer.stats.duplicates >= 200),
    );
    expect(consumer.stats.processed).toBe(100);
    expect(consumer.stats.duplicates).toBe(100);
    expect(await countRows(h.ds, 'SELECT count(*) AS n FROM effects')).toBe(100);
    expect(await countRows(h.ds, 'SELECT count(DISTINCT event_id) AS n FROM effects')).toBe(100);
    const effected = (await h.ds.query<{ event_id: string }[]>('SELECT event_id FROM effects')).map((r) => r.event_id);
    expect(new Set(effected)).toEqual(new Set(eventIds));
  });

  it('redelivery after the group is rewound (a rebalance or replay) changes nothing', async () => {
    await consumer.stop();
    const admin = h.kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: `g-${h.id}`, topic: h.topic, earliest: true });
    await admin.disconnect();

    consumer = makeConsumer(h, `g-${h.id}`);
    await consumer.start();
    await eventually('the rewound topic consumed again', () => Promise.resolve(consumer.stats.duplicates >= 200));
    expect(consumer.stats.processed).toBe(0);
    expect(await countRows(h.ds, 'SELECT count(*) AS n FROM effects')).toBe(100);
  });
});
