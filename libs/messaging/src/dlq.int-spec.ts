import { randomUUID } from 'node:crypto';
import { createEvent } from '@hoso/contracts';
import { eventually } from '@hoso/testing';
import type { IdempotentConsumer } from './consumer';
import {
  deadLetterMessage,
  DLQ_HEADERS,
  dlqDepth,
  readDlq,
  REPLAYED_FROM_HEADER,
  replayDlq,
  replayGroupOf,
} from './dlq';
import { createHarness, countRows, messagesIn, type Harness } from './testing/harness';
import { makeConsumer, recordEffect } from './testing/helpers';

describe('poison messages and failing handlers go to the DLQ; the partition keeps moving; replay works', () => {
  let h: Harness;
  let consumer: IdempotentConsumer<Harness['catalog']>;
  let handlerBroken = true;
  const dossierId = randomUUID();
  const event = (seq: number, note: string) =>
    createEvent(
      h.catalog,
      h.topic as never,
      { seq, note },
      {
        dossierId,
        correlationId: `c-${seq}`,
        producer: 'test',
      },
    );

  beforeAll(async () => {
    h = await createHarness();
  });

  afterAll(async () => {
    await consumer.stop();
    await h.close();
  });

  it('dead-letters bad JSON, a bad envelope, a wrong schema and a handler that keeps failing, and processes the next message', async () => {
    const failing = event(1, 'handler fails');
    const good = event(2, 'fine');
    const badPayload = { ...event(3, 'x'), payload: { seq: 'three' } };
    const badEnvelope = { ...event(4, 'x'), eventId: 'not-a-uuid' };
    // All with the dossier's key: one partition, in this order.
    await h.producer.sendBatch(
      [
        '{not json',
        JSON.stringify(badEnvelope),
        JSON.stringify(badPayload),
        JSON.stringify(failing),
        JSON.stringify(good),
      ].map((value) => ({ topic: h.topic, key: dossierId, value, headers: { 'x-origin': 'test' } })),
    );

    const effect = recordEffect('dlq');
    consumer = makeConsumer(h, `g-${h.id}`, {
      maxAttempts: 3,
      handlers: {
        [h.topic]: async (e: Parameters<typeof effect>[0], ctx: Parameters<typeof effect>[1]) => {
          if (handlerBroken && e.payload.seq === 1) throw new Error('downstream unavailable');
          await effect(e, ctx);
        },
      },
    });
    await consumer.start();

    await eventually(
      'the message after the poison ones',
      async () =>
        (await countRows(h.ds, 'SELECT count(*) AS n FROM effects WHERE event_id = $1', [good.eventId])) === 1,
    );
    await eventually('four dead letters', async () => (await messagesIn(h, h.dlq)) === 4);
    expect(consumer.stats.retries).toBe(2);

    const letters = await readDlq(h.kafka, h.dlq);
    expect(letters).toHaveLength(4);
    const partition = letters[0]!.partition;
    const byReason = Object.fromEntries(letters.map((l) => [l.headers[DLQ_HEADERS.reason] ?? '', l] as const));
    expect(Object.keys(byReason).sort()).toEqual(['bad-envelope', 'bad-payload', 'handler-failed', 'not-json']);
    for (const l of letters) {
      expect(l.key).toBe(dossierId);
      expect(l.partition).toBe(partition);
      expect(l.headers[DLQ_HEADERS.originalTopic]).toBe(h.topic);
      expect(l.headers[DLQ_HEADERS.consumer]).toBe(`g-${h.id}`);
      expect(l.headers['x-origin']).toBe('test');
      expect(Number.isNaN(Date.parse(l.headers[DLQ_HEADERS.failedAt]!))).toBe(false);
    }
    expect(byReason['not-json']!.value).toBe('{not json');
    expect(byReason['not-json']!.headers[DLQ_HEADERS.originalOffset]).toBe('0');
    expect(byReason['not-json']!.headers[DLQ_HEADERS.attempts]).toBe('0');
    expect(byReason['bad-envelope']!.headers[DLQ_HEADERS.error]).toMatch(/eventId/);
    expect(byReason['bad-payload']!.headers[DLQ_HEADERS.error]).toMatch(/payload\.seq/);
    expect(byReason['handler-failed']!.headers[DLQ_HEADERS.originalOffset]).toBe('3');
    expect(byReason['handler-failed']!.headers[DLQ_HEADERS.attempts]).toBe('3');
    expect(byReason['handler-failed']!.headers[DLQ_HEADERS.error]).toBe('downstream unavailable');
    expect(byReason['handler-failed']!.headers[DLQ_HEADERS.originalPartition]).toBe(String(partition));
    // The failed event left no half-done effect and no inbox row (so a replay can still apply it).
    expect(await countRows(h.ds, 'SELECT count(*) AS n FROM effects WHERE event_id = $1', [failing.eventId])).toBe(0);
    expect(
      await countRows(h.ds, 'SELECT count(*) AS n FROM messaging_inbox WHERE event_id = $1', [failing.eventId]),
    ).toBe(0);
  });

  it('replays the DLQ to the original topic once the cause is fixed; poison stays poison', async () => {
    handlerBroken = false;
    const first = await replayDlq(h.kafka, h.producer, h.dlq);
    expect(first).toEqual({ replayed: 4, byTopic: { [h.topic]: 4 } });
    const failing = (await readDlq(h.kafka, h.dlq)).find((l) => l.headers[DLQ_HEADERS.reason] === 'handler-failed')!;
    const failingId = (JSON.parse(failing.value!) as { eventId: string }).eventId;

    await eventually(
      'the replayed event applied',
      async () => (await countRows(h.ds, 'SELECT count(*) AS n FROM effects WHERE event_id = $1', [failingId])) === 1,
    );
    // The three malformed messages are dead-lettered again, with where they were replayed from.
    await eventually('poison dead-lettered again', async () => (await messagesIn(h, h.dlq)) === 7);
    const again = (await readDlq(h.kafka, h.dlq)).slice(4);
    expect(again.every((l) => l.headers[REPLAYED_FROM_HEADER]?.startsWith(`${h.dlq}/`))).toBe(true);

    // Progress is committed: a second replay only sends what arrived since.
    const second = await replayDlq(h.kafka, h.producer, h.dlq);
    expect(second.replayed).toBe(3);
    expect(await countRows(h.ds, 'SELECT count(*) AS n FROM effects')).toBe(2);
  });

  it('refuses to replay a topic that is not a DLQ', async () => {
    await expect(replayDlq(h.kafka, h.producer, h.topic)).rejects.toThrow(/not a dead-letter topic/);
  });
});

