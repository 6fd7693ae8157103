/**
 * The pipeline benchmark's result (`npm run bench:pipeline`): its shape, the pure arithmetic (step verdicts,
 * per-dossier costs net of the idle platform, ratios to the raw limits), its Markdown, and its section of
 * docs/performance.md (between the pipeline markers; the rest of the document is left alone).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { formatMarkdown, type Percentiles } from './bench-report';
import type { KafkaLimits } from './kafka-tools';
import type { PgLimits, PgRun } from './pg-limits';

export type Variant = 'free' | 'fee';

export const VARIANT_LABEL: Record<Variant, string> = {
  free: 'fee-free procedure',
  fee: 'fee procedure, paid by the checkout bot',
};

/** Counters read at the start and at the end of a window; their difference is what the window cost. */
export interface Counters {
  /** HTTP requests the load generator sent (submissions; payment: intent read, checkout, page, pay). */
  http: { submit: number; payment: number };
  /** pg_stat_database of the run's databases. */
  pg: {
    commits: number;
    rollbacks: number;
    tupInserted: number;
    tupUpdated: number;
    tupDeleted: number;
    tupReturned: number;
    tupFetched: number;
  };
  /** pg_stat_statements calls, when the extension could be used (null: not available). */
  pgStatements: number | null;
  /** Records appended to the run's topics (sum of the partitions' end offsets). */
  kafkaRecords: number;
  /** Per consumer group, records consumed and committed (sum of the committed offsets). */
  kafkaConsumed: Record<string, number>;
  /** CPU ms per process group. */
  cpuMs: Record<string, number>;
  /**
   * Highest resident memory per process group since the previous reading (MB; PostgreSQL: private memory of its
   * processes plus shared memory once). Not a running total: `diffCounters` keeps the later reading's.
   */
  peakRssMb: Record<string, number>;
}

export interface PerDossier {
  httpRequests: number;
  sqlStatements: number | null;
  commits: number;
  rollbacks: number;
  tuplesWritten: number;
  tuplesRead: number;
  kafkaRecords: number;
  kafkaConsumed: number;
  cpuMs: Record<string, number>;
  cpuMsTotal: number;
}

export interface PipelineStep {
  variant: Variant;
  offered: number;
  /** Arrival window, s. */
  seconds: number;
  /** Arrivals the schedule called for, fired, refused (the in-flight cap was reached), fired > 100 ms late. */
  scheduled: number;
  fired: number;
  refused: number;
  late: number;
  accepted: number;
  httpErrors: number;
  acceptedPerSec: number;
  /** RECEIVED events of the step's dossiers per second over the arrival window after the warm-up. */
  receivedPerSec: number;
  notReceived: number;
  /** Fee variant: dossiers whose fee was paid by the bot (the others were waived). */
  paid: number;
  paymentErrors: number;
  httpSubmitMs: Percentiles;
  submitToReceivedSec: Percentiles;
  metricsStalenessMs: Percentiles & { n: number; errors: number };
  /** Over the arrival window: commits/s and Kafka records/s in the run's databases and topics. */
  commitsPerSec: number;
  kafkaRecordsPerSec: number;
  /** From the first arrival to the end of the drain: what the step's dossiers cost in all. */
  costSeconds: number;
  cost: Counters;
  perDossier: PerDossier;
  machineCpuPct: number;
  /** Highest resident memory per process group from the first arrival to the end of the drain, MB. */
  peakRssMb: Record<string, number>;
  keptUp: boolean;
  verdict: string;
  errorSamples: string[];
}

