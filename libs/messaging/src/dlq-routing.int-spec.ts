import { randomUUID } from 'node:crypto';
import { createEvent } from '@hoso/contracts';
import { eventually } from '@hoso/testing';
import { NonRetriableError, type IdempotentConsumer } from './consumer';
import { DLQ_HEADERS, readDlq, REPLAY_TARGET_HEADER, replayDlq } from './dlq';
import { createHarness, countRows, messagesIn, type Harness } from './testing/harness';
import { makeConsumer, recordEffect } from './testing/helpers';

type Effect = ReturnType<typeof recordEffect>;

describe('a replayed dead letter reaches only the consumer that failed it', () => {
  let h: Harness;
  let a: IdempotentConsumer<Harness['catalog']>;
  let b: IdempotentConsumer<Harness['catalog']>;
  let aRefuses = true;
  const event = (seq: number) =>
    createEvent(
      h.catalog,
      h.topic as never,
      { seq, note: 'two groups' },
      {
        dossierId: randomUUID(),
        correlationId: `c-${seq}`,
        producer: 'test',
      },
    );
  const effectsOf = (consumer: string, eventId: string) =>
    countRows(h.ds, 'SELECT count(*) AS n FROM effects WHERE consumer = $1 AND event_id = $2', [consumer, eventId]);

  beforeAll(async () => {
    h = await createHarness();
  });

  afterAll(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await h.close();
  });

  it('applies the replay in the failing group only; the other group adds no effect and no dead letter', async () => {
    const refused = event(1);
    const poisonKey = randomUUID();
    await h.producer.sendBatch([
      { topic: h.topic, key: refused.dossierId as string, value: JSON.stringify(refused) },
      { topic: h.topic, key: poisonKey, value: '{not json' },
    ]);
    const effectA = recordEffect(`a-${h.id}`);
    a = makeConsumer(h, `a-${h.id}`, {
      handlers: {
        [h.topic]: async (e: Parameters<Effect>[0], ctx: Parameters<Effect>[1]) => {
          if (aRefuses) throw new NonRetriableError('a refuses it for now');
          await effectA(e, ctx);
        },
      },
    });
    b = makeConsumer(h, `b-${h.id}`);
    await Promise.all([a.start(), b.start()]);

    // A dead-letters the refused event; both dead-letter the poison one: three dead letters. (A consumer that
    // restarts before committing its offsets dead-letters a record again — at least once, by design — so the
    // assertions below take the letters as a set.)
    await eventually('three dead letters', async () => (await messagesIn(h, h.dlq)) >= 3);
    expect(await effectsOf(`b-${h.id}`, refused.eventId)).toBe(1);
    const letters = await readDlq(h.kafka, h.dlq);
    expect(
      [...new Set(letters.map((l) => `${l.headers[DLQ_HEADERS.consumer]}/${l.headers[DLQ_HEADERS.reason]}`))].sort(),
    ).toEqual([`a-${h.id}/not-json`, `a-${h.id}/rejected`, `b-${h.id}/not-json`].sort());

    aRefuses = false;
    const skippedBefore = { a: a.stats.skipped, b: b.stats.skipped };
    const replayed = await replayDlq(h.kafka, h.producer, h.dlq);
    expect(replayed.replayed).toBeGreaterThanOrEqual(3);
    expect(replayed.byTopic).toEqual({ [h.topic]: replayed.replayed });

    await eventually('A applied the replayed event', async () => (await effectsOf(`a-${h.id}`, refused.eventId)) === 1);
    // Each consumer skips the replays meant for the other: B the refused event and A's poison, A B's poison.
    await eventually('each group skipped the replays of the other', () =>
      Promise.resolve(a.stats.skipped - skippedBefore.a >= 1 && b.stats.skipped - skippedBefore.b >= 2),
    );
    // Each poison letter comes back from its own consumer only (with every group seeing every replay, the other
    // group dead-lettered it too): the dead letters of replayed records all name their target as the consumer.
    const replayedLetters = async () =>
      (await readDlq(h.kafka, h.dlq)).filter((l) => l.headers[REPLAY_TARGET_HEADER] !== undefined);
    await eventually('the two poison letters back', async () => {
      const consumers = new Set((await replayedLetters()).map((l) => l.headers[DLQ_HEADERS.consumer]));
      return consumers.has(`a-${h.id}`) && consumers.has(`b-${h.id}`);
    });
    const again = await replayedLetters();
    for (const l of again) expect(l.headers[REPLAY_TARGET_HEADER]).toBe(l.headers[DLQ_HEADERS.consumer]);
    expect(again.every((l) => l.headers[DLQ_HEADERS.reason] === 'not-json')).toBe(true);
    expect(await effectsOf(`b-${h.id}`, refused.eventId)).toBe(1);
    expect(await countRows(h.ds, 'SELECT count(*) AS n FROM effects')).toBe(2);
    // B wrote no inbox row for the replay it skipped (nor a second one for the original).
    expect(
      await countRows(h.ds, 'SELECT count(*) AS n FROM messaging_inbox WHERE consumer = $1 AND event_id = $2', [
        `b-${h.id}`,
        refused.eventId,
      ]),
    ).toBe(1);
  });
});

