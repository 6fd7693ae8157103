/**
 * `npm run bench:messaging`: in one run on this machine,
 *   (a) raw kafkajs produce+consume throughput on a bench topic, and
 *   (b) outbox → relay → Kafka → idempotent consumer (inbox + a trivial effect) throughput,
 * then the ratio b/a. Uses the real servers (starts what is missing through deploy/local).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { IdempotentConsumer, Outbox, OutboxRelay } from '@hoso/messaging';
import { createHarness, type Harness } from '@hoso/messaging/testing';
import { rawKafka } from './raw-limits';

const ROOT = resolve(__dirname, '../..');

const { values } = parseArgs({
  options: {
    raw: { type: 'string', default: '100000' },
    outbox: { type: 'string', default: '30000' },
    writers: { type: 'string', default: '16' },
    'events-per-tx': { type: 'string', default: '1' },
  },
});
function int(name: keyof typeof values): number {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`--${name} must be a positive integer (got ${values[name]})`);
    process.exit(2);
  }
  return v;
}
const RAW_N = int('raw');
const OUTBOX_N = int('outbox');
const WRITERS = int('writers');
const PER_TX = int('events-per-tx');

function payload(seq: number) {
  return { seq, note: 'x'.repeat(200) };
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('bench timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function outbox(h: Harness, prefill = false) {
  const ob = new Outbox(h.catalog, 'bench');
  const relay = new OutboxRelay({
    dataSource: h.ds,
    producer: h.producer,
    logger: h.logger,
    batchSize: 1000,
    pollIntervalMs: 20,
  });
  const consumer = new IdempotentConsumer({
    kafka: h.kafka,
    catalog: h.catalog,
    dataSource: h.ds,
    producer: h.producer,
    logger: h.logger,
    groupId: `outbox-${h.id}`,
    partitionsConcurrently: 3,
    handlers: {
      [h.topic]: async (
        e: { eventId: string; dossierId: string | null; payload: { seq: number } },
        ctx: { manager: { query: (q: string, p: unknown[]) => Promise<unknown> } },
      ) => {
        await ctx.manager.query('INSERT INTO effects (consumer, event_id, dossier_id, seq) VALUES ($1, $2, $3, $4)', [
          'bench',
          e.eventId,
          e.dossierId,
          e.payload.seq,
        ]);
      },
    },
  });
  const perTx = prefill ? 100 : PER_TX;
  let written = 0;
  const writeAll = () =>
    Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (written < OUTBOX_N) {
          const n = Math.min(perTx, OUTBOX_N - written);
          written += n;
          const dossierId = randomUUID();
          await h.ds.transaction(async (m) => {
            await m.query('INSERT INTO business (dossier_id, seq) VALUES ($1, 0)', [dossierId]);
            await ob.addMany(
              m,
              Array.from({ length: n }, (_, i) => ({
                topic: h.topic as never,
                payload: payload(i) as never,
                meta: { dossierId, correlationId: 'bench' },
              })),
            );
          });
          relay.wake();
        }
      }),
    );
  if (prefill) await writeAll();
  await consumer.start();
  relay.start();
  const start = process.hrtime.bigint();
  let writesDoneAt = 0n;
  if (!prefill) await writeAll();
  writesDoneAt = process.hrtime.bigint();
  await waitUntil(() => consumer.stats.processed >= OUTBOX_N, 600_000);
  const end = process.hrtime.bigint();
  await consumer.stop();
  await relay.stop();
  const seconds = Number(end - start) / 1e9;
  return {
    events: OUTBOX_N,
    writers: WRITERS,
    eventsPerTransaction: perTx,
    prefilled: prefill,
    seconds,
    perSecond: OUTBOX_N / seconds,
    writePerSecond: OUTBOX_N / (Number(writesDoneAt - start) / 1e9),
    duplicates: consumer.stats.duplicates,
  };
}

async function main(): Promise<void> {
  const up = spawnSync(
    process.execPath,
    [resolve(ROOT, 'node_modules/tsx/dist/cli.mjs'), resolve(ROOT, 'deploy/local/infra.ts'), 'up'],
    {
      stdio: 'inherit',
    },
  );
  if (up.status !== 0) throw new Error('infra up failed');
  const h = await createHarness();
  try {
    console.log(`\n(a) raw kafkajs produce+consume: ${RAW_N} events …`);
    const a = await rawKafka(h, RAW_N);
    console.log(`    ${a.perSecond.toFixed(0)} events/s (${a.seconds.toFixed(2)} s)`);
    // A fresh topic for (b), so (a)'s messages do not count.
    const h2 = await createHarness();
    let b: Awaited<ReturnType<typeof outbox>>;
    try {
      console.log(
        `(b) outbox → relay → Kafka → inbox + effect: ${OUTBOX_N} events, ${WRITERS} writers, ${PER_TX} event(s)/transaction …`,
      );
      b = await outbox(h2);
    } finally {
      await h2.close();
    }
    console.log(
      `    ${b.perSecond.toFixed(0)} events/s end to end (${b.seconds.toFixed(2)} s; writes alone ${b.writePerSecond.toFixed(0)}/s)`,
    );
    const h3 = await createHarness();
    let drain: Awaited<ReturnType<typeof outbox>>;
    try {
      console.log(
        `(b') the same pipeline draining ${OUTBOX_N} events already in the outbox (relay + consumer capacity) …`,
      );
      drain = await outbox(h3, true);
    } finally {
      await h3.close();
    }
    console.log(`    ${drain.perSecond.toFixed(0)} events/s (${drain.seconds.toFixed(2)} s)`);
    const ratio = b.perSecond / a.perSecond;
    console.log(`\nratio b/a = ${ratio.toFixed(3)}\n`);
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      raw: a,
      outbox: b,
      drain,
      ratio,
      drainRatio: drain.perSecond / a.perSecond,
    };
    mkdirSync(resolve(ROOT, '.data/bench'), { recursive: true });
    writeFileSync(resolve(ROOT, '.data/bench/messaging.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log('| measure | events | seconds | events/s |\n|---|---:|---:|---:|');
    console.log(
      `| (a) raw kafkajs produce+consume | ${a.events} | ${a.seconds.toFixed(2)} | ${a.perSecond.toFixed(0)} |`,
    );
    console.log(
      `| (b) outbox→relay→Kafka→inbox+effect | ${b.events} | ${b.seconds.toFixed(2)} | ${b.perSecond.toFixed(0)} |`,
    );
    console.log(
      `| (b') relay + consumer draining a full outbox | ${drain.events} | ${drain.seconds.toFixed(2)} | ${drain.perSecond.toFixed(0)} |`,
    );
    console.log(`| ratio b/a | | | ${ratio.toFixed(3)} |`);
    console.log(`| ratio b'/a | | | ${(drain.perSecond / a.perSecond).toFixed(3)} |`);
  } finally {
    await h.close();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