export interface PipelineResult {
  date: string;
  machine: { cpus: number; memoryGiB: number; node: string; cpuModel: string; loadAverageAtStart: number[] };
  options: {
    steps: number[];
    stepSeconds: number;
    drainSeconds: number;
    maxInFlight: number;
    citizens: number;
    variants: Variant[];
    procedures: Record<Variant, string>;
  };
  /** What "SQL statements" is: pg_stat_statements, or its absence and why. */
  sqlSource: string;
  raw: { postgres: PgLimits | null; kafka: KafkaLimits | null };
  platform: {
    startSeconds: number;
    topicPrefix: string;
    logLevel: string;
    /** Extra node flags of every service (none: empty). */
    nodeArgs?: string[];
    prepareSeconds: number;
  };
  /** Per second with no load: commits, Kafka records, CPU ms per process group. */
  idlePerSec: { commits: number; kafkaRecords: number; kafkaConsumed: number; cpuMs: Record<string, number> };
  /** Highest resident memory per process group over the idle measurement (after the citizens' preparation), MB. */
  idleRssMb: Record<string, number>;
  steps: PipelineStep[];
  /** The tables read most by sequential scans over the whole run (pg_stat_user_tables of the run's databases). */
  seqScans: {
    database: string;
    table: string;
    seqScans: number;
    seqRowsRead: number;
    idxScans: number;
    idxRowsFetched: number;
  }[];
  /** The tables written most from the first step on (pg_stat_user_tables: rows inserted, updated, deleted). */
  tableWrites: {
    database: string;
    table: string;
    inserted: number;
    updated: number;
    /** Of `updated`, those that needed no index entry (heap-only). */
    hotUpdated: number;
    deleted: number;
  }[];
  /** Dossiers accepted over every step of every variant (the divisor of the per-dossier table writes). */
  dossiersAccepted: number;
  sustained: Partial<Record<Variant, Sustained | null>>;
  elapsedSec: number;
}

export interface Sustained {
  offered: number;
  receivedPerSec: number;
  commitsPerSec: number;
  kafkaRecordsPerSec: number;
  /** Ratios to the raw limits (null when that limit was not measured). */
  ratios: {
    commitsToPgbench16: number | null;
    commitsToNodePg16: number | null;
    recordsToKafkaPerf: number | null;
    recordsToKafkajs: number | null;
  };
}

/** The stop rule: a step keeps up when RECEIVED ≥ 90 % of the offered rate and p99 submit→RECEIVED ≤ 5 s. */
export function stepVerdict(s: {
  offered: number;
  receivedPerSec: number;
  p99ReceivedSec: number | null;
  scheduled: number;
  refused: number;
  accepted: number;
  httpErrors: number;
}): { keptUp: boolean; verdict: string } {
  const p99 = s.p99ReceivedSec;
  const reasons = [
    s.receivedPerSec < 0.9 * s.offered ? `RECEIVED ${s.receivedPerSec}/s < 90 % of ${s.offered}/s` : '',
    p99 === null || p99 > 5
      ? `p99 submit→RECEIVED ${p99 === null ? 'n/a' : p99 === Infinity ? '∞ (not all received)' : `${p99} s`} > 5 s`
      : '',
    s.scheduled > 0 && s.refused / s.scheduled > 0.01
      ? `${s.refused}/${s.scheduled} arrivals refused (in-flight cap)`
      : '',
    s.accepted + s.httpErrors > 0 && s.httpErrors / (s.accepted + s.httpErrors) > 0.01
      ? `HTTP errors ${s.httpErrors}/${s.accepted + s.httpErrors} > 1 %`
      : '',
    s.accepted === 0 ? 'nothing accepted' : '',
  ].filter(Boolean);
  return { keptUp: reasons.length === 0, verdict: reasons.length ? reasons.join('; ') : 'kept up' };
}

/** Arrivals due by `elapsedMs` at `rate`/s (evenly spaced: the i-th at i / rate s). */
export function arrivalsDue(elapsedMs: number, rate: number): number {
  return elapsedMs < 0 ? 0 : Math.floor((elapsedMs / 1000) * rate) + 1;
}

/** Events per second among `times` that fall in [from, to]. */
export function rateInWindow(times: readonly number[], from: number, to: number): number {
  if (to <= from) return 0;
  return times.filter((t) => t >= from && t <= to).length / ((to - from) / 1000);
}

