/**
 * `npm run bench`: in one run on this machine,
 *   (1) the raw limits: kafkajs produce+consume events/s; PostgreSQL single-row commits/s (concurrent clients)
 *       and batched multi-row insert rows/s;
 *   (2) the whole flow at stepped arrival rates on a fresh, isolated platform (own topics, consumer groups and
 *       databases; services from the tsc build), officer and citizen bots with zero think time, until a step no
 *       longer keeps up; per step: achieved rates, HTTP submit latency, submit → RECEIVED / COMPLETED and per-hop
 *       latency from event timestamps, consumer lag, CPU and peak RSS per process, what PostgreSQL's busy
 *       backends wait on, errors, and a CPU profile of every service;
 * then the sustained maximum and its ratio to the raw limits. Writes .data/bench/<timestamp>.json and .md and
 * the "End-to-end flow" section of docs/performance.md.
 */
import { mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { infraEnvSchema, parseEnv, toolKafkaSasl } from '@hoso/config';
import { consumerLag } from '@hoso/messaging';
import { createHarness } from '@hoso/messaging/testing';
import {
  BACKEND_SERVICES,
  ensureInfra,
  findPids,
  MACHINE,
  ProcSampler,
  readProfile,
  REPO_ROOT,
  runPrefix,
  startPlatform,
  summariseProfile,
  type GroupStats,
  type InfraHandle,
  type Platform,
  type ProfileSummary,
} from '@hoso/platform';
import { DEFAULT_CONFIG_FILE, loadSimulatorConfig, Simulator, type SimulatorConfig } from '@hoso/simulator';
import { FlowTap, HOPS, percentile } from './flow-tap';
import { MetricsFreshness } from './metrics-freshness';
import { rawKafka, rawPostgres, type PostgresLimits, type Throughput } from './raw-limits';
import {
  formatMarkdown,
  renderMarkdown,
  updatePerformanceDoc,
  writeRunFiles,
  type BenchResult,
  type StepResult,
} from './bench-report';

const USAGE = `usage: npm run bench [-- options]

  --steps A,B,…        offered arrival rates in dossiers/s, tried in order until one does not keep up
                       (default 2,5,10,25,50,100,200,400,800,1600)
  --step-seconds N     arrivals per step, seconds (default 30)
  --drain-seconds N    after arrivals, how long the dossiers in flight may take to end (default 30)
  --concurrency N      the simulator's HTTP requests in flight (default 128)
  --log-level L        the services' LOG_LEVEL (default info)
  --no-profile         no CPU profiles of the services
  --quick              a smoke run: steps 2,5 of 10 s, small raw measurements
  --pipeline           the pipeline benchmark instead (npm run bench -- --pipeline --help)
  --replay             the metrics replay benchmark instead (npm run bench -- --replay --help)
  -h, --help`;

class UsageError extends Error {}

function parseOptions(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      steps: { type: 'string' },
      'step-seconds': { type: 'string' },
      'drain-seconds': { type: 'string' },
      concurrency: { type: 'string' },
      'log-level': { type: 'string' },
      'no-profile': { type: 'boolean' },
      quick: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0] ?? ''}"`);
  const quick = values.quick ?? false;
  const int = (name: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name} must be an integer ≥ ${min} (got "${raw}")`);
    return v;
  };
  const steps = (values.steps ?? (quick ? '2,5' : '2,5,10,25,50,100,200,400,800,1600')).split(',').map((s) => {
    const v = Number(s.trim());
    if (!Number.isFinite(v) || v <= 0 || v > 10_000) {
      throw new UsageError(`--steps: "${s}" is not a rate in dossiers/s (0 < rate ≤ 10000)`);
    }
    return v;
  });
  const level = values['log-level'] ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) {
    throw new UsageError(`--log-level must be one of fatal, error, warn, info, debug, trace, silent (got "${level}")`);
  }
  return {
    steps,
    stepSeconds: int('step-seconds', values['step-seconds'], quick ? 10 : 30, 5),
    drainSeconds: int('drain-seconds', values['drain-seconds'], quick ? 20 : 30, 5),
    concurrency: int('concurrency', values.concurrency, 128, 1),
    logLevel: level,
    profile: !values['no-profile'],
    quick,
  };
}
type Options = NonNullable<ReturnType<typeof parseOptions>>;

/** Toggles the CPU profiler of tools/platform/runtime/cpu-profile.cjs (see there why this signal). */
const PROFILE_SIGNAL = 'SIGWINCH';

const started = Date.now();
const stamp = () => `[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s]`;
const say = (line: string) => {
  console.log(`${stamp()} ${line}`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (v: number | null, digits = 0) => (v === null ? null : Number(v.toFixed(digits)));

/** Largest total lag per consumer group while running; sampled every 2 s. */
class LagSampler {
  private max = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly groups: string[],
    private readonly topics: string[],
  ) {}

  start(): this {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      void this.sample().finally(() => {
        this.busy = false;
      });
    }, 2000);
    return this;
  }

  private async sample(): Promise<void> {
    for (const g of this.groups) {
      try {
        const lags = await consumerLag(this.kafka, g, this.topics);
        const total = lags.filter((l) => l.committed !== '-1').reduce((s, l) => s + l.lag, 0);
        this.max.set(g, Math.max(this.max.get(g) ?? 0, total));
      } catch {
        // a rebalance or a busy broker: the next sample counts
      }
    }
  }

  /** Per group, the largest lag since the previous call. */
  window(): Record<string, number> {
    const out = Object.fromEntries(this.max);
    this.max = new Map();
    return out;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/**
 * What PostgreSQL's active backends of the run's databases wait on, sampled every second from pg_stat_activity:
 * "IO:WALSync" or "LWLock:WALWrite" means commits wait for the disk; "Lock:…" row or advisory locks; none (null) is CPU.
 */
class WaitSampler {
  private counts = new Map<string, number>();
  private samples = 0;
  private timer: NodeJS.Timeout | null = null;
  private client: Client | null = null;

  constructor(
    private readonly adminUrl: string,
    private readonly databases: string[],
  ) {}

  async start(): Promise<this> {
    this.client = new Client({ connectionString: this.adminUrl, application_name: 'hoso-bench-waits' });
    await this.client.connect();
    this.timer = setInterval(() => {
      void this.sample();
    }, 1000);
    return this;
  }

  private async sample(): Promise<void> {
    if (!this.client) return;
    try {
      const res = await this.client.query<{ w: string; n: string }>(
        `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU (no wait)') AS w, count(*)::text AS n
           FROM pg_stat_activity WHERE datname = ANY($1) AND state = 'active' AND pid <> pg_backend_pid() GROUP BY 1`,
        [this.databases],
      );
      this.samples++;
      for (const r of res.rows) this.counts.set(r.w, (this.counts.get(r.w) ?? 0) + Number(r.n));
    } catch {
      // the next sample counts
    }
  }

  /** Mean number of active backends per wait event since the previous call, largest first. */
  window(): { event: string; backends: number }[] {
    const out = [...this.counts.entries()]
      .map(([event, n]) => ({ event, backends: Math.round((n / Math.max(1, this.samples)) * 100) / 100 }))
      .sort((a, b) => b.backends - a.backends);
    this.counts = new Map();
    this.samples = 0;
    return out;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.client?.end().catch(() => undefined);
  }
}

async function commitsOf(adminUrl: string, databases: string[]): Promise<number> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const res = await c.query<{ n: string }>(
      'SELECT coalesce(sum(xact_commit), 0)::text AS n FROM pg_stat_database WHERE datname = ANY($1)',
      [databases],
    );
    return Number(res.rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

async function messagesOn(kafka: Kafka, topics: string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let n = 0;
    for (const t of topics) for (const o of await admin.fetchTopicOffsets(t)) n += Number(o.high);
    return n;
  } finally {
    await admin.disconnect();
  }
}

/** Waits for the profile the preload writes after the second signal. */
async function awaitProfile(dir: string, name: string, n: number): Promise<ProfileSummary | null> {
  const file = join(dir, `${name}-${n}.cpuprofile`);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      return summariseProfile(readProfile(file));
    } catch {
      await sleep(250);
    }
  }
  return null;
}

function processGroups(platform: Platform): () => Record<string, readonly number[]> {
  return () => ({
    ...Object.fromEntries(platform.processes.map((p) => [p.name, [p.pid]])),
    kafka: findPids((cmd) => cmd.includes('kafka.Kafka')),
    postgres: findPids((cmd) => /^postgres(:|\s)|\/bin\/postgres(\s|$)/.test(cmd)),
    redis: findPids((cmd) => cmd.startsWith('redis-server')),
    'bench (simulator + tap)': [process.pid],
  });
}

/** The bench population: every applicant verifies and every fee is paid, so every dossier should reach RECEIVED. */
function benchConfig(base: SimulatorConfig): SimulatorConfig {
  return { ...base, identity: { failureRate: 0 }, payment: { ...base.payment, abandonRate: 0 } };
}

async function runStep(
  i: number,
  rate: number,
  o: Options,
  ctx: {
    platform: Platform;
    config: SimulatorConfig;
    tap: FlowTap;
    freshness: MetricsFreshness;
    lag: LagSampler;
    procs: ProcSampler;
    kafka: Kafka;
    topics: string[];
    databases: string[];
    adminUrl: string;
    waits: WaitSampler;
    profileDir: string | null;
  },
): Promise<StepResult> {
  const { platform } = ctx;
  const u = platform.urls;
  const sim = new Simulator(
    {
      identity: u.identity ?? '',
      intake: u.intake ?? '',
      payment: u.payment ?? '',
      paymentGateway: u['payment-gateway'] ?? '',
      caseTracking: u['case-tracking'] ?? '',
      metrics: u.metrics ?? '',
      otpDir: platform.otpDir,
    },
    {
      config: ctx.config,
      rate,
      durationSec: o.stepSeconds,
      seed: 1000 + i,
      officerThinkMs: 0,
      citizenThinkMs: 0,
      concurrency: o.concurrency,
    },
  );
  const ids = new Set<string>();
  sim.events.on('submitted', (e) => ids.add(e.dossierId));
  sim.events.on('error', () => undefined);
  sim.start();
  await sim.ready();
  const tStart = Date.now();
  ctx.procs.window();
  ctx.lag.window();
  ctx.freshness.window();
  const commits0 = await commitsOf(ctx.adminUrl, ctx.databases);
  const messages0 = await messagesOn(ctx.kafka, ctx.topics);
  ctx.waits.window();
  // The preload of every service starts its CPU profiler on this signal and writes the profile on the next.
  const profiled = ctx.profileDir ? platform.managed.filter((p) => p.signal(PROFILE_SIGNAL)) : [];
  say(`step ${i + 1}: ${rate} dossiers/s for ${o.stepSeconds} s${profiled.length ? ' (services profiled)' : ''}`);
  await sleep(o.stepSeconds * 1000);
  sim.stopArrivals();
  const tEnd = Date.now();
  for (const p of profiled) p.signal(PROFILE_SIGNAL);
  const waits = ctx.waits.window();
  const fresh = ctx.freshness.window();
  const commits1 = await commitsOf(ctx.adminUrl, ctx.databases);
  const messages1 = await messagesOn(ctx.kafka, ctx.topics);
  const cpu = ctx.procs.window();
  let drainError: string | null = null;
  await sim.drain(o.drainSeconds * 1000).catch((e: unknown) => {
    drainError = e instanceof Error ? e.message.slice(0, 300) : String(e);
  });
  const tDrained = Date.now();
  // Let the tap read the last events of the drained dossiers.
  await sleep(1500);
  const stats = sim.stats();
  await sim.stop();
  const lag = ctx.lag.window();
  const profiles: StepResult['profiles'] = {};
  for (const p of profiled) {
    const summary = ctx.profileDir ? await awaitProfile(ctx.profileDir, p.name, i + 1) : null;
    if (summary) profiles[p.name] = summary;
  }

  const seconds = (tEnd - tStart) / 1000;
  const warm = Math.min(5, seconds / 4);
  const inWindow = (list: number[]) =>
    list.filter((t) => t >= tStart + warm * 1000 && t <= tEnd).length / (seconds - warm);
  const mine = [...ids].map((id) => ctx.tap.dossiers.get(id) ?? {});
  const eligible = mine.filter((d) => d.identityRejected === undefined);
  const toReceived = eligible.map((d) =>
    d.received !== undefined && d.submitted !== undefined ? d.received - d.submitted : Infinity,
  );
  const toCompleted = eligible.map((d) =>
    d.completed !== undefined && d.submitted !== undefined ? d.completed - d.submitted : Infinity,
  );
  const pcts = (v: number[], scale = 1) => ({
    p50: round(ms(percentile(v, 50), scale), scale === 1 ? 0 : 2),
    p95: round(ms(percentile(v, 95), scale), scale === 1 ? 0 : 2),
    p99: round(ms(percentile(v, 99), scale), scale === 1 ? 0 : 2),
  });
  const hops = Object.fromEntries(
    Object.entries(HOPS).map(([name, f]) => {
      const v = mine.map(f).filter((x): x is number => x !== undefined);
      return [name, { n: v.length, ...pcts(v) }];
    }),
  );
  const received = inWindow(ctx.tap.receivedAt);
  const completed = inWindow(ctx.tap.completedAt);
  const errors = stats.counts.errors;
  const submitted = stats.counts.submitted;
  const step: StepResult = {
    offered: rate,
    seconds: round(seconds, 1) ?? 0,
    submitted,
    submittedPerSec: round(submitted / seconds, 1) ?? 0,
    receivedPerSec: round(received, 1) ?? 0,
    completedPerSec: round(completed, 1) ?? 0,
    notReceived: toReceived.filter((v) => v === Infinity).length,
    notCompleted: toCompleted.filter((v) => v === Infinity).length,
    httpSubmitMs: pcts(stats.submitLatencyMs),
    submitToReceivedSec: pcts(toReceived, 1000),
    submitToCompletedSec: pcts(toCompleted, 1000),
    hopsMs: hops,
    metricsStalenessMs: {
      ...pcts(fresh.samples),
      max: fresh.samples.length ? Math.max(...fresh.samples) : null,
      n: fresh.samples.length,
      errors: fresh.errors,
    },
    maxLag: lag,
    maxLagTotal: Object.values(lag).reduce((s, v) => Math.max(s, v), 0),
    cpu: Object.fromEntries(
      Object.entries(cpu).map(([k, v]: [string, GroupStats]) => [
        k,
        { cpuPct: round(v.cpuPct) ?? 0, cpuPctMax: round(v.cpuPctMax) ?? 0, peakRssMb: round(v.peakRssMb) ?? 0 },
      ]),
    ),
    dbCommitsPerSec: round((commits1 - commits0) / seconds) ?? 0,
    kafkaEventsPerSec: round((messages1 - messages0) / seconds) ?? 0,
    errors,
    errorSamples: stats.lastErrors.slice(-3).map((e) => `${e.where}: ${e.message.slice(0, 200)}`),
    drainError,
    drainSeconds: round((tDrained - tEnd) / 1000, 1) ?? 0,
    pgWaits: waits.slice(0, 8),
    profiles,
    keptUp: false,
    verdict: '',
  };
  const p99 = step.submitToReceivedSec.p99;
  const reasons = [
    step.receivedPerSec < 0.9 * rate ? `RECEIVED ${step.receivedPerSec}/s < 90 % of ${rate}/s` : '',
    p99 === null || p99 > 5
      ? `p99 submit→RECEIVED ${p99 === null ? 'n/a' : p99 === Infinity ? '∞ (not all received)' : `${p99} s`} > 5 s`
      : '',
    submitted > 0 && errors / submitted > 0.01 ? `errors ${errors}/${submitted} > 1 %` : '',
    submitted === 0 ? 'nothing submitted' : '',
  ].filter(Boolean);
  step.keptUp = reasons.length === 0;
  step.verdict = step.keptUp ? 'kept up' : reasons.join('; ');
  return step;
}

function ms(v: number | null, scale: number): number | null {
  if (v === null) return null;
  return v === Infinity ? Infinity : v / scale;
}

async function main(): Promise<number> {
  let o: Options;
  try {
    const parsed = parseOptions(process.argv.slice(2));
    if (!parsed) {
      console.log(USAGE);
      return 0;
    }
    o = parsed;
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return 2;
  }
  process.chdir(REPO_ROOT);
  const env = parseEnv(infraEnvSchema);
  const runId = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = join(REPO_ROOT, '.data/bench', runId);
  mkdirSync(runDir, { recursive: true });
  const machine = {
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    cpuModel: cpus()[0]?.model ?? '?',
    loadAverageAtStart: loadavg().map((v) => round(v, 2) ?? 0),
  };
  say(`machine: ${machine.cpus} cores, ${machine.memoryGiB} GiB, load average ${machine.loadAverageAtStart.join(' ')}`);
  let infra: InfraHandle | null = null;
  let platform: Platform | null = null;
  let tap: FlowTap | null = null;
  let freshness: MetricsFreshness | null = null;
  let lag: LagSampler | null = null;
  let procs: ProcSampler | null = null;
  try {
    infra = await ensureInfra(REPO_ROOT, (l) => {
      say(`infra ${l.trim()}`);
    });

    // (1) raw limits
    const rawEvents = o.quick ? 20_000 : 100_000;
    say(`raw: kafkajs produce+consume, ${rawEvents} events …`);
    const h = await createHarness();
    let kafkaRaw: Throughput;
    try {
      kafkaRaw = await rawKafka(h, rawEvents);
    } finally {
      await h.close();
    }
    say(`raw: kafkajs ${kafkaRaw.perSecond.toFixed(0)} events/s`);
    const pgOpts = { seconds: o.quick ? 2 : 5, clients: 16, batchClients: 4, batchRows: 1000 };
    say(
      `raw: PostgreSQL single-row commits (${pgOpts.clients} clients) and batched inserts (${pgOpts.batchClients} × ${pgOpts.batchRows} rows), ${pgOpts.seconds} s each …`,
    );
    const pgRaw: PostgresLimits = await rawPostgres(env.DATABASE_URL, pgOpts);
    say(
      `raw: PostgreSQL ${pgRaw.singleRowCommits.perSecond.toFixed(0)} commits/s, ${pgRaw.batchedRows.perSecond.toFixed(0)} rows/s batched`,
    );

    // (2) the flow
    const prefix = runPrefix('bench');
    const profileDir = join(runDir, 'profiles');
    const platformStarted = Date.now();
    const preload = join(REPO_ROOT, 'tools/platform/runtime/cpu-profile.cjs');
    platform = await startPlatform({
      infra: false,
      services: BACKEND_SERVICES,
      ports: 'free',
      isolate: { topicPrefix: prefix, cleanup: true },
      dataDir: join(runDir, 'data'),
      logs: { dir: join(runDir, 'logs') },
      logLevel: o.logLevel,
      nodeArgs: Object.fromEntries(BACKEND_SERVICES.map((s) => [s, o.profile ? ['-r', preload] : []])),
      serviceEnv: Object.fromEntries(
        BACKEND_SERVICES.map((s) => [s, { HOSO_CPU_PROFILE_DIR: profileDir, HOSO_CPU_PROFILE_NAME: s }]),
      ),
      progress: (l) => {
        say(l.trim());
      },
    });
    const platformSeconds = (Date.now() - platformStarted) / 1000;
    const kafka = new Kafka({
      sasl: toolKafkaSasl(),
      clientId: 'hoso-bench',
      brokers: env.KAFKA_BROKERS,
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix) && !t.endsWith('.dlq'));
    await admin.disconnect();
    tap = await new FlowTap(kafka, prefix).start();
    freshness = new MetricsFreshness(platform.urls.identity ?? '', platform.urls.metrics ?? '', tap).start();
    lag = new LagSampler(kafka, Object.values(platform.groupIds), topics).start();
    procs = new ProcSampler(processGroups(platform), 1000, ['postgres']).start();
    const databases = Object.values(platform.databases).map((u) => new URL(u).pathname.slice(1));
    const config = benchConfig(loadSimulatorConfig(DEFAULT_CONFIG_FILE));

    // The platform's own cost with no dossier moving (relays and consumers polling, health, metrics sampling).
    const idleSeconds = o.quick ? 5 : 10;
    say(`idle: ${idleSeconds} s with no load`);
    procs.window();
    await sleep(idleSeconds * 1000);
    const idle = Object.fromEntries(
      Object.entries(procs.window()).map(([k, v]) => [
        k,
        { cpuPct: round(v.cpuPct) ?? 0, peakRssMb: round(v.peakRssMb) ?? 0 },
      ]),
    );
    say(`  machine CPU ${idle[MACHINE]?.cpuPct ?? '?'} % with no load`);
    const steps: StepResult[] = [];
    const waits = await new WaitSampler(env.DATABASE_URL, databases).start();
    let hottest: string | null = null;
    for (const [i, rate] of o.steps.entries()) {
      const step = await runStep(i, rate, o, {
        platform,
        config,
        tap,
        freshness,
        lag,
        procs,
        kafka,
        topics,
        databases,
        adminUrl: env.DATABASE_URL,
        waits,
        profileDir: o.profile ? profileDir : null,
      });
      steps.push(step);
      hottest =
        Object.entries(step.cpu)
          .filter(([k]) => (BACKEND_SERVICES as readonly string[]).includes(k))
          .sort((a, b) => b[1].cpuPct - a[1].cpuPct)[0]?.[0] ?? null;
      say(
        `  submitted ${step.submittedPerSec}/s, RECEIVED ${step.receivedPerSec}/s, COMPLETED ${step.completedPerSec}/s; ` +
          `submit→RECEIVED p99 ${String(step.submitToReceivedSec.p99)} s; machine CPU ${step.cpu[MACHINE]?.cpuPct ?? '?'} %; ` +
          `hottest ${hottest ?? '?'} ${hottest ? (step.cpu[hottest]?.cpuPct ?? '?') : ''} %; ${step.verdict}`,
      );
      if (!step.keptUp) break;
    }
    await waits.stop();

    const kept = steps.filter((s) => s.keptUp);
    const best = kept[kept.length - 1] ?? null;
    const result: BenchResult = {
      date: new Date().toISOString(),
      machine,
      options: o,
      raw: { kafka: kafkaRaw, postgres: pgRaw },
      platform: {
        startSeconds: round(platformSeconds, 1) ?? 0,
        runtime: 'build',
        topicPrefix: prefix,
        logLevel: o.logLevel,
      },
      idle,
      steps,
      sustained: best
        ? {
            offered: best.offered,
            receivedPerSec: best.receivedPerSec,
            kafkaEventsPerSec: best.kafkaEventsPerSec,
            dbCommitsPerSec: best.dbCommitsPerSec,
            kafkaRatio: best.kafkaEventsPerSec / kafkaRaw.perSecond,
            commitRatio: best.dbCommitsPerSec / pgRaw.singleRowCommits.perSecond,
          }
        : null,
      elapsedSec: 0,
    };
    result.elapsedSec = round((Date.now() - started) / 1000) ?? 0;
    const md = await formatMarkdown(renderMarkdown(result));
    writeRunFiles(runId, result, md);
    if (!o.quick) await updatePerformanceDoc(join(REPO_ROOT, 'docs/performance.md'), md);
    console.log(`\n${md}`);
    say(`wrote .data/bench/${runId}.json and .md${o.quick ? '' : ', and docs/performance.md'}`);
    return 0;
  } finally {
    freshness?.stop();
    lag?.stop();
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

/** The metrics replay bench lives with the metrics service (it drives its replay code): run as its own process. */
function runReplayBench(argv: string[]): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(__dirname, '../../apps/metrics/src/replay/replay.bench.ts'), ...argv],
    { stdio: 'inherit' },
  );
  return new Promise((done) => {
    child.on('exit', (code) => {
      done(code ?? 1);
    });
  });
}

// `--pipeline`: the pipeline benchmark (test/bench/pipeline.ts); `--replay`: the metrics replay one.
const argv = process.argv.slice(2);
(argv.includes('--pipeline')
  ? import('./pipeline').then((m) => m.runPipeline(argv.filter((a) => a !== '--pipeline')))
  : argv.includes('--replay')
    ? runReplayBench(argv)
    : main()
).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
