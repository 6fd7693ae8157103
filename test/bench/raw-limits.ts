/**
 * The raw limits of this machine's servers, measured with the same clients the services use: kafkajs
 * produce+consume on a bench topic, and PostgreSQL single-row commits and batched multi-row inserts on a
 * scratch table in a scratch database. `npm run bench:messaging` and `npm run bench` both measure with these.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createEvent } from '@hoso/contracts';
import type { Harness } from '@hoso/messaging/testing';
import { createTestDatabase } from '@hoso/persistence';

export interface Throughput {
  events: number;
  seconds: number;
  perSecond: number;
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('bench timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * `n` events of ~300 bytes produced in batches of 1,000 with 4 requests in flight (how a busy relay uses the
 * producer) and consumed by one consumer (3 partitions at once) that parses each one, on the harness's
 * 6-partition topic; from the first send to the last message consumed.
 */
export async function rawKafka(h: Harness, n: number): Promise<Throughput> {
  const dossiers = Array.from({ length: 1000 }, () => randomUUID());
  const messages = Array.from({ length: n }, (_, i) => {
    const dossierId = dossiers[i % dossiers.length] as string;
    const e = createEvent(
      h.catalog,
      h.topic as never,
      { seq: i, note: 'x'.repeat(200) },
      {
        dossierId,
        correlationId: 'bench',
        producer: 'bench',
      },
    );
    return { topic: h.topic, key: dossierId, value: JSON.stringify(e) };
  });
  let consumed = 0;
  const consumer = h.kafka.consumer({ groupId: `raw-${h.id}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic: h.topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) if (m.value) JSON.parse(m.value.toString());
      consumed += batch.messages.length;
      await Promise.resolve();
    },
  });
  const start = process.hrtime.bigint();
  const chunks: (typeof messages)[] = [];
  for (let i = 0; i < messages.length; i += 1000) chunks.push(messages.slice(i, i + 1000));
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++] as typeof messages;
        await h.producer.sendBatch(chunk);
      }
    }),
  );
  await waitUntil(() => consumed >= n, 300_000);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await consumer.disconnect();
  return { events: n, seconds, perSecond: n / seconds };
}

export interface PostgresLimits {
  /** `INSERT` of one row, each its own durable commit, from `clients` connections at once. */
  singleRowCommits: Throughput & { clients: number };
  /** Multi-row `INSERT … SELECT FROM unnest(…)` of `batchRows` rows per statement, from `clients` connections. */
  batchedRows: Throughput & { clients: number; batchRows: number };
}

export const SCRATCH = `CREATE TABLE scratch (
  id bigserial PRIMARY KEY,
  dossier_id uuid NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now())`;

/** Runs `work` on `clients` connections for `seconds`; returns how many rows they wrote. */
export async function forSeconds(url: string, clients: number, seconds: number, work: (c: Client) => Promise<number>) {
  const conns = await Promise.all(
    Array.from({ length: clients }, async () => {
      const c = new Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  try {
    let rows = 0;
    const start = process.hrtime.bigint();
    const end = Date.now() + seconds * 1000;
    // Each connection counts its own rows. (`rows += await work(c)` read `rows` before the await, so concurrent
    // connections overwrote each other's increments: 16 clients counted ~1/16 of the commits they made.)
    const perConnection = await Promise.all(
      conns.map(async (c) => {
        let mine = 0;
        while (Date.now() < end) {
          const n = await work(c);
          mine += n;
        }
        return mine;
      }),
    );
    for (const n of perConnection) rows += n;
    return { rows, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
  } finally {
    await Promise.all(conns.map((c) => c.end()));
  }
}

/** Both PostgreSQL limits on a scratch database (dropped afterwards). */
export async function rawPostgres(
  adminUrl: string,
  opts: { seconds: number; clients: number; batchClients: number; batchRows: number },
): Promise<PostgresLimits> {
  const db = await createTestDatabase(adminUrl, 'hoso_bench_scratch');
  try {
    const setup = new Client({ connectionString: db.url });
    await setup.connect();
    await setup.query(SCRATCH);
    await setup.end();
    const payload = JSON.stringify({ note: 'x'.repeat(200) });
    const single = await forSeconds(db.url, opts.clients, opts.seconds, async (c) => {
      await c.query('INSERT INTO scratch (dossier_id, payload) VALUES ($1, $2)', [randomUUID(), payload]);
      return 1;
    });
    const ids = () => Array.from({ length: opts.batchRows }, () => randomUUID());
    const payloads = Array.from({ length: opts.batchRows }, () => payload);
    const batched = await forSeconds(db.url, opts.batchClients, opts.seconds, async (c) => {
      await c.query('INSERT INTO scratch (dossier_id, payload) SELECT * FROM unnest($1::uuid[], $2::jsonb[])', [
        ids(),
        payloads,
      ]);
      return opts.batchRows;
    });
    return {
      singleRowCommits: {
        clients: opts.clients,
        events: single.rows,
        seconds: single.seconds,
        perSecond: single.rows / single.seconds,
      },
      batchedRows: {
        clients: opts.batchClients,
        batchRows: opts.batchRows,
        events: batched.rows,
        seconds: batched.seconds,
        perSecond: batched.rows / batched.seconds,
      },
    };
  } finally {
    await db.drop();
  }
}
