/**
 * `npm run bench -- --replay` (or `npm run bench:replay`): how fast the metrics projection is rebuilt from offset 0 (the replay command's
 * path), on the real servers.
 *
 * Writes a whole flow of events per synthetic dossier (submitted, identity verified, payment requested and
 * completed, case received, two status changes, completed, rated: 9 events) to the topics of a fresh prefix with
 * the production partition count, then runs the replay into a fresh database and prints the events per second of
 * the read-and-apply phase (the replay's own clock, without database set-up, group join and comparison) and the
 * bench process's CPU. The comparison with the live projection is run against an empty database and timed on its
 * own, so a baseline without the replay's own clock is measured the same way: total minus comparison.
 */
import { parseArgs } from 'node:util';
import { toolKafkaSasl } from '@hoso/config';
import { cpus } from 'node:os';
import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { catalog, createEvent, samplePayloads, type Payload, type Topic } from '@hoso/contracts';
import {
  createKafka,
  createLogger,
  deleteTopics,
  ensureTopics,
  EventProducer,
  waitForTopicsServed,
} from '@hoso/messaging';
import { withDatabase } from '@hoso/config';
import { createDataSource, createTestDatabase, dropDatabase, runMigrations } from '@hoso/persistence';
import { testEnv } from '@hoso/testing';
import { METRICS_MIGRATIONS } from '../migrations';
import { compareProjections, replayAndCompare } from './replay';

const MINUTE = 60_000;

function flow(now: number): { topic: Topic; payload: Payload<Topic> }[] {
  const dossierId = uuidv7();
  const at = (m: number) => new Date(now - m * MINUTE).toISOString();
  const s = samplePayloads;
  const steps: [Topic, Record<string, unknown>][] = [
    ['dossier.submitted.v1', { ...s['dossier.submitted.v1'], submittedAt: at(50) }],
    ['identity.verified.v1', { ...s['identity.verified.v1'], verifiedAt: at(49) }],
    ['payment.requested.v1', { ...s['payment.requested.v1'], requestedAt: at(48) }],
    ['payment.completed.v1', { ...s['payment.completed.v1'], completedAt: at(47) }],
    ['case.received.v1', { ...s['case.received.v1'], receivedAt: at(46) }],
    ['case.status-changed.v2', { ...s['case.status-changed.v2'], changedAt: at(45) }],
    [
      'case.status-changed.v2',
      { ...s['case.status-changed.v2'], from: 'IN_PROCESS', to: 'APPROVED', changedAt: at(30) },
    ],
    ['case.completed.v1', { ...s['case.completed.v1'], receivedAt: at(46), completedAt: at(20) }],
    ['case.rated.v1', { ...s['case.rated.v1'], ratedAt: at(10) }],
  ];
  return steps.map(([topic, p]) => ({ topic, payload: { ...p, dossierId } as Payload<Topic> }));
}

class UsageError extends Error {}

function options(argv: string[]): { dossiers: number } | null {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--replay'),
    options: { dossiers: { type: 'string', default: '20000' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    console.log('npm run bench -- --replay [--dossiers N]   (9 events per dossier; default 20000 dossiers)');
    return null;
  }
  const dossiers = Number(values.dossiers);
  if (!Number.isInteger(dossiers) || dossiers <= 0) {
    throw new UsageError(`--dossiers must be a positive integer (got ${values.dossiers})`);
  }
  return { dossiers };
}

export async function runReplayBench(argv: string[]): Promise<number> {
  let opts: { dossiers: number } | null;
  try {
    opts = options(argv);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return 2;
  }
  if (!opts) return 0;
  const DOSSIERS = opts.dossiers;
  const logger = createLogger('bench-replay', 'fatal');
  const kafka = createKafka({
    clientId: 'bench-replay',
    brokers: testEnv.KAFKA_BROKERS,
    sasl: toolKafkaSasl(),
    logger,
  });
  const prefix = `bench${randomBytes(3).toString('hex')}.`;
  const report = await ensureTopics(kafka, { prefix });
  await waitForTopicsServed(kafka, report.created);
  const producer = new EventProducer(kafka);
  await producer.connect();
  const emptyLive = await createTestDatabase(testEnv.DATABASE_URL, 'hoso_bench_live');
  const live = createDataSource({
    url: emptyLive.url,
    applicationName: 'bench-replay',
    migrations: METRICS_MIGRATIONS,
  });
  await live.initialize();
  await runMigrations(live);
  try {
    const now = Date.now();
    let written = 0;
    const started = Date.now();
    for (let i = 0; i < DOSSIERS; i += 500) {
      const chunk = Array.from({ length: Math.min(500, DOSSIERS - i) }, () => flow(now)).flat();
      await producer.sendBatch(
        chunk.map((e) => {
          const event = createEvent(catalog, e.topic, e.payload as never, {
            dossierId: (e.payload as { dossierId: string }).dossierId,
            correlationId: `bench-${uuidv7()}`,
            producer: 'bench',
          });
          return { topic: `${prefix}${e.topic}`, key: event.dossierId ?? '', value: JSON.stringify(event) };
        }),
      );
      written += chunk.length;
    }
    console.log(`wrote ${written} events (${DOSSIERS} dossiers) in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    const r = await replayAndCompare({
      kafka,
      serverUrl: testEnv.DATABASE_URL,
      live,
      topicPrefix: prefix,
      keepDatabase: true,
      timeoutMs: 3_600_000,
      logger,
      now: new Date(now),
    });
    const totalMs = Date.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    // Time the comparison alone (the same work replayAndCompare did after the read), for the baseline figure.
    const rebuilt = createDataSource({
      url: withDatabase(testEnv.DATABASE_URL, r.replayDatabase),
      applicationName: 'bench-replay',
    });
    await rebuilt.initialize();
    const c0 = Date.now();
    const diffs = await compareProjections(live, rebuilt, new Date(now));
    const compareMs = Date.now() - c0;
    const [{ n }] = await rebuilt.query<[{ n: string }]>(`SELECT count(*) AS n FROM metrics_dossier_facts`);
    await rebuilt.destroy();
    const { readMs, eventsPerSecond } = r as { readMs?: number; eventsPerSecond?: number };
    const approxMs = totalMs - compareMs;
    console.log(
      JSON.stringify(
        {
          cores: cpus().length,
          events: r.read,
          applied: r.applied,
          factRows: Number(n),
          differencesWithEmptyLive: diffs.length,
          replayCommand: { readMs: readMs ?? null, eventsPerSecond: eventsPerSecond ?? null },
          wallMs: { total: totalMs, comparison: compareMs, totalMinusComparison: approxMs },
          eventsPerSecondTotalMinusComparison: Math.round(r.read / (approxMs / 1000)),
          benchProcessCpuMs: Math.round((cpu.user + cpu.system) / 1000),
        },
        null,
        2,
      ),
    );
    await dropDatabase(testEnv.DATABASE_URL, r.replayDatabase);
    return 0;
  } finally {
    await producer.disconnect();
    await live.destroy();
    await emptyLive.drop();
    await deleteTopics(kafka, prefix);
  }
}

if (require.main === module) {
  runReplayBench(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
