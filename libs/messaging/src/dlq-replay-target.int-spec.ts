import { randomUUID } from 'node:crypto';
import { createEvent } from '@hoso/contracts';
import { DLQ_HEADERS, replayDlq } from './dlq';
import { createHarness, messagesIn, type Harness } from './testing/harness';

describe('a dead-letter replay goes to the DLQ’s own source topic only', () => {
  let h: Harness;
  const elsewhere = `elsewhere-${randomUUID()}`;

  beforeAll(async () => {
    h = await createHarness();
    const admin = h.kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: elsewhere, numPartitions: 1 }] });
    await admin.disconnect();
  });

  afterAll(async () => {
    await h.close();
  });

  it('ignores a header that names another topic', async () => {
    const event = createEvent(
      h.catalog,
      h.topic as never,
      { seq: 1, note: 'forged header' },
      { dossierId: randomUUID(), correlationId: 'c-forged', producer: 'test' },
    );
    // A dead letter whose original-topic header was written by someone who wants it replayed into another topic.
    await h.producer.sendBatch([
      {
        topic: h.dlq,
        key: event.dossierId as string,
        value: JSON.stringify(event),
        headers: { [DLQ_HEADERS.originalTopic]: elsewhere, [DLQ_HEADERS.consumer]: `c-${h.id}` },
      },
    ]);
    const result = await replayDlq(h.kafka, h.producer, h.dlq, { groupId: `replay-${h.id}` });
    expect(result).toEqual({ replayed: 1, byTopic: { [h.topic]: 1 } });
    expect(await messagesIn(h, h.topic)).toBe(1);
    expect(await messagesIn(h, elsewhere)).toBe(0);
  });
});
