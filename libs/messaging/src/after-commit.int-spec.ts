import { randomBytes, randomUUID } from 'node:crypto';
import { createEvent, defineCatalog, defineTopic, type EventOf, type TopicOf } from '@hoso/contracts';
import { eventually } from '@hoso/testing';
import { IdempotentConsumer } from './consumer';
import { TestPayload, createHarness, createTopicsWithDlq, countRows, type Harness } from './testing/harness';

function oneTopic() {
  const id = Array.from(randomBytes(8), (b) => String.fromCharCode(97 + (b % 26))).join('');
  return defineCatalog([
    defineTopic({ type: `ac${id}.thing-happened`, version: 1, producer: 'test', summary: 'a', schema: TestPayload }),
  ]);
}

describe('after-commit effects: run once per committed event, never for a rolled-back attempt', () => {
  let h: Harness;
  const catalog = oneTopic();
  type C = typeof catalog;
  type T = TopicOf<C>;
  type E = EventOf<C, T>;
  const [topic] = Object.keys(catalog) as [T];
  let consumer: IdempotentConsumer<C> | null = null;

  beforeAll(async () => {
    h = await createHarness();
    await createTopicsWithDlq(h, [topic], 3);
  });

  afterAll(async () => {
    await consumer?.stop();
    await h.close();
  });

  it('a failing attempt, a whole-flush redo after a deadlock and a dead-lettered event trigger no effect', async () => {
    const dossiers = Array.from({ length: 9 }, () => randomUUID());
    const events = dossiers.map((d, seq) =>
      createEvent(catalog, topic, { seq, note: 'n' }, { dossierId: d, correlationId: `c-${d}`, producer: 'test' }),
    );
    // seq 1 fails its first attempt (the set-based pass then goes event by event, where attempt 1 of seq 1 is
    // undone to its savepoint); seq 2 fails always (dead-lettered); seq 3 hits a deadlock on its first flush, which
    // redoes the whole flush in a fresh transaction.
    const attempts = new Map<number, number>();
    let deadlocked = false;
    const effects: number[] = [];
    consumer = new IdempotentConsumer<C>({
      kafka: h.kafka,
      catalog,
      dataSource: h.ds,
      producer: h.producer,
      logger: h.logger,
      groupId: `after-commit-${h.id}`,
      initialBackoffMs: 10,
      maxAttempts: 3,
      handlers: {
        [topic]: {
          each: async (e: E, ctx) => {
            const seq = e.payload.seq;
            const n = (attempts.get(seq) ?? 0) + 1;
            attempts.set(seq, n);
            await ctx.manager.query(
              `INSERT INTO effects (consumer, event_id, dossier_id, seq) VALUES ('after-commit', $1, $2, $3)`,
              [e.eventId, e.dossierId, seq],
            );
            ctx.afterCommit(async () => {
              // The effect sees its committed row: it runs after the commit, never before.
              const seen = await countRows(
                h.ds,
                `SELECT count(*) AS n FROM effects WHERE consumer = 'after-commit' AND event_id = $1`,
                [e.eventId],
              );
              if (seen !== 1) throw new Error(`effect of ${seq} ran before its commit`);
              effects.push(seq);
            });
            if (seq === 1 && n === 1) throw new Error('first attempt fails');
            if (seq === 2) throw new Error('always fails');
            if (seq === 3 && !deadlocked) {
              deadlocked = true;
              throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
            }
          },
        },
      },
    });
    await consumer.start();
    await h.producer.sendBatch(events.map((e) => ({ topic, key: e.dossierId as string, value: JSON.stringify(e) })));

    await eventually('every event but the failing one applied', () => Promise.resolve(effects.length === 8));
    await eventually('the failing one dead-lettered', () => Promise.resolve(consumer?.stats.deadLettered === 1));
    expect([...effects].sort((a, b) => a - b)).toEqual([0, 1, 3, 4, 5, 6, 7, 8]);
    expect(await countRows(h.ds, `SELECT count(*) AS n FROM effects WHERE consumer = 'after-commit'`)).toBe(8);
    expect(deadlocked).toBe(true);
  });
});