/** `end − start` of every counter. */
export function diffCounters(start: Counters, end: Counters): Counters {
  const sub = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(Object.keys({ ...a, ...b }).map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)]));
  return {
    http: { submit: end.http.submit - start.http.submit, payment: end.http.payment - start.http.payment },
    pg: sub(start.pg, end.pg) as Counters['pg'],
    pgStatements:
      start.pgStatements === null || end.pgStatements === null ? null : end.pgStatements - start.pgStatements,
    kafkaRecords: end.kafkaRecords - start.kafkaRecords,
    kafkaConsumed: sub(start.kafkaConsumed, end.kafkaConsumed),
    cpuMs: sub(start.cpuMs, end.cpuMs),
    peakRssMb: end.peakRssMb,
  };
}

/** Per group, the higher of several peak readings (a window read in parts). */
export function maxPeaks(...readings: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of readings) for (const [k, v] of Object.entries(r)) out[k] = Math.max(out[k] ?? 0, v);
  return out;
}

/** Groups of the bench that are not hoso services (servers and the bench itself). */
const NOT_SERVICES = new Set(['kafka', 'postgres', 'redis', 'load generator']);

/** The services whose peak is at or above `mb`, highest first. */
export function servicesOver(peaks: Record<string, number>, mb: number): [string, number][] {
  return Object.entries(peaks)
    .filter(([k, v]) => !NOT_SERVICES.has(k) && v >= mb)
    .sort((a, b) => b[1] - a[1]);
}

/** The memory goal of the throughput work: every service below this resident size at the sustained rate. */
export const SERVICE_RSS_GOAL_MB = 150;

const sum = (o: Record<string, number>) => Object.values(o).reduce((s, v) => s + v, 0);

/**
 * What one dossier cost: the window's counters, less what the idle platform does in as many seconds (relays and
 * consumers polling, health checks, the metrics sampler), over the dossiers accepted. Never below zero.
 */
export function perDossier(
  cost: Counters,
  dossiers: number,
  seconds: number,
  idle: PipelineResult['idlePerSec'],
): PerDossier {
  const per = (v: number, idlePerSec = 0) => (dossiers > 0 ? Math.max(0, (v - idlePerSec * seconds) / dossiers) : 0);
  const cpuMs = Object.fromEntries(Object.entries(cost.cpuMs).map(([k, v]) => [k, per(v, idle.cpuMs[k] ?? 0)]));
  return {
    httpRequests: per(cost.http.submit + cost.http.payment),
    sqlStatements: cost.pgStatements === null ? null : per(cost.pgStatements),
    commits: per(cost.pg.commits, idle.commits),
    rollbacks: per(cost.pg.rollbacks),
    tuplesWritten: per(cost.pg.tupInserted + cost.pg.tupUpdated + cost.pg.tupDeleted),
    tuplesRead: per(cost.pg.tupReturned + cost.pg.tupFetched),
    kafkaRecords: per(cost.kafkaRecords, idle.kafkaRecords),
    kafkaConsumed: per(sum(cost.kafkaConsumed), idle.kafkaConsumed),
    cpuMs,
    cpuMsTotal: sum(cpuMs),
  };
}

function findRun(pg: PgLimits | null, tool: PgRun['tool'], kind: PgRun['kind'], clients?: number): PgRun | null {
  return (
    pg?.runs.find((r) => r.tool === tool && r.kind === kind && (clients === undefined || r.clients === clients)) ?? null
  );
}

