/** The benchmark's result: its shape, its Markdown tables, and its section of docs/performance.md. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, type ProfileSummary } from '@hoso/platform';
import type { PostgresLimits, Throughput } from './raw-limits';

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface StepResult {
  offered: number;
  seconds: number;
  submitted: number;
  submittedPerSec: number;
  receivedPerSec: number;
  completedPerSec: number;
  /** Dossiers of the step that had not reached RECEIVED / COMPLETED when the drain window ended. */
  notReceived: number;
  notCompleted: number;
  httpSubmitMs: Percentiles;
  submitToReceivedSec: Percentiles;
  submitToCompletedSec: Percentiles;
  hopsMs: Record<string, Percentiles & { n: number }>;
  /**
   * Age (ms) of the oldest submission the metrics API did not count yet, sampled every 0.5 s over the arrivals
   * (test/bench/metrics-freshness.ts); `errors`: samples whose read failed.
   */
  metricsStalenessMs: Percentiles & { max: number | null; n: number; errors: number };
  /** Largest total lag per consumer group during the step. */
  maxLag: Record<string, number>;
  maxLagTotal: number;
  /** Per process group: mean and highest CPU (% of one core; MACHINE: % of all cores) and peak RSS over the arrivals. */
  cpu: Record<string, { cpuPct: number; cpuPctMax: number; peakRssMb: number }>;
  dbCommitsPerSec: number;
  kafkaEventsPerSec: number;
  errors: number;
  errorSamples: string[];
  drainError: string | null;
  drainSeconds: number;
  /** Mean number of the run's active PostgreSQL backends per wait event over the arrivals. */
  pgWaits: { event: string; backends: number }[];
  /** CPU profile of each service over the arrivals. */
  profiles: Record<string, ProfileSummary>;
  keptUp: boolean;
  verdict: string;
}

export interface BenchResult {
  date: string;
  machine: { cpus: number; memoryGiB: number; node: string; cpuModel: string; loadAverageAtStart: number[] };
  options: { steps: number[]; stepSeconds: number; drainSeconds: number; concurrency: number; logLevel: string };
  raw: { kafka: Throughput; postgres: PostgresLimits };
  platform: { startSeconds: number; runtime: string; topicPrefix: string; logLevel: string };
  /** CPU and RSS per process group with the platform up and no load. */
  idle: Record<string, { cpuPct: number; peakRssMb: number }>;
  steps: StepResult[];
  sustained: {
    offered: number;
    receivedPerSec: number;
    kafkaEventsPerSec: number;
    dbCommitsPerSec: number;
    kafkaRatio: number;
    commitRatio: number;
  } | null;
  elapsedSec: number;
}

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const num = (v: number | null) => (v === null ? '—' : v === Infinity ? '∞' : String(v));
const trio = (p: Percentiles) => `${num(p.p50)} / ${num(p.p95)} / ${num(p.p99)}`;