describe("an envelope whose dossier is not the record's, and a tombstone", () => {
  let h: Harness;
  let consumer: IdempotentConsumer<Harness['catalog']>;

  beforeAll(async () => {
    h = await createHarness();
  });

  afterAll(async () => {
    await consumer.stop();
    await h.close();
  });

  it('dead-letters a key or payload that names another dossier (key-mismatch), and keeps a tombstone a null', async () => {
    const make = (seq: number) =>
      createEvent(
        h.catalog,
        h.topic as never,
        { seq, note: 'keys' },
        {
          dossierId: randomUUID(),
          correlationId: `k-${seq}`,
          producer: 'test',
        },
      );
    const good = make(1);
    const wrongKey = make(2);
    const wrongPayload = make(3);
    const key = randomUUID();
    // Hand-made records, all on one key (one partition, in this order) except the good one.
    await h.producer.sendBatch([
      { topic: h.topic, key, value: JSON.stringify(wrongKey) },
      {
        topic: h.topic,
        key,
        value: JSON.stringify({
          ...wrongPayload,
          dossierId: key,
          payload: { ...wrongPayload.payload, dossierId: randomUUID() },
        }),
      },
      { topic: h.topic, key, value: null },
      { topic: h.topic, key: good.dossierId as string, value: JSON.stringify(good) },
    ]);
    consumer = makeConsumer(h, `g-${h.id}`);
    await consumer.start();

    await eventually('three dead letters', async () => (await messagesIn(h, h.dlq)) === 3);
    await eventually(
      'the good event applied',
      async () =>
        (await countRows(h.ds, 'SELECT count(*) AS n FROM effects WHERE event_id = $1', [good.eventId])) === 1,
    );
    const letters = await readDlq(h.kafka, h.dlq);
    const byOffset = new Map(letters.map((l) => [l.headers[DLQ_HEADERS.originalOffset], l]));
    expect(byOffset.get('0')?.headers[DLQ_HEADERS.reason]).toBe('key-mismatch');
    expect(byOffset.get('0')?.headers[DLQ_HEADERS.error]).toContain(wrongKey.dossierId as string);
    expect(byOffset.get('1')?.headers[DLQ_HEADERS.reason]).toBe('key-mismatch');
    expect(byOffset.get('1')?.headers[DLQ_HEADERS.error]).toMatch(/payload dossierId/);
    const tombstone = byOffset.get('2');
    expect(tombstone?.headers[DLQ_HEADERS.reason]).toBe('not-json');
    expect(tombstone?.value).toBeNull();
    expect(tombstone?.key).toBe(key);
    expect(await countRows(h.ds, 'SELECT count(*) AS n FROM effects')).toBe(1);
    expect(await countRows(h.ds, 'SELECT count(*) AS n FROM messaging_inbox')).toBe(1);

    // Replayed, the tombstone is a tombstone again: dead-lettered once more, still with a null value.
    expect((await replayDlq(h.kafka, h.producer, h.dlq, { select: (e) => e.id === tombstone?.id })).replayed).toBe(1);
    await eventually('the replayed tombstone dead-lettered again', async () => (await messagesIn(h, h.dlq)) === 4);
    const back = (await readDlq(h.kafka, h.dlq)).find((l) => l.headers['hoso-replayed-from'] !== undefined);
    expect(back?.value).toBeNull();
    expect(back?.headers[DLQ_HEADERS.reason]).toBe('not-json');
  });
});