/** The last step of the variant that kept up, with its ratios to the raw limits; null when none kept up. */
export function sustainedOf(steps: PipelineStep[], variant: Variant, raw: PipelineResult['raw']): Sustained | null {
  const kept = steps.filter((s) => s.variant === variant && s.keptUp);
  const best = kept[kept.length - 1];
  if (!best) return null;
  const ratio = (v: number, limit: number | null | undefined) => (limit ? v / limit : null);
  const maxClients = Math.max(
    0,
    ...(raw.postgres?.runs.filter((r) => r.kind === 'single-row').map((r) => r.clients) ?? []),
  );
  const kafkaProduce = (tool: 'kafka-perf' | 'kafkajs') =>
    raw.kafka?.runs.find((r) => r.tool === tool && r.what === 'produce')?.recordsPerSec;
  return {
    offered: best.offered,
    receivedPerSec: best.receivedPerSec,
    commitsPerSec: best.commitsPerSec,
    kafkaRecordsPerSec: best.kafkaRecordsPerSec,
    ratios: {
      commitsToPgbench16: ratio(
        best.commitsPerSec,
        findRun(raw.postgres, 'pgbench', 'single-row', maxClients)?.commitsPerSec,
      ),
      commitsToNodePg16: ratio(
        best.commitsPerSec,
        findRun(raw.postgres, 'node-pg', 'single-row', maxClients)?.commitsPerSec,
      ),
      recordsToKafkaPerf: ratio(best.kafkaRecordsPerSec, kafkaProduce('kafka-perf')),
      recordsToKafkajs: ratio(best.kafkaRecordsPerSec, kafkaProduce('kafkajs')),
    },
  };
}

// ---- Markdown ----

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const n1 = (v: number) => (Math.abs(v) >= 100 ? n0(v) : v.toFixed(1));
const num = (v: number | null) => (v === null ? '—' : v === Infinity ? '∞' : String(v));
const trio = (p: Percentiles) => `${num(p.p50)} / ${num(p.p95)} / ${num(p.p99)}`;
const pct = (v: number | null) => (v === null ? '—' : v < 0.001 ? v.toExponential(1) : v.toFixed(3));

export function table(head: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const cells = rows.map((r) => r.map(esc));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (cs: string[]) =>
    `| ${cs.map((c, i) => (align[i] === 'r' ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const sep = `| ${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(Math.max(1, w - 1))}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(head), sep, ...cells.map(line)].join('\n');
}