function table(head: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (align[i] === 'r' ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const sep = `| ${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(Math.max(1, w - 1))}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(head), sep, ...rows.map(line)].join('\n');
}

export function renderMarkdown(r: BenchResult): string {
  const out: string[] = [];
  const day = r.date.slice(0, 10);
  out.push(`## End-to-end flow (\`npm run bench\`) — ${day}`);
  out.push('');
  out.push(
    `Machine: **${r.machine.cpus} cores, ${r.machine.memoryGiB} GiB** (${r.machine.cpuModel}), Node ${r.machine.node}; ` +
      `load average at start ${r.machine.loadAverageAtStart.join(' / ')}. Services from the tsc build (started in ` +
      `${r.platform.startSeconds} s), LOG_LEVEL=${r.platform.logLevel}, fresh databases and topics; officer and citizen bots ` +
      `with zero think time, simulator HTTP concurrency ${r.options.concurrency}; every applicant verifies and every fee is ` +
      `paid, so every dossier should reach RECEIVED. Steps of ${r.options.stepSeconds} s of arrivals, then up to ` +
      `${r.options.drainSeconds} s for the dossiers in flight. Rates are counted over the arrival window after a 5 s warm-up; ` +
      `latencies are over the step's own dossiers (∞: not there by the end of the drain). Whole run: ${(r.elapsedSec / 60).toFixed(1)} min.`,
  );
  out.push('');
  out.push(
    table(
      [
        'offered/s',
        'submitted/s',
        'RECEIVED/s',
        'COMPLETED/s',
        'HTTP submit ms p50/95/99',
        'submit→RECEIVED s p50/95/99',
        'submit→COMPLETED s p50/95/99',
        'max lag',
        'not RECEIVED',
        'errors',
        'verdict',
      ],
      r.steps.map((s) => [
        String(s.offered),
        String(s.submittedPerSec),
        String(s.receivedPerSec),
        String(s.completedPerSec),
        trio(s.httpSubmitMs),
        trio(s.submitToReceivedSec),
        trio(s.submitToCompletedSec),
        n0(s.maxLagTotal),
        String(s.notReceived),
        `${s.errors}/${s.submitted}`,
        s.verdict,
      ]),
      ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  );
  out.push('');
  out.push('Per hop, ms p50 / p95 (from envelope `occurredAt` and the Kafka record timestamp of each event):');
  out.push('');
  const hops = Object.keys(r.steps[0]?.hopsMs ?? {});
  out.push(
    table(
      ['offered/s', ...hops],
      r.steps.map((s) => [
        String(s.offered),
        ...hops.map((h) => {
          const p = s.hopsMs[h];
          return p ? `${num(p.p50)} / ${num(p.p95)}` : '—';
        }),
      ]),
      ['r', ...hops.map(() => 'r' as const)],
    ),
  );
  out.push('');
  out.push(
    'Metrics freshness: age of the oldest submitted dossier that `GET /rates/summary` does not count yet, sampled every ' +
      '0.5 s over the arrivals (0: it counts every submission seen on Kafka), ms:',
  );
  out.push('');
  out.push(
    table(
      ['offered/s', 'p50', 'p95', 'p99', 'max', 'samples'],
      r.steps.map((s) => {
        const f = s.metricsStalenessMs;
        return [
          String(s.offered),
          num(f.p50),
          num(f.p95),
          num(f.p99),
          num(f.max),
          f.errors ? `${String(f.n)} (${String(f.errors)} failed)` : String(f.n),
        ];
      }),
      ['r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  out.push('');
  out.push(
    'CPU (mean over the arrivals, % of one core; the machine: % of both) and peak RSS (MB; PostgreSQL: private memory of ' +
      'all its processes plus shared memory once):',
  );
  out.push('');
  const groups = Object.keys(r.steps[0]?.cpu ?? {});
  out.push(
    table(
      ['process', 'idle', ...r.steps.map((s) => `${s.offered}/s`)],
      groups.map((g) => [
        g,
        r.idle[g] ? `${r.idle[g].cpuPct} %` : '—',
        ...r.steps.map((s) => {
          const c = s.cpu[g];
          if (!c) return '—';
          return g === '(machine)' ? `${c.cpuPct} %` : `${c.cpuPct} % · ${c.peakRssMb} MB`;
        }),
      ]),
      ['l', 'r', ...r.steps.map(() => 'r' as const)],
    ),
  );
  out.push('');
  const pg = r.raw.postgres;
  const rows: string[][] = [
    [
      'kafkajs produce + consume (batches of 1,000, 4 in flight, 6 partitions)',
      `${n0(r.raw.kafka.perSecond)} events/s`,
    ],
    [
      `PostgreSQL single-row INSERT commits (${pg.singleRowCommits.clients} clients)`,
      `${n0(pg.singleRowCommits.perSecond)} commits/s`,
    ],
    [
      `PostgreSQL batched INSERT (${pg.batchedRows.clients} clients × ${pg.batchedRows.batchRows} rows)`,
      `${n0(pg.batchedRows.perSecond)} rows/s`,
    ],
  ];
  const s = r.sustained;
  if (s) {
    rows.push([
      `**sustained maximum** (best step that kept up: ${s.offered} offered)`,
      `**${s.receivedPerSec} dossiers/s** RECEIVED`,
    ]);
    rows.push([
      '… its events on Kafka (all topics of the run)',
      `${n0(s.kafkaEventsPerSec)} events/s = **${s.kafkaRatio.toFixed(3)}** of kafkajs raw`,
    ]);
    rows.push([
      "… its commits in the services' databases",
      `${n0(s.dbCommitsPerSec)} commits/s = **${s.commitRatio.toFixed(3)}** of single-row raw`,
    ]);
  } else rows.push(['**sustained maximum**', 'no step kept up']);
  out.push(table(['raw limit / ratio', 'value'], rows, ['l', 'r']));
  out.push('');
  out.push(
    "What the run's active PostgreSQL backends wait on (mean number of backends per wait event over the arrivals; " +
      '`IO:WALSync` / `LWLock:WALWrite`: a commit waiting for the disk, `Client:ClientRead`: idle in a transaction ' +
      'while the service works, `CPU (no wait)`: running):',
  );
  out.push('');
  out.push(
    table(
      ['offered/s', 'wait events'],
      r.steps.map((x) => [
        String(x.offered),
        x.pgWaits
          .slice(0, 5)
          .map((w) => `${w.event} ${w.backends}`)
          .join(' · ') || '—',
      ]),
      ['r', 'l'],
    ),
  );
  out.push('');
  // Where the hottest services spend their time in the last step (the one that did not keep up, if any).
  const last = r.steps[r.steps.length - 1];
  if (last) {
    const hottest = Object.entries(last.profiles)
      .map(([service, p]) => ({ service, p, cpu: last.cpu[service]?.cpuPct ?? 0 }))
      .sort((a, b) => b.cpu - a.cpu)
      .slice(0, 2);
    for (const { service, p, cpu } of hottest) {
      out.push(
        `CPU profile of **${service}** during the ${last.offered}/s step (${cpu} % of a core; its main thread busy ` +
          `${p.busyPct.toFixed(0)} % of ${p.seconds.toFixed(0)} s) — self time by package, and the top functions:`,
      );
      out.push('');
      out.push(
        table(
          ['package', 'self %'],
          p.packages.slice(0, 8).map((x) => [x.name, x.selfPct.toFixed(1)]),
          ['l', 'r'],
        ),
      );
      out.push('');
      out.push(
        table(
          ['function', 'self %'],
          p.functions.slice(0, 10).map((x) => [`\`${x.name.replace(/\|/g, '\\|')}\``, x.selfPct.toFixed(1)]),
          ['l', 'r'],
        ),
      );
      out.push('');
    }
  }
  const errs = r.steps.flatMap((x) => x.errorSamples.map((e) => `${x.offered}/s: ${e}`));
  if (errs.length) {
    out.push('Error samples:');
    out.push('');
    for (const e of errs.slice(0, 6)) out.push(`- ${e.replace(/\|/g, '\\|')}`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

const BEGIN = '<!-- bench:begin (written by npm run bench) -->';
const END = '<!-- bench:end -->';

/**
 * Puts the tables between the bench markers of docs/performance.md (a section is added the first time); the
 * analysis written below the end marker stays.
 */
/** A run's result as `.data/bench/<runId>.json` and its Markdown as `.md` (both benches write the same pair). */
export function writeRunFiles(runId: string, result: unknown, md: string): void {
  // Infinity (a dossier that never got there) is not JSON: written as the string "Infinity".
  const json = JSON.stringify(result, (_k, v: unknown) => (v === Infinity ? 'Infinity' : v), 2);
  writeFileSync(join(REPO_ROOT, '.data/bench', `${runId}.json`), `${json}\n`);
  writeFileSync(join(REPO_ROOT, '.data/bench', `${runId}.md`), md);
}

export async function updatePerformanceDoc(file: string, markdown: string): Promise<void> {
  const doc = readFileSync(file, 'utf8');
  const block = `${BEGIN}\n\n${markdown.trim()}\n\n${END}`;
  const i = doc.indexOf(BEGIN);
  const j = doc.indexOf(END);
  const next =
    i >= 0 && j > i ? `${doc.slice(0, i)}${block}${doc.slice(j + END.length)}` : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, await formatMarkdown(next));
}

/** Prettier's own layout of the tables, so `prettier --check` stays green after a run (its CLI: no ESM loading here). */
export function formatMarkdown(text: string): Promise<string> {
  // Laid out as the repository's Markdown (a path outside the repository would be left as it is).
  const as = join(REPO_ROOT, 'docs/performance.md');
  const res = spawnSync(process.execPath, [require.resolve('prettier/bin/prettier.cjs'), '--stdin-filepath', as], {
    input: text,
    encoding: 'utf8',
  });
  if (res.status !== 0) return Promise.reject(new Error(`prettier failed: ${res.stderr}`));
  return Promise.resolve(res.stdout);
}