describe('DLQ depth (not yet replayed) and replay of selected messages', () => {
  let h: Harness;
  let partition: number;
  const depth = async () => {
    const admin = h.kafka.admin();
    await admin.connect();
    try {
      return await dlqDepth(admin, h.dlq);
    } finally {
      await admin.disconnect();
    }
  };
  const id = (offset: number) => `${partition}:${offset}`;

  beforeAll(async () => {
    h = await createHarness();
    // Five dead letters of one key (one DLQ partition), written as the consumer writes them.
    await h.producer.sendBatch(
      Array.from({ length: 5 }, (_, i) =>
        deadLetterMessage({
          topic: h.topic,
          partition: 0,
          message: { key: Buffer.from('k'), value: Buffer.from(`v${i}`), offset: String(i), headers: {} } as never,
          consumer: 'g-test',
          reason: 'handler-failed',
          error: `boom ${i}`,
          attempts: 3,
        }),
      ),
    );
  });

  afterAll(async () => {
    await h.close();
  });

  it('counts every dead letter as pending before any replay, and reads the oldest one per partition', async () => {
    const d = await depth();
    expect(d).toMatchObject({ topic: h.dlq, replayGroup: replayGroupOf(h.dlq), held: 5, pending: 5 });
    const used = d.partitions.filter((p) => p.pending > 0);
    expect(used).toHaveLength(1);
    partition = used[0]!.partition;
    expect(used[0]).toMatchObject({ low: '0', high: '5', replayedTo: '0', pending: 5 });
    const oldest = await readDlq(h.kafka, h.dlq, { from: 'pending', perPartition: 1 });
    expect(oldest.map((e) => [e.id, e.value])).toEqual([[id(0), 'v0']]);
    expect(Date.now() - Date.parse(oldest[0]!.timestamp)).toBeLessThan(120_000);
    expect(oldest[0]!.headers[DLQ_HEADERS.error]).toBe('boom 0');
  });

  it('replays only the selected messages; the position moves past a leading run of them only', async () => {
    const selected = new Set([id(1), id(3)]);
    const some = await replayDlq(h.kafka, h.producer, h.dlq, { select: (e) => selected.has(e.id) });
    expect(some).toEqual({ replayed: 2, byTopic: { [h.topic]: 2 } });
    expect(await messagesIn(h, h.topic)).toBe(2);
    // Offset 0 was skipped: nothing moved, all five still wait.
    expect((await depth()).pending).toBe(5);

    const first = await replayDlq(h.kafka, h.producer, h.dlq, { select: (e) => e.id === id(0) });
    expect(first.replayed).toBe(1);
    expect((await depth()).pending).toBe(4);

    const two = await replayDlq(h.kafka, h.producer, h.dlq, { limit: 2 });
    expect(two.replayed).toBe(2);
    expect((await depth()).partitions.find((p) => p.partition === partition)).toMatchObject({
      replayedTo: '3',
      pending: 2,
    });
    const pending = await readDlq(h.kafka, h.dlq, { from: 'pending' });
    expect(pending.map((e) => e.id)).toEqual([id(3), id(4)]);
    // The whole topic is still there for inspection.
    expect(await readDlq(h.kafka, h.dlq)).toHaveLength(5);

    expect((await replayDlq(h.kafka, h.producer, h.dlq)).replayed).toBe(2);
    expect(await depth()).toMatchObject({ held: 5, pending: 0 });
    expect(await messagesIn(h, h.topic)).toBe(7);
    expect((await replayDlq(h.kafka, h.producer, h.dlq)).replayed).toBe(0);
  });
});