function rawSection(r: PipelineResult): string[] {
  const out: string[] = [];
  const pg = r.raw.postgres;
  if (pg) {
    out.push(
      `PostgreSQL (the same table and INSERTs for both tools, a scratch database; pgbench ${pg.pgbench ? `\`${pg.pgbench}\` -M extended, the protocol node-pg speaks` : 'not found'}; ` +
        'single-row: pgbench has the ~200-byte JSON payload as a literal and `gen_random_uuid()`, node-pg sends both as ' +
        'parameters; batched: both send the rows as two arrays to `unnest`; one connection per client, each awaiting its ' +
        `own statement; synchronous_commit=${pg.synchronousCommit}; every figure checked against the rows the table gained):`,
    );
    out.push('');
    const kinds = [...new Set(pg.runs.map((x) => `${x.kind}|${x.clients}|${x.batchRows}`))].map((k) => k.split('|'));
    out.push(
      table(
        [
          'statement',
          'clients',
          'pgbench tx/s',
          'node-pg tx/s',
          'pgbench rows/s',
          'node-pg rows/s',
          'node-pg / pgbench',
        ],
        kinds.map(([kind = '', clients = '0', rows = '1']) => {
          const a = pg.runs.find((x) => x.tool === 'pgbench' && x.kind === kind && x.clients === Number(clients));
          const b = pg.runs.find((x) => x.tool === 'node-pg' && x.kind === kind && x.clients === Number(clients));
          return [
            kind === 'single-row' ? 'INSERT 1 row, own commit' : `INSERT ${rows} rows`,
            clients,
            a ? n0(a.commitsPerSec) : '—',
            b ? n0(b.commitsPerSec) : '—',
            a ? n0(a.rowsPerSec) : '—',
            b ? n0(b.rowsPerSec) : '—',
            a && b ? (b.rowsPerSec / a.rowsPerSec).toFixed(2) : '—',
          ];
        }),
        ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    const notes = pg.runs.filter((x) => x.note);
    for (const x of notes) out.push('', `- ${x.tool} ${x.kind} ×${x.clients}: ${x.note ?? ''}`);
    out.push('');
  }
  const k = r.raw.kafka;
  if (k) {
    out.push(
      `Kafka (one broker, ${k.partitions}-partition scratch topic, records of ${k.runs[0]?.recordBytes ?? '?'} bytes, acks=all; ` +
        `perf tools: ${k.tools.startsWith('not run') ? k.tools : '`org.apache.kafka.tools.ProducerPerformance` / `ConsumerPerformance` 4.4.0'}; ` +
        'kafkajs: batches of 1,000 with 4 in flight, one consumer on every partition):',
    );
    out.push('');
    const rate = (tool: string, what: string) => k.runs.find((x) => x.tool === tool && x.what === what)?.recordsPerSec;
    out.push(
      table(
        ['', 'records', 'Kafka perf tool records/s', 'kafkajs records/s', 'kafkajs / perf tool'],
        (['produce', 'consume'] as const)
          .filter((what) => k.runs.some((x) => x.what === what))
          .map((what) => {
            const a = rate('kafka-perf', what);
            const b = rate('kafkajs', what);
            return [
              what,
              n0(k.runs.find((x) => x.what === what)?.records ?? 0),
              a ? n0(a) : '—',
              b ? n0(b) : '—',
              a && b ? (b / a).toFixed(2) : '—',
            ];
          }),
        ['l', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push('');
  }
  return out;
}

/** The analysis paragraph: what the numbers say, from the numbers. */
export function analysis(r: PipelineResult): string {
  const parts: string[] = [];
  for (const v of r.options.variants) {
    const steps = r.steps.filter((s) => s.variant === v);
    const last = steps[steps.length - 1];
    const s = r.sustained[v];
    if (!last) continue;
    const costly = Object.entries(last.perDossier.cpuMs)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3);
    parts.push(
      `${VARIANT_LABEL[v]}: ${s ? `sustained ${s.receivedPerSec} dossiers/s RECEIVED (step ${s.offered}/s)` : 'no step kept up'}; ` +
        `the ${last.offered}/s step ${last.keptUp ? 'kept up' : `stopped the run (${last.verdict})`}. ` +
        `Per dossier it cost ${n1(last.perDossier.httpRequests)} HTTP requests, ${n1(last.perDossier.commits)} commits ` +
        `(${n1(last.perDossier.tuplesWritten)} rows written), ${n1(last.perDossier.kafkaRecords)} Kafka records produced and ` +
        `${n1(last.perDossier.kafkaConsumed)} consumed, and ${n0(last.perDossier.cpuMsTotal)} ms of CPU` +
        (last.perDossier.cpuMsTotal > 0
          ? ` (most in ${costly.map(([k, ms]) => `${k} ${n0(ms)} ms`).join(', ')}); at ${r.machine.cpus} cores that ` +
            `CPU alone caps the machine near ${n1((r.machine.cpus * 1000) / last.perDossier.cpuMsTotal)} dossiers/s.`
          : '.') +
        (last.machineCpuPct >= 95
          ? ` The machine's CPU was at ${last.machineCpuPct} % during that step (everything on the box counted, ` +
            `load average ${r.machine.loadAverageAtStart[0] ?? '?'} at start): the step was CPU-bound.`
          : ''),
    );
    const first = steps[0];
    if (first && first !== last && first.perDossier.commits > last.perDossier.commits * 1.5) {
      parts.push(
        `The cost per dossier falls as the rate rises (${n1(first.perDossier.commits)} → ${n1(last.perDossier.commits)} ` +
          `commits, ${n0(first.perDossier.cpuMsTotal)} → ${n0(last.perDossier.cpuMsTotal)} CPU ms from ${first.offered}/s to ` +
          `${last.offered}/s): outbox relays and consumers carry more events per transaction and per poll under load, and ` +
          `their polling goes on regardless (the idle platform makes ${n1(r.idlePerSec.commits)} commits/s).`,
      );
    }
    const at = s ? steps.find((x) => x.offered === s.offered) : undefined;
    if (at && Object.keys(at.peakRssMb).length) {
      const over = servicesOver(at.peakRssMb, SERVICE_RSS_GOAL_MB);
      parts.push(
        over.length
          ? `At that rate ${over.map(([k, mb]) => `${k} peaked at ${n0(mb)} MB`).join(', ')}: above the ` +
              `${SERVICE_RSS_GOAL_MB} MB goal.`
          : `At that rate every service stayed below ${SERVICE_RSS_GOAL_MB} MB resident (highest: ` +
              `${servicesOver(at.peakRssMb, 0)
                .slice(0, 1)
                .map(([k, mb]) => `${k} ${n0(mb)} MB`)
                .join('')}).`,
      );
    }
    if (s) {
      parts.push(
        `Its commits run at ${pct(s.ratios.commitsToPgbench16)} of pgbench's single-row limit and its Kafka records at ` +
          `${pct(s.ratios.recordsToKafkaPerf)} of ProducerPerformance's` +
          ((s.ratios.commitsToPgbench16 ?? 0) < 0.5 && (s.ratios.recordsToKafkaPerf ?? 0) < 0.5
            ? ": neither server is near its own limit, so what bounds the rate is the work around each commit and record (the services' CPU per dossier above)."
            : ': a server is near its own limit.'),
      );
    }
  }
  const a = findRun(r.raw.postgres, 'pgbench', 'single-row', 16);
  const b = findRun(r.raw.postgres, 'node-pg', 'single-row', 16);
  if (a && b) {
    parts.push(
      `node-pg reaches ${n0(b.commitsPerSec)} single-row commits/s at 16 clients against pgbench's ${n0(a.commitsPerSec)}/s ` +
        `(${(b.commitsPerSec / a.commitsPerSec).toFixed(2)}): the server's group commit serves both alike. The earlier ` +
        'figure of 691/s was a miscount, not a slow client: the old loop did `rows += await work(c)`, which reads `rows` ' +
        "before the await, so the 16 connections overwrote each other's increments (the table had gained ~15 times the rows counted).",
    );
  }
  return parts.join(' ');
}

