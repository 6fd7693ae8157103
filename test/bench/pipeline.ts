/**
 * `npm run bench:pipeline` (or `npm run bench -- --pipeline`): how many dossiers per second the pipeline takes from
 * submission to RECEIVED on this machine, and what one dossier costs, next to the raw limits of its servers
 * measured in the same run with their standard tools.
 *   (1) raw limits: pgbench and node-pg (single-row commits at 1/8/16 clients, batched rows), Kafka's
 *       ProducerPerformance/ConsumerPerformance and kafkajs;
 *   (2) an isolated platform, citizens signed in and prefilled first, then open-loop arrivals stepped up until a
 *       step does not keep up, for a fee-free procedure and for a fee procedure paid through the payment-gateway
 *       simulator; no officers (RECEIVED is where the citizen's part ends). Per step: rates, latencies, metrics
 *       freshness, and per dossier: HTTP requests, commits, rows, Kafka records, CPU ms of every process.
 * Writes .data/bench/pipeline-<timestamp>.json and .md and the Pipeline section of docs/performance.md.
 */
import { mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { infraEnvSchema, parseEnv, toolKafkaSasl } from '@hoso/config';
import {
  BACKEND_SERVICES,
  ensureInfra,
  findPids,
  machineTicks,
  ProcSampler,
  REPO_ROOT,
  runPrefix,
  startPlatform,
  type InfraHandle,
  type Platform,
} from '@hoso/platform';
import { FlowTap, percentile } from './flow-tap';
import { measureKafkaLimits, type KafkaLimits } from './kafka-tools';
import { MetricsFreshness } from './metrics-freshness';
import { measurePgLimits, type PgLimits } from './pg-limits';
import { LoadGenerator } from './pipeline-load';
import {
  diffCounters,
  maxPeaks,
  perDossier,
  rateInWindow,
  renderPipelineMarkdown,
  stepVerdict,
  sustainedOf,
  updatePipelineSection,
  type Counters,
  type PipelineResult,
  type PipelineStep,
  type Variant,
} from './pipeline-report';
import { formatMarkdown, writeRunFiles, type Percentiles } from './bench-report';

export const PIPELINE_USAGE = `usage: npm run bench:pipeline [-- options]     (or: npm run bench -- --pipeline [options])

  --steps A,B,…          offered arrival rates in dossiers/s, tried in order until one does not keep up
                         (default 100,200,400,800,1200,1600)
  --step-seconds N       arrivals per step, seconds (default 20)
  --drain-seconds N      after arrivals, how long the step's dossiers may take to reach RECEIVED (default 30)
  --max-in-flight N      submissions in flight at most; an arrival beyond is refused and counted (default 256)
  --citizens N           citizens signed in and prefilled before the measurement (default 200)
  --variants L           free, fee or free,fee (default free,fee)
  --free-procedure CODE  the fee-free procedure (default 1.001193)
  --fee-procedure CODE   the fee procedure (default 1.004873)
  --raw-seconds N        seconds of each pgbench / node-pg measurement (default 10)
  --kafka-records N      records of each Kafka perf measurement (default 200000)
  --no-raw               skip the raw limits
  --no-doc               do not write the Pipeline section of docs/performance.md
  --log-level L          the services' LOG_LEVEL (default info)
  --node-args="F …"      extra node flags for every service, e.g. --node-args=--max-semi-space-size=4 (V8 heap
                         sizing experiments; with "=", as the value starts with a dash; default: none)
  -h, --help`;

export class UsageError extends Error {}

export interface PipelineOptions {
  steps: number[];
  stepSeconds: number;
  drainSeconds: number;
  maxInFlight: number;
  citizens: number;
  variants: Variant[];
  procedures: Record<Variant, string>;
  rawSeconds: number;
  kafkaRecords: number;
  raw: boolean;
  doc: boolean;
  logLevel: string;
  /** Extra node flags for every service process. */
  nodeArgs: string[];
}

/** The options, null for --help; a UsageError for anything it cannot take. */
export function parsePipelineArgs(argv: string[]): PipelineOptions | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        steps: { type: 'string' },
        'step-seconds': { type: 'string' },
        'drain-seconds': { type: 'string' },
        'max-in-flight': { type: 'string' },
        citizens: { type: 'string' },
        variants: { type: 'string' },
        'free-procedure': { type: 'string' },
        'fee-procedure': { type: 'string' },
        'raw-seconds': { type: 'string' },
        'kafka-records': { type: 'string' },
        'no-raw': { type: 'boolean' },
        'no-doc': { type: 'boolean' },
        'log-level': { type: 'string' },
        'node-args': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0] ?? ''}"`);
  const int = (name: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name} must be an integer ≥ ${min} (got "${raw}")`);
    return v;
  };
  const steps = (values.steps ?? '100,200,400,800,1200,1600').split(',').map((s) => {
    const v = Number(s.trim());
    if (!s.trim() || !Number.isFinite(v) || v <= 0 || v > 10_000) {
      throw new UsageError(`--steps: "${s}" is not a rate in dossiers/s (0 < rate ≤ 10000)`);
    }
    return v;
  });
  const variants = (values.variants ?? 'free,fee').split(',').map((s) => s.trim());
  for (const v of variants) {
    if (v !== 'free' && v !== 'fee') throw new UsageError(`--variants: "${v}" is neither free nor fee`);
  }
  const level = values['log-level'] ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) {
    throw new UsageError(`--log-level must be one of fatal, error, warn, info, debug, trace, silent (got "${level}")`);
  }
  const code = (name: string, raw: string | undefined, fallback: string) => {
    const v = raw ?? fallback;
    if (!/^\d\.\d{6}$/.test(v)) throw new UsageError(`--${name} must be a catalog code like 1.001193 (got "${v}")`);
    return v;
  };
  const nodeArgs = (values['node-args'] ?? '').split(/\s+/).filter(Boolean);
  for (const a of nodeArgs) {
    // Flags only: anything else would be taken by node as the script to run.
    if (!/^--[a-z][a-z0-9-]*(=\S+)?$/.test(a))
      throw new UsageError(`--node-args: "${a}" is not a node flag (--name or --name=value)`);
  }
  return {
    steps,
    stepSeconds: int('step-seconds', values['step-seconds'], 20, 5),
    drainSeconds: int('drain-seconds', values['drain-seconds'], 30, 1),
    maxInFlight: int('max-in-flight', values['max-in-flight'], 256, 1),
    citizens: int('citizens', values.citizens, 200, 1),
    variants: [...new Set(variants)] as Variant[],
    procedures: {
      free: code('free-procedure', values['free-procedure'], '1.001193'),
      fee: code('fee-procedure', values['fee-procedure'], '1.004873'),
    },
    rawSeconds: int('raw-seconds', values['raw-seconds'], 10, 1),
    kafkaRecords: int('kafka-records', values['kafka-records'], 200_000, 1000),
    raw: !values['no-raw'],
    doc: !values['no-doc'],
    logLevel: level,
    nodeArgs,
  };
}

const started = Date.now();
const say = (line: string) => {
  console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (v: number, digits = 0) => Number(v.toFixed(digits));
const LOAD_GENERATOR = 'load generator';

/** Cumulative CPU ms per process group: the sampler's windows integrated, plus this process's own cpuUsage. */
class CpuMeter {
  private total: Record<string, number> = {};
  private last = Date.now();

  constructor(private readonly procs: ProcSampler) {}

  /** Cumulative CPU ms, and the peak resident memory (MB) of each group since the previous reading. */
  read(): { cpuMs: Record<string, number>; peakRssMb: Record<string, number> } {
    const now = Date.now();
    const seconds = (now - this.last) / 1000;
    this.last = now;
    const peakRssMb: Record<string, number> = {};
    for (const [g, s] of Object.entries(this.procs.window())) {
      if (g.startsWith('(')) continue; // the machine: reported as % separately
      this.total[g] = (this.total[g] ?? 0) + (s.cpuPct / 100) * seconds * 1000;
      peakRssMb[g] = round(s.peakRssMb, 1);
    }
    const own = process.cpuUsage();
    peakRssMb[LOAD_GENERATOR] = round(process.memoryUsage.rss() / 2 ** 20, 1);
    return { cpuMs: { ...this.total, [LOAD_GENERATOR]: (own.user + own.system) / 1000 }, peakRssMb };
  }
}

interface Ctx {
  kafka: Kafka;
  adminUrl: string;
  databases: string[];
  topics: string[];
  groups: string[];
  statements: boolean;
  cpu: CpuMeter;
  load: LoadGenerator;
}

async function readCounters(ctx: Ctx): Promise<Counters> {
  const c = new Client({ connectionString: ctx.adminUrl, application_name: 'hoso-bench-counters' });
  await c.connect();
  let pg: Counters['pg'];
  let pgStatements: number | null = null;
  try {
    const r = await c.query<Record<string, string>>(
      `SELECT coalesce(sum(xact_commit), 0)::text AS commits, coalesce(sum(xact_rollback), 0)::text AS rollbacks,
              coalesce(sum(tup_inserted), 0)::text AS ins, coalesce(sum(tup_updated), 0)::text AS upd,
              coalesce(sum(tup_deleted), 0)::text AS del, coalesce(sum(tup_returned), 0)::text AS ret,
              coalesce(sum(tup_fetched), 0)::text AS fet
         FROM pg_stat_database WHERE datname = ANY($1)`,
      [ctx.databases],
    );
    const row = r.rows[0] ?? {};
    const n = (k: string) => Number(row[k] ?? 0);
    pg = {
      commits: n('commits'),
      rollbacks: n('rollbacks'),
      tupInserted: n('ins'),
      tupUpdated: n('upd'),
      tupDeleted: n('del'),
      tupReturned: n('ret'),
      tupFetched: n('fet'),
    };
    if (ctx.statements) {
      const s = await c.query<{ n: string }>(
        `SELECT coalesce(sum(calls), 0)::text AS n FROM pg_stat_statements
          WHERE dbid IN (SELECT oid FROM pg_database WHERE datname = ANY($1))`,
        [ctx.databases],
      );
      pgStatements = Number(s.rows[0]?.n ?? 0);
    }
  } finally {
    await c.end();
  }
  const admin = ctx.kafka.admin();
  await admin.connect();
  let kafkaRecords = 0;
  const kafkaConsumed: Record<string, number> = {};
  try {
    for (const t of ctx.topics) for (const o of await admin.fetchTopicOffsets(t)) kafkaRecords += Number(o.high);
    for (const g of ctx.groups) {
      let n = 0;
      for (const t of await admin.fetchOffsets({ groupId: g, topics: ctx.topics })) {
        for (const p of t.partitions) if (p.offset !== '-1') n += Number(p.offset);
      }
      kafkaConsumed[g] = n;
    }
  } finally {
    await admin.disconnect();
  }
  return {
    http: { submit: ctx.load.submitRequests, payment: ctx.load.paymentRequests },
    pg,
    pgStatements,
    kafkaRecords,
    kafkaConsumed,
    ...ctx.cpu.read(),
  };
}

/**
 * The tables read most and written most in `databases` over the whole run (each database has its own statistics
 * views; the counters are cumulative since each fresh database was created, so they include the idle periods).
 */
async function tableStats(
  urls: string[],
): Promise<{ reads: PipelineResult['seqScans']; writes: PipelineResult['tableWrites'] }> {
  const reads: PipelineResult['seqScans'] = [];
  const writes: PipelineResult['tableWrites'] = [];
  for (const url of urls) {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      const r = await c.query<{
        relname: string;
        seq_scan: string;
        seq_tup_read: string;
        idx_scan: string | null;
        idx_tup_fetch: string | null;
        n_tup_ins: string;
        n_tup_upd: string;
        n_tup_hot_upd: string;
        n_tup_del: string;
      }>(
        `SELECT relname, seq_scan::text, seq_tup_read::text, idx_scan::text, idx_tup_fetch::text,
                n_tup_ins::text, n_tup_upd::text, n_tup_hot_upd::text, n_tup_del::text
           FROM pg_stat_user_tables`,
      );
      const database = new URL(url).pathname.slice(1);
      for (const t of r.rows) {
        reads.push({
          database,
          table: t.relname,
          seqScans: Number(t.seq_scan),
          seqRowsRead: Number(t.seq_tup_read),
          idxScans: Number(t.idx_scan ?? 0),
          idxRowsFetched: Number(t.idx_tup_fetch ?? 0),
        });
        writes.push({
          database,
          table: t.relname,
          inserted: Number(t.n_tup_ins),
          updated: Number(t.n_tup_upd),
          hotUpdated: Number(t.n_tup_hot_upd),
          deleted: Number(t.n_tup_del),
        });
      }
    } finally {
      await c.end();
    }
  }
  return {
    reads: reads.sort((a, b) => b.seqRowsRead + b.idxRowsFetched - (a.seqRowsRead + a.idxRowsFetched)).slice(0, 8),
    writes,
  };
}

/** Each table's writes in `after` less those it had in `before` (the same tables, read twice). */
function writesSince(
  before: PipelineResult['tableWrites'],
  after: PipelineResult['tableWrites'],
): PipelineResult['tableWrites'] {
  const key = (t: { database: string; table: string }) => `${t.database}.${t.table}`;
  const was = new Map(before.map((t) => [key(t), t]));
  const written = (t: PipelineResult['tableWrites'][number]) => t.inserted + t.updated + t.deleted;
  return after
    .map((t) => {
      const b = was.get(key(t));
      return {
        ...t,
        inserted: t.inserted - (b?.inserted ?? 0),
        updated: t.updated - (b?.updated ?? 0),
        hotUpdated: t.hotUpdated - (b?.hotUpdated ?? 0),
        deleted: t.deleted - (b?.deleted ?? 0),
      };
    })
    .filter((t) => written(t) > 0)
    .sort((a, b) => written(b) - written(a))
    .slice(0, 14);
}

/** Whether pg_stat_statements can be used (it needs shared_preload_libraries, which only a restart changes). */
async function tryStatements(adminUrl: string): Promise<{ ok: boolean; source: string }> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await c.query('SELECT count(*) FROM pg_stat_statements');
    return { ok: true, source: 'pg_stat_statements calls' };
  } catch (e) {
    const preload = (await c.query<{ s: string }>('SHOW shared_preload_libraries')).rows[0]?.s ?? '';
    return {
      ok: false,
      source:
        `not counted — pg_stat_statements is unavailable (${e instanceof Error ? e.message : String(e)}; ` +
        `shared_preload_libraries = '${preload}'), so commits and rollbacks (pg_stat_database xact_commit / ` +
        'xact_rollback) and rows written / read (tup_inserted + tup_updated + tup_deleted / tup_returned + tup_fetched) stand in',
    };
  } finally {
    await c.end();
  }
}

function pcts(v: number[], scale = 1): Percentiles {
  const f = (p: number) => {
    const x = percentile(v, p);
    if (x === null) return null;
    return x === Infinity ? Infinity : round(x / scale, scale === 1 ? 0 : 2);
  };
  return { p50: f(50), p95: f(95), p99: f(99) };
}

async function runStep(
  ctx: Ctx & { tap: FlowTap; freshness: MetricsFreshness; idle: PipelineResult['idlePerSec'] },
  variant: Variant,
  rate: number,
  o: PipelineOptions,
): Promise<PipelineStep> {
  await ctx.load.refreshTokens();
  ctx.freshness.window();
  const c0 = await readCounters(ctx);
  const m0 = machineTicks();
  const t0 = Date.now();
  const load = await ctx.load.arrivals(rate, o.stepSeconds, o.procedures[variant], variant === 'fee');
  const t1 = Date.now();
  const m1 = machineTicks();
  const fresh = ctx.freshness.window();
  const c1 = await readCounters(ctx);
  // The drain: until every accepted dossier of the step reached RECEIVED (and the bot has nothing left), or the limit.
  const ids = [...load.sentAt.keys()];
  const deadline = Date.now() + o.drainSeconds * 1000;
  while (Date.now() < deadline) {
    if (ctx.load.pending() === 0 && ids.every((id) => ctx.tap.dossiers.get(id)?.received !== undefined)) break;
    await sleep(200);
  }
  const t2 = Date.now();
  const c2 = await readCounters(ctx);
  const seconds = (t1 - t0) / 1000;
  const warm = Math.min(5, seconds / 4) * 1000;
  const receivedTimes = ids.flatMap((id) => {
    const r = ctx.tap.dossiers.get(id)?.received;
    return r === undefined ? [] : [r];
  });
  const toReceived = ids.map((id) => {
    const r = ctx.tap.dossiers.get(id)?.received;
    return r === undefined ? Infinity : r - (load.sentAt.get(id) ?? r);
  });
  const arrivals = diffCounters(c0, c1);
  const cost = diffCounters(c0, c2);
  const costSeconds = (t2 - t0) / 1000;
  const receivedPerSec = round(rateInWindow(receivedTimes, t0 + warm, t1), 1);
  const submitToReceivedSec = pcts(toReceived, 1000);
  const step: PipelineStep = {
    variant,
    offered: rate,
    seconds: round(seconds, 1),
    scheduled: load.scheduled,
    fired: load.fired,
    refused: load.refused,
    late: load.late,
    accepted: load.accepted,
    httpErrors: load.httpErrors,
    acceptedPerSec: round(load.accepted / seconds, 1),
    receivedPerSec,
    notReceived: toReceived.filter((v) => v === Infinity).length,
    paid: load.paid,
    paymentErrors: load.paymentErrors,
    httpSubmitMs: pcts(load.submitMs),
    submitToReceivedSec,
    metricsStalenessMs: { ...pcts(fresh.samples), n: fresh.samples.length, errors: fresh.errors },
    commitsPerSec: round(arrivals.pg.commits / seconds),
    kafkaRecordsPerSec: round(arrivals.kafkaRecords / seconds),
    costSeconds: round(costSeconds, 1),
    cost,
    perDossier: perDossier(cost, load.accepted, costSeconds, ctx.idle),
    machineCpuPct: m1.total > m0.total ? round(((m1.busy - m0.busy) / (m1.total - m0.total)) * 100) : 0,
    // Two readings span the step (arrivals, drain): each holds the peak since the one before.
    peakRssMb: maxPeaks(c1.peakRssMb, c2.peakRssMb),
    keptUp: false,
    verdict: '',
    errorSamples: load.errors.slice(-3),
  };
  Object.assign(
    step,
    stepVerdict({
      offered: rate,
      receivedPerSec,
      p99ReceivedSec: submitToReceivedSec.p99,
      scheduled: load.scheduled,
      refused: load.refused,
      accepted: load.accepted,
      httpErrors: load.httpErrors,
    }),
  );
  return step;
}

export async function runPipeline(argv: string[]): Promise<number> {
  let o: PipelineOptions;
  try {
    const parsed = parsePipelineArgs(argv);
    if (!parsed) {
      console.log(PIPELINE_USAGE);
      return 0;
    }
    o = parsed;
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}\n\n${PIPELINE_USAGE}`);
    return 2;
  }
  process.chdir(REPO_ROOT);
  const env = parseEnv(infraEnvSchema);
  const runId = `pipeline-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const runDir = join(REPO_ROOT, '.data/bench', runId);
  mkdirSync(runDir, { recursive: true });
  const machine = {
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    cpuModel: cpus()[0]?.model ?? '?',
    loadAverageAtStart: loadavg().map((v) => round(v, 2)),
  };
  say(`machine: ${machine.cpus} cores, ${machine.memoryGiB} GiB, load average ${machine.loadAverageAtStart.join(' ')}`);
  let infra: InfraHandle | null = null;
  let platform: Platform | null = null;
  let tap: FlowTap | null = null;
  let freshness: MetricsFreshness | null = null;
  let procs: ProcSampler | null = null;
  let load: LoadGenerator | null = null;
  const kafka = new Kafka({
    sasl: toolKafkaSasl(),
    clientId: 'hoso-bench-pipeline',
    brokers: env.KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
  });
  try {
    infra = await ensureInfra(REPO_ROOT, (l) => {
      say(`infra ${l.trim()}`);
    });

    // (1) raw limits, before the platform runs, on a quiet machine
    let pgLimits: PgLimits | null = null;
    let kafkaLimits: KafkaLimits | null = null;
    if (o.raw) {
      say(`raw: PostgreSQL, pgbench and node-pg, ${o.rawSeconds} s each …`);
      pgLimits = await measurePgLimits(
        env.DATABASE_URL,
        { seconds: o.rawSeconds, clients: [1, 8, 16], batchClients: 4, batchRows: 1000 },
        say,
      );
      say(`raw: Kafka, perf tools and kafkajs, ${o.kafkaRecords} records of 300 bytes …`);
      kafkaLimits = await measureKafkaLimits(
        kafka,
        env.KAFKA_BROKERS[0] ?? '127.0.0.1:9092',
        { records: o.kafkaRecords, recordBytes: 300, partitions: 6 },
        say,
      );
    }

    // (2) the pipeline
    const prefix = runPrefix('pipe');
    const platformStarted = Date.now();
    platform = await startPlatform({
      infra: false,
      services: BACKEND_SERVICES,
      ports: 'free',
      isolate: { topicPrefix: prefix, cleanup: true },
      dataDir: join(runDir, 'data'),
      logs: { dir: join(runDir, 'logs') },
      logLevel: o.logLevel,
      ...(o.nodeArgs.length ? { nodeArgs: Object.fromEntries(BACKEND_SERVICES.map((x) => [x, o.nodeArgs])) } : {}),
      progress: (l) => {
        say(l.trim());
      },
    });
    const platformSeconds = (Date.now() - platformStarted) / 1000;
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix) && !t.endsWith('.dlq'));
    await admin.disconnect();
    tap = await new FlowTap(kafka, prefix).start();
    freshness = new MetricsFreshness(platform.urls.identity ?? '', platform.urls.metrics ?? '', tap).start();
    const p = platform;
    procs = new ProcSampler(
      () => ({
        ...Object.fromEntries(p.processes.map((x) => [x.name, [x.pid]])),
        kafka: findPids((cmd) => cmd.includes('kafka.Kafka')),
        postgres: findPids((cmd) => /^postgres(:|\s)|\/bin\/postgres(\s|$)/.test(cmd)),
        redis: findPids((cmd) => cmd.startsWith('redis-server')),
      }),
      1000,
      ['postgres'],
    ).start();
    const databases = Object.values(platform.databases).map((u) => new URL(u).pathname.slice(1));
    // Created where the counters are read: the view lists every database's statements from any one of them.
    const statements = await tryStatements(env.DATABASE_URL);
    load = new LoadGenerator(
      {
        identity: platform.urls.identity ?? '',
        intake: platform.urls.intake ?? '',
        payment: platform.urls.payment ?? '',
        paymentGateway: platform.urls['payment-gateway'] ?? '',
        otpDir: platform.otpDir,
      },
      o.maxInFlight,
      tap.dossiers,
    );
    const ctxBase: Ctx = {
      kafka,
      adminUrl: env.DATABASE_URL,
      databases,
      topics,
      groups: Object.values(platform.groupIds),
      statements: statements.ok,
      cpu: new CpuMeter(procs),
      load,
    };

    say(
      `preparing ${o.citizens} citizens: sign-in and prefill of ${o.variants.map((v) => o.procedures[v]).join(', ')}`,
    );
    const prepStarted = Date.now();
    await load.prepare(
      LoadGenerator.registryCitizens(o.citizens),
      o.variants.map((v) => o.procedures[v]),
    );
    const prepareSeconds = round((Date.now() - prepStarted) / 1000, 1);
    say(`  prepared in ${prepareSeconds} s`);

    // The platform's own cost with no dossier moving (relays and consumers polling, health, the metrics sampler).
    const idleSeconds = 10;
    say(`idle: ${idleSeconds} s with no load`);
    const i0 = await readCounters(ctxBase);
    await sleep(idleSeconds * 1000);
    const i1 = await readCounters(ctxBase);
    const idleDiff = diffCounters(i0, i1);
    const idleS = (n: number) => round(n / idleSeconds, 2);
    const idle: PipelineResult['idlePerSec'] = {
      commits: idleS(idleDiff.pg.commits),
      kafkaRecords: idleS(idleDiff.kafkaRecords),
      kafkaConsumed: idleS(Object.values(idleDiff.kafkaConsumed).reduce((s, v) => s + v, 0)),
      cpuMs: Object.fromEntries(Object.entries(idleDiff.cpuMs).map(([k, v]) => [k, idleS(v)])),
    };
    say(`  idle: ${idle.commits} commits/s, ${idle.kafkaRecords} Kafka records/s`);

    // The writes of the sign-ins, prefills and registry seed before the steps are not the steps' own.
    const tablesBefore = await tableStats(Object.values(platform.databases));
    const steps: PipelineStep[] = [];
    for (const variant of o.variants) {
      for (const rate of o.steps) {
        say(`${variant}: ${rate} dossiers/s for ${o.stepSeconds} s`);
        const step = await runStep({ ...ctxBase, tap, freshness, idle }, variant, rate, o);
        steps.push(step);
        say(
          `  fired ${step.fired} (refused ${step.refused}, late ${step.late}), accepted ${step.acceptedPerSec}/s, ` +
            `RECEIVED ${step.receivedPerSec}/s, p99 submit→RECEIVED ${String(step.submitToReceivedSec.p99)} s, ` +
            `machine CPU ${step.machineCpuPct} %; per dossier ${step.perDossier.commits.toFixed(1)} commits, ` +
            `${step.perDossier.cpuMsTotal.toFixed(0)} CPU ms; ${step.verdict}`,
        );
        if (!step.keptUp) break;
      }
      // Let what is still in flight end before the next variant, so it does not pay for this one's backlog.
      const deadline = Date.now() + o.drainSeconds * 1000;
      while (Date.now() < deadline && load.pending() > 0) await sleep(200);
    }

    const raw = { postgres: pgLimits, kafka: kafkaLimits };
    const tables = await tableStats(Object.values(platform.databases));
    const dossiersAccepted = steps.reduce((n, st) => n + st.accepted, 0);
    const result: PipelineResult = {
      date: new Date().toISOString(),
      machine,
      options: {
        steps: o.steps,
        stepSeconds: o.stepSeconds,
        drainSeconds: o.drainSeconds,
        maxInFlight: o.maxInFlight,
        citizens: o.citizens,
        variants: o.variants,
        procedures: o.procedures,
      },
      sqlSource: statements.source,
      raw,
      platform: {
        startSeconds: round(platformSeconds, 1),
        topicPrefix: prefix,
        logLevel: o.logLevel,
        nodeArgs: o.nodeArgs,
        prepareSeconds,
      },
      idlePerSec: idle,
      idleRssMb: i1.peakRssMb,
      steps,
      seqScans: tables.reads,
      tableWrites: writesSince(tablesBefore.writes, tables.writes),
      dossiersAccepted,
      sustained: Object.fromEntries(o.variants.map((v) => [v, sustainedOf(steps, v, raw)])),
      elapsedSec: 0,
    };
    result.elapsedSec = round((Date.now() - started) / 1000);
    const md = await formatMarkdown(renderPipelineMarkdown(result));
    writeRunFiles(runId, result, md);
    if (o.doc) await updatePipelineSection(join(REPO_ROOT, 'docs/performance.md'), md);
    console.log(`\n${md}`);
    say(`wrote .data/bench/${runId}.json and .md${o.doc ? ', and the Pipeline section of docs/performance.md' : ''}`);
    return 0;
  } finally {
    load?.stop();
    freshness?.stop();
    procs?.stop();
    await tap?.stop().catch(() => undefined);
    if (platform) {
      const r = await platform.stop();
      say(`stopped ${r.stopped} processes; dropped the run's databases and topics`);
    }
    if (infra) await infra.stop();
    say(`elapsed ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  }
}

if (require.main === module) {
  runPipeline(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
