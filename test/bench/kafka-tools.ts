/**
 * Kafka's raw limits on this machine, with Kafka's own perf tools (org.apache.kafka.tools.ProducerPerformance and
 * ConsumerPerformance, from Maven Central at the broker's version, fetched once into ~/.cache/hoso by
 * deploy/local/kafka-tools.pom.xml) and with kafkajs doing the same work (produce only, then consume only, same
 * record size, same partitions), each on its own scratch topic deleted afterwards.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { toolKafkaSasl } from '@hoso/config';
import { REPO_ROOT } from '@hoso/platform';

export const KAFKA_TOOLS_VERSION = process.env['HOSO_KAFKA_VERSION'] ?? '4.4.0';

export interface KafkaRun {
  tool: 'kafka-perf' | 'kafkajs';
  what: 'produce' | 'consume';
  records: number;
  recordBytes: number;
  seconds: number;
  recordsPerSec: number;
  /** ProducerPerformance's latency percentiles (ms), when it is the tool. */
  latencyMs?: { avg: number; p50: number; p99: number };
}

export interface KafkaLimits {
  partitions: number;
  /** The perf tools' classpath directory, or why they did not run. */
  tools: string;
  runs: KafkaRun[];
}

/** The perf tools' jars (fetched with mvn the first time); throws when mvn cannot get them. */
export function ensureKafkaTools(version = KAFKA_TOOLS_VERSION): string {
  const home = join(homedir(), '.cache', 'hoso', `kafka-tools-${version}`);
  if (existsSync(join(home, '.complete'))) return home;
  const tmp = `${home}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const mvn = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      join(REPO_ROOT, 'deploy/local/kafka-tools.pom.xml'),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${tmp}`,
      `-Dkafka.version=${version}`,
    ],
    { stdio: 'inherit' },
  );
  if (mvn.status !== 0) throw new Error(`mvn could not fetch kafka-tools ${version} (exit ${String(mvn.status)})`);
  writeFileSync(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  rmSync(home, { recursive: true, force: true });
  renameSync(tmp, home);
  return home;
}

/** The summary line of ProducerPerformance ("N records sent, R records/sec (…), A ms avg latency, …"). */
export function parseProducerPerf(
  out: string,
): { records: number; perSec: number; avg: number; p50: number; p99: number } | null {
  const m =
    /(\d+) records sent, ([\d.]+) records\/sec \([^)]*\), ([\d.]+) ms avg latency, [\d.]+ ms max latency, (\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th/.exec(
      out,
    );
  if (!m) return null;
  return { records: Number(m[1]), perSec: Number(m[2]), avg: Number(m[3]), p50: Number(m[4]), p99: Number(m[5]) };
}

/**
 * ConsumerPerformance's data line (after its header "start.time, end.time, data.consumed.in.MB, MB.sec,
 * data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"): records, and
 * records/s over the fetch time (the group join excluded, as kafkajs' figure below excludes it).
 */
export function parseConsumerPerf(out: string): { records: number; fetchSec: number; perSec: number } | null {
  const header = out.split('\n').findIndex((l) => l.includes('fetch.nMsg.sec'));
  if (header < 0) return null;
  const line = out.split('\n')[header + 1];
  const f = line?.split(',').map((s) => s.trim());
  if (!f || f.length < 10) return null;
  return { records: Number(f[4]), fetchSec: Number(f[7]) / 1000, perSec: Number(f[9]) };
}

function java(classpath: string, main: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', ['-Xmx256m', '-cp', `${classpath}/*`, main, ...args], { cwd: REPO_ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${main} exited ${String(code)}: ${(err || out).slice(-600)}`));
    });
  });
}