export function renderPipelineMarkdown(r: PipelineResult): string {
  const out: string[] = [];
  out.push(`## Pipeline (\`npm run bench:pipeline\`) — ${r.date.slice(0, 10)}`);
  out.push('');
  out.push(
    `Machine: **${r.machine.cpus} cores, ${r.machine.memoryGiB} GiB** (${r.machine.cpuModel}), Node ${r.machine.node}; load average at ` +
      `start ${r.machine.loadAverageAtStart.join(' / ')}. Isolated platform (own topics, groups, fresh databases; the six services from ` +
      `the tsc build, started in ${r.platform.startSeconds} s, LOG_LEVEL=${r.platform.logLevel}` +
      (r.platform.nodeArgs?.length ? `, node flags \`${r.platform.nodeArgs.join(' ')}\`` : '') +
      `), no officers. ${r.options.citizens} citizens ` +
      `signed in and prefilled before any measured window (${r.platform.prepareSeconds} s). Open-loop arrivals, evenly spaced, fired on ` +
      `schedule whether earlier ones answered or not, at most ${r.options.maxInFlight} in flight (an arrival beyond is refused and counted; ` +
      `"late": fired > 100 ms after its time). Steps of ${r.options.stepSeconds} s, then up to ${r.options.drainSeconds} s for the step's ` +
      `dossiers to reach RECEIVED (seen on Kafka: case.received); a variant stops at the first step with RECEIVED < 90 % of the offered ` +
      `rate or p99 submit→RECEIVED > 5 s. Procedures: ${r.options.variants.map((v) => `${VARIANT_LABEL[v]} ${r.options.procedures[v]}`).join('; ')}. ` +
      `Whole run ${(r.elapsedSec / 60).toFixed(1)} min.`,
  );
  out.push('');
  out.push('### Raw limits');
  out.push('');
  out.push(...rawSection(r));
  out.push('### Steps');
  out.push('');
  out.push(
    table(
      [
        'variant',
        'offered/s',
        'fired / refused / late',
        'accepted/s',
        'fees paid',
        'RECEIVED/s',
        'HTTP submit ms p50/95/99',
        'submit→RECEIVED s p50/95/99',
        'not RECEIVED',
        'metrics staleness ms p50/99',
        'machine CPU',
        'verdict',
      ],
      r.steps.map((s) => [
        s.variant,
        String(s.offered),
        `${s.fired} / ${s.refused} / ${s.late}`,
        String(s.acceptedPerSec),
        s.variant === 'fee' ? `${s.paid}${s.paymentErrors ? ` (${s.paymentErrors} failed)` : ''}` : '—',
        String(s.receivedPerSec),
        trio(s.httpSubmitMs),
        trio(s.submitToReceivedSec),
        String(s.notReceived),
        `${num(s.metricsStalenessMs.p50)} / ${num(s.metricsStalenessMs.p99)}`,
        `${s.machineCpuPct} %`,
        s.verdict,
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  );
  out.push('');
  out.push(
    'Fees paid: dossiers of the fee procedure whose fee the bot paid at the checkout (payment waived the others). ' +
      "Per dossier (from the step's first arrival to the end of its drain, less what the idle platform does in as many " +
      `seconds, over the dossiers accepted). HTTP: requests the load generator sent. SQL: ${r.sqlSource}. Kafka: records ` +
      "appended to the run's topics (end-offset deltas) and records consumed by the services' groups (committed-offset " +
      "deltas); the broker's produce/fetch request counts are JMX-only and not read here.",
  );
  out.push('');
  const sqlCol = r.steps.some((s) => s.perDossier.sqlStatements !== null);
  out.push(
    table(
      [
        'variant',
        'offered/s',
        'dossiers',
        'HTTP req',
        ...(sqlCol ? ['SQL statements'] : []),
        'commits',
        'rollbacks',
        'rows written',
        'rows read',
        'Kafka records',
        'records consumed',
        'CPU ms',
      ],
      r.steps.map((s) => [
        s.variant,
        String(s.offered),
        String(s.accepted),
        n1(s.perDossier.httpRequests),
        ...(sqlCol ? [s.perDossier.sqlStatements === null ? '—' : n1(s.perDossier.sqlStatements)] : []),
        n1(s.perDossier.commits),
        n1(s.perDossier.rollbacks),
        n1(s.perDossier.tuplesWritten),
        n1(s.perDossier.tuplesRead),
        n1(s.perDossier.kafkaRecords),
        n1(s.perDossier.kafkaConsumed),
        n0(s.perDossier.cpuMsTotal),
      ]),
      ['l', 'r', 'r', 'r', ...(sqlCol ? (['r'] as const) : []), 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  out.push('');
  out.push('CPU ms per dossier by process (net of idle; the load generator: its own `process.cpuUsage()`):');
  out.push('');
  const groups = [...new Set(r.steps.flatMap((s) => Object.keys(s.perDossier.cpuMs)))];
  out.push(
    table(
      ['process', 'idle ms/s', ...r.steps.map((s) => `${s.variant} ${s.offered}/s`)],
      groups.map((g) => [g, n1(r.idlePerSec.cpuMs[g] ?? 0), ...r.steps.map((s) => n1(s.perDossier.cpuMs[g] ?? 0))]),
      ['l', 'r', ...r.steps.map(() => 'r' as const)],
    ),
  );
  out.push('');
  const memoryGroups = [...new Set([...Object.keys(r.idleRssMb), ...r.steps.flatMap((s) => Object.keys(s.peakRssMb))])];
  if (memoryGroups.length) {
    out.push(
      `Peak resident memory by process, MB (sampled every second; idle: after the citizens' preparation; a step: from ` +
        `its first arrival to the end of its drain; the services' goal: < ${SERVICE_RSS_GOAL_MB} MB at the sustained rate):`,
    );
    out.push('');
    out.push(
      table(
        ['process', 'idle', ...r.steps.map((s) => `${s.variant} ${s.offered}/s`)],
        memoryGroups.map((g) => [
          g,
          n0(r.idleRssMb[g] ?? 0),
          ...r.steps.map((s) => (s.peakRssMb[g] === undefined ? '—' : n0(s.peakRssMb[g]))),
        ]),
        ['l', 'r', ...r.steps.map(() => 'r' as const)],
      ),
    );
    out.push('');
  }
  if (r.seqScans.length) {
    out.push(
      'Where the rows read come from: the tables read most over the whole run, by sequential and index scans ' +
        '(`pg_stat_user_tables`; the database-wide rows read above also count system catalogs and the metrics ' +
        'freshness probe, and are not net of idle):',
    );
    out.push('');
    out.push(
      table(
        ['database', 'table', 'seq scans', 'rows read by seq scans', 'index scans', 'rows fetched by index scans'],
        r.seqScans.map((t) => [
          t.database,
          t.table,
          n0(t.seqScans),
          n0(t.seqRowsRead),
          n0(t.idxScans),
          n0(t.idxRowsFetched),
        ]),
        ['l', 'l', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push('');
  }
  if (r.tableWrites.length && r.dossiersAccepted > 0) {
    const per = (v: number) => (v / r.dossiersAccepted).toFixed(2);
    out.push(
      `Where the rows written come from: the tables written most over the whole run, per dossier accepted ` +
        `(${n0(r.dossiersAccepted)} over every step; \`pg_stat_user_tables\` from the first step to the end, so the ` +
        `idle seconds between steps count too; "HOT": updates that touched no index):`,
    );
    out.push('');
    out.push(
      table(
        ['database', 'table', 'inserted', 'updated (HOT)', 'deleted', 'rows written'],
        r.tableWrites.map((t) => [
          t.database,
          t.table,
          per(t.inserted),
          `${per(t.updated)} (${per(t.hotUpdated)})`,
          per(t.deleted),
          per(t.inserted + t.updated + t.deleted),
        ]),
        ['l', 'l', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push('');
  }
  out.push('### Sustained rate against the raw limits');
  out.push('');
  out.push(
    table(
      [
        'variant',
        'sustained RECEIVED/s',
        'commits/s',
        '/ pgbench 16 clients',
        '/ node-pg 16 clients',
        'Kafka records/s',
        '/ ProducerPerformance',
        '/ kafkajs produce',
      ],
      r.options.variants.map((v) => {
        const s = r.sustained[v];
        if (!s) return [v, 'no step kept up', '—', '—', '—', '—', '—', '—'];
        return [
          v,
          `${s.receivedPerSec} (step ${s.offered})`,
          n0(s.commitsPerSec),
          pct(s.ratios.commitsToPgbench16),
          pct(s.ratios.commitsToNodePg16),
          n0(s.kafkaRecordsPerSec),
          pct(s.ratios.recordsToKafkaPerf),
          pct(s.ratios.recordsToKafkajs),
        ];
      }),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  out.push('');
  out.push(`**Analysis.** ${analysis(r)}`);
  out.push('');
  const errs = r.steps.flatMap((s) => s.errorSamples.map((e) => `${s.variant} ${s.offered}/s: ${e}`));
  if (errs.length) {
    out.push('Error samples:');
    out.push('');
    for (const e of errs.slice(0, 6)) out.push(`- ${e.replace(/\|/g, '\\|')}`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

export const PIPELINE_BEGIN = '<!-- pipeline:begin (written by npm run bench:pipeline) -->';
export const PIPELINE_END = '<!-- pipeline:end -->';

/** `doc` with `markdown` between the pipeline markers (appended with them the first time). */
export function withPipelineSection(doc: string, markdown: string): string {
  const block = `${PIPELINE_BEGIN}\n\n${markdown.trim()}\n\n${PIPELINE_END}`;
  const i = doc.indexOf(PIPELINE_BEGIN);
  const j = doc.indexOf(PIPELINE_END);
  return i >= 0 && j > i
    ? `${doc.slice(0, i)}${block}${doc.slice(j + PIPELINE_END.length)}`
    : `${doc.trimEnd()}\n\n${block}\n`;
}

export async function updatePipelineSection(file: string, markdown: string): Promise<void> {
  writeFileSync(file, await formatMarkdown(withPipelineSection(readFileSync(file, 'utf8'), markdown)));
}