async function withTopic<T>(kafka: Kafka, partitions: number, work: (topic: string) => Promise<T>): Promise<T> {
  const topic = `bench-raw-${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    return await work(topic);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** kafkajs: `n` records of `bytes` in batches of 1,000 with 4 requests in flight (as the outbox relays send). */
async function kafkajsProduce(kafka: Kafka, topic: string, n: number, bytes: number): Promise<KafkaRun> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  const value = Buffer.alloc(bytes, 'x');
  try {
    const start = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < n) {
          const from = next;
          next = Math.min(n, next + 1000);
          await producer.send({
            topic,
            acks: -1,
            messages: Array.from({ length: next - from }, (_, i) => ({ key: String((from + i) % 1000), value })),
          });
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { tool: 'kafkajs', what: 'produce', records: n, recordBytes: bytes, seconds, recordsPerSec: n / seconds };
  } finally {
    await producer.disconnect();
  }
}

/** kafkajs: one consumer reads the `n` records back (every partition at once), from joining the group to the last. */
async function kafkajsConsume(kafka: Kafka, topic: string, n: number, bytes: number): Promise<KafkaRun> {
  const consumer = kafka.consumer({ groupId: `${topic}-kafkajs`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let consumed = 0;
    const at: { first: bigint | null; last: bigint | null } = { first: null, last: null };
    // From the moment the group is joined, as ConsumerPerformance's fetch time leaves its rebalance out.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      at.first = process.hrtime.bigint();
    });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        partitionsConsumedConcurrently: 6,
        eachBatch: async ({ batch }) => {
          consumed += batch.messages.length;
          if (consumed >= n) {
            at.last = process.hrtime.bigint();
            resolve();
          }
          await Promise.resolve();
        },
      });
    });
    await Promise.race([
      done,
      new Promise((_, reject) => {
        setTimeout(() => {
          reject(new Error('kafkajs consume timed out'));
        }, 300_000).unref();
      }),
    ]);
    const seconds = Number((at.last ?? process.hrtime.bigint()) - (at.first ?? 0n)) / 1e9;
    return {
      tool: 'kafkajs',
      what: 'consume',
      records: consumed,
      recordBytes: bytes,
      seconds,
      recordsPerSec: consumed / seconds,
    };
  } finally {
    await consumer.disconnect();
  }
}

/** A Java client properties file with the tools' SASL/SCRAM user (libs/config toolKafkaSasl). */
function saslClientConfig(dir: string): string {
  const { username, password } = toolKafkaSasl();
  const file = join(dir, 'client.properties');
  writeFileSync(
    file,
    [
      'security.protocol=SASL_PLAINTEXT',
      'sasl.mechanism=SCRAM-SHA-512',
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return file;
}

export async function measureKafkaLimits(
  kafka: Kafka,
  broker: string,
  opts: { records: number; recordBytes: number; partitions: number },
  say: (line: string) => void = () => undefined,
): Promise<KafkaLimits> {
  const runs: KafkaRun[] = [];
  let tools: string;
  try {
    tools = ensureKafkaTools();
  } catch (e) {
    tools = `not run: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (!tools.startsWith('not run')) {
    // The broker takes SASL/SCRAM only: the tools sign in as the bench's Kafka user, from a file only this user reads.
    const clientConfig = saslClientConfig(mkdtempSync(join(tmpdir(), 'hoso-kafka-perf-')));
    await withTopic(kafka, opts.partitions, async (topic) => {
      const out = await java(tools, 'org.apache.kafka.tools.ProducerPerformance', [
        '--bootstrap-server',
        broker,
        '--topic',
        topic,
        '--num-records',
        String(opts.records),
        '--record-size',
        String(opts.recordBytes),
        '--throughput',
        '-1',
        '--producer-props',
        'acks=all',
        '--command-config',
        clientConfig,
      ]);
      const p = parseProducerPerf(out);
      if (!p) throw new Error(`ProducerPerformance printed no summary: ${out.slice(-400)}`);
      runs.push({
        tool: 'kafka-perf',
        what: 'produce',
        records: p.records,
        recordBytes: opts.recordBytes,
        seconds: p.records / p.perSec,
        recordsPerSec: p.perSec,
        latencyMs: { avg: p.avg, p50: p.p50, p99: p.p99 },
      });
      say(`  ProducerPerformance: ${p.perSec.toFixed(0)} records/s`);
      const c = parseConsumerPerf(
        await java(tools, 'org.apache.kafka.tools.ConsumerPerformance', [
          '--bootstrap-server',
          broker,
          '--topic',
          topic,
          '--num-records',
          String(opts.records),
          '--group',
          `${topic}-perf`,
          '--timeout',
          '30000',
          '--command-config',
          clientConfig,
        ]),
      );
      if (!c) throw new Error('ConsumerPerformance printed no data line');
      runs.push({
        tool: 'kafka-perf',
        what: 'consume',
        records: c.records,
        recordBytes: opts.recordBytes,
        seconds: c.fetchSec,
        recordsPerSec: c.perSec,
      });
      say(`  ConsumerPerformance: ${c.perSec.toFixed(0)} records/s`);
    }).finally(() => {
      rmSync(dirname(clientConfig), { recursive: true, force: true });
    });
  }
  await withTopic(kafka, opts.partitions, async (topic) => {
    const p = await kafkajsProduce(kafka, topic, opts.records, opts.recordBytes);
    runs.push(p);
    say(`  kafkajs produce: ${p.recordsPerSec.toFixed(0)} records/s`);
    const c = await kafkajsConsume(kafka, topic, opts.records, opts.recordBytes);
    runs.push(c);
    say(`  kafkajs consume: ${c.recordsPerSec.toFixed(0)} records/s`);
  });
  return { partitions: opts.partitions, tools, runs };
}
