import {
  analysis,
  arrivalsDue,
  diffCounters,
  maxPeaks,
  perDossier,
  rateInWindow,
  servicesOver,
  renderPipelineMarkdown,
  stepVerdict,
  sustainedOf,
  withPipelineSection,
  PIPELINE_BEGIN,
  PIPELINE_END,
  type Counters,
  type PipelineResult,
  type PipelineStep,
} from './pipeline-report';
import { parseConsumerPerf, parseProducerPerf } from './kafka-tools';
import { parsePgbenchTps } from './pg-limits';
import { parsePipelineArgs, UsageError } from './pipeline';

const ok = {
  offered: 100,
  receivedPerSec: 95,
  p99ReceivedSec: 2,
  scheduled: 1000,
  refused: 0,
  accepted: 1000,
  httpErrors: 0,
};

describe('step verdict (the stop rule)', () => {
  it('keeps up at ≥ 90 % RECEIVED with p99 ≤ 5 s', () => {
    expect(stepVerdict(ok)).toEqual({ keptUp: true, verdict: 'kept up' });
    expect(stepVerdict({ ...ok, receivedPerSec: 90, p99ReceivedSec: 5 }).keptUp).toBe(true);
  });

  it('fails on a low RECEIVED rate, a slow or missing p99, refused arrivals, errors, or nothing accepted', () => {
    expect(stepVerdict({ ...ok, receivedPerSec: 89.9 })).toEqual({
      keptUp: false,
      verdict: 'RECEIVED 89.9/s < 90 % of 100/s',
    });
    expect(stepVerdict({ ...ok, p99ReceivedSec: 5.01 }).verdict).toBe('p99 submit→RECEIVED 5.01 s > 5 s');
    expect(stepVerdict({ ...ok, p99ReceivedSec: Infinity }).verdict).toContain('∞ (not all received)');
    expect(stepVerdict({ ...ok, p99ReceivedSec: null }).verdict).toContain('n/a');
    expect(stepVerdict({ ...ok, refused: 11 }).verdict).toBe('11/1000 arrivals refused (in-flight cap)');
    expect(stepVerdict({ ...ok, refused: 10 }).keptUp).toBe(true);
    expect(stepVerdict({ ...ok, accepted: 980, httpErrors: 20 }).verdict).toBe('HTTP errors 20/1000 > 1 %');
    const none = stepVerdict({ ...ok, accepted: 0, receivedPerSec: 0, p99ReceivedSec: null });
    expect(none.keptUp).toBe(false);
    expect(none.verdict.split('; ')).toEqual([
      'RECEIVED 0/s < 90 % of 100/s',
      'p99 submit→RECEIVED n/a > 5 s',
      'nothing accepted',
    ]);
  });
});

describe('arrival schedule and window rates', () => {
  it('fires the i-th arrival at i / rate seconds', () => {
    expect(arrivalsDue(-1, 100)).toBe(0);
    expect(arrivalsDue(0, 100)).toBe(1);
    expect(arrivalsDue(9, 100)).toBe(1);
    expect(arrivalsDue(10, 100)).toBe(2);
    expect(arrivalsDue(1000, 100)).toBe(101);
    expect(arrivalsDue(1000, 2.5)).toBe(3);
  });

  it('counts the events inside [from, to] per second', () => {
    expect(rateInWindow([1000, 1500, 2000, 2500, 3001], 1000, 3000)).toBe(2);
    expect(rateInWindow([1], 5, 5)).toBe(0);
  });
});

function counters(over: Partial<Counters> = {}): Counters {
  return {
    http: { submit: 0, payment: 0 },
    pg: { commits: 0, rollbacks: 0, tupInserted: 0, tupUpdated: 0, tupDeleted: 0, tupReturned: 0, tupFetched: 0 },
    pgStatements: null,
    kafkaRecords: 0,
    kafkaConsumed: {},
    cpuMs: {},
    peakRssMb: {},
    ...over,
  };
}

describe('per-dossier arithmetic', () => {
  const idle = { commits: 2, kafkaRecords: 1, kafkaConsumed: 0, cpuMs: { intake: 10, postgres: 5 } };

  it('diffs every counter, groups that appear later counted from zero', () => {
    const a = counters({ kafkaConsumed: { g1: 10 }, cpuMs: { intake: 100 }, pgStatements: 5 });
    const b = counters({
      http: { submit: 50, payment: 20 },
      kafkaConsumed: { g1: 40, g2: 7 },
      cpuMs: { intake: 400, kafka: 30 },
      pgStatements: 45,
    });
    const d = diffCounters(a, b);
    expect(d.http).toEqual({ submit: 50, payment: 20 });
    expect(d.kafkaConsumed).toEqual({ g1: 30, g2: 7 });
    expect(d.cpuMs).toEqual({ intake: 300, kafka: 30 });
    expect(d.pgStatements).toBe(40);
    expect(diffCounters(a, counters()).pgStatements).toBeNull();
  });

  it('takes away what the idle platform does in as many seconds, then divides by the dossiers', () => {
    const cost = counters({
      http: { submit: 100, payment: 400 },
      pg: {
        commits: 1020,
        rollbacks: 3,
        tupInserted: 600,
        tupUpdated: 300,
        tupDeleted: 100,
        tupReturned: 50,
        tupFetched: 50,
      },
      kafkaRecords: 810,
      kafkaConsumed: { a: 500, b: 300 },
      cpuMs: { intake: 5100, postgres: 2050, kafka: 100 },
    });
    const p = perDossier(cost, 100, 10, idle);
    expect(p.httpRequests).toBe(5);
    expect(p.commits).toBe(10); // (1020 − 2 × 10) / 100
    expect(p.rollbacks).toBe(0.03);
    expect(p.tuplesWritten).toBe(10);
    expect(p.tuplesRead).toBe(1);
    expect(p.kafkaRecords).toBe(8); // (810 − 1 × 10) / 100
    expect(p.kafkaConsumed).toBe(8);
    expect(p.cpuMs).toEqual({ intake: 50, postgres: 20, kafka: 1 });
    expect(p.cpuMsTotal).toBe(71);
    expect(p.sqlStatements).toBeNull();
  });

  it('never goes below zero, and is zero without dossiers', () => {
    const p = perDossier(counters({ cpuMs: { intake: 50 } }), 10, 10, idle);
    expect(p.cpuMs['intake']).toBe(0);
    expect(p.commits).toBe(0);
    expect(perDossier(counters({ http: { submit: 5, payment: 0 } }), 0, 10, idle).httpRequests).toBe(0);
  });
});

function step(over: Partial<PipelineStep>): PipelineStep {
  const cost = counters({
    http: { submit: 200, payment: 0 },
    pg: { ...counters().pg, commits: 2000 },
    kafkaRecords: 1000,
  });
  return {
    variant: 'free',
    offered: 10,
    seconds: 20,
    scheduled: 200,
    fired: 200,
    refused: 0,
    late: 0,
    accepted: 200,
    httpErrors: 0,
    acceptedPerSec: 10,
    receivedPerSec: 10,
    notReceived: 0,
    paid: 0,
    paymentErrors: 0,
    httpSubmitMs: { p50: 40, p95: 90, p99: 120 },
    submitToReceivedSec: { p50: 0.5, p95: 1.2, p99: 2 },
    metricsStalenessMs: { p50: 0, p95: 200, p99: 300, n: 40, errors: 0 },
    commitsPerSec: 100,
    kafkaRecordsPerSec: 50,
    costSeconds: 25,
    cost,
    perDossier: perDossier(cost, 200, 25, { commits: 0, kafkaRecords: 0, kafkaConsumed: 0, cpuMs: {} }),
    machineCpuPct: 40,
    peakRssMb: { intake: 120, identity: 140, kafka: 450 },
    keptUp: true,
    verdict: 'kept up',
    errorSamples: [],
    ...over,
  };
}

function result(steps: PipelineStep[]): PipelineResult {
  const raw: PipelineResult['raw'] = {
    postgres: {
      pgbench: '/usr/bin/pgbench',
      synchronousCommit: 'on',
      runs: [
        {
          tool: 'pgbench',
          kind: 'single-row',
          clients: 16,
          batchRows: 1,
          seconds: 10,
          commitsPerSec: 10000,
          rowsPerSec: 10000,
          rowsInTable: 100000,
        },
        {
          tool: 'node-pg',
          kind: 'single-row',
          clients: 16,
          batchRows: 1,
          seconds: 10,
          commitsPerSec: 8000,
          rowsPerSec: 8000,
          rowsInTable: 80000,
        },
      ],
    },
    kafka: {
      partitions: 6,
      tools: '/cache/kafka-tools-4.4.0',
      runs: [
        { tool: 'kafka-perf', what: 'produce', records: 1000, recordBytes: 300, seconds: 1, recordsPerSec: 100000 },
        { tool: 'kafkajs', what: 'produce', records: 1000, recordBytes: 300, seconds: 1, recordsPerSec: 50000 },
      ],
    },
  };
  return {
    date: '2026-12-03T10:00:00.000Z',
    machine: { cpus: 2, memoryGiB: 24, node: 'v20', cpuModel: 'Xeon', loadAverageAtStart: [1, 1, 1] },
    options: {
      steps: [10, 20],
      stepSeconds: 20,
      drainSeconds: 30,
      maxInFlight: 256,
      citizens: 200,
      variants: ['free', 'fee'],
      procedures: { free: '1.001193', fee: '1.004873' },
    },
    sqlSource: 'not counted',
    raw,
    platform: { startSeconds: 10, topicPrefix: 'pipe.', logLevel: 'info', prepareSeconds: 5 },
    idlePerSec: { commits: 1, kafkaRecords: 0, kafkaConsumed: 0, cpuMs: {} },
    idleRssMb: { intake: 110, identity: 130, kafka: 440 },
    steps,
    seqScans: [
      {
        database: 'hoso_payment_x',
        table: 'payment_intents',
        seqScans: 1200,
        seqRowsRead: 2_400_000,
        idxScans: 5,
        idxRowsFetched: 7,
      },
    ],
    tableWrites: [
      { database: 'hoso_case_x', table: 'messaging_inbox', inserted: 3000, updated: 0, hotUpdated: 0, deleted: 0 },
    ],
    dossiersAccepted: 1000,
    sustained: { free: sustainedOf(steps, 'free', raw), fee: sustainedOf(steps, 'fee', raw) },
    elapsedSec: 120,
  };
}

describe('sustained rate and report', () => {
  const steps = [
    step({}),
    step({ offered: 20, receivedPerSec: 12, keptUp: false, verdict: 'RECEIVED 12/s < 90 % of 20/s' }),
    step({
      variant: 'fee',
      keptUp: false,
      verdict: 'p99 submit→RECEIVED 9 s > 5 s',
      submitToReceivedSec: { p50: 3, p95: 8, p99: Infinity },
    }),
  ];

  it('takes the last step that kept up, with its ratios to the raw limits', () => {
    const s = sustainedOf(steps, 'free', result(steps).raw);
    expect(s).toEqual({
      offered: 10,
      receivedPerSec: 10,
      commitsPerSec: 100,
      kafkaRecordsPerSec: 50,
      ratios: {
        commitsToPgbench16: 0.01,
        commitsToNodePg16: 0.0125,
        recordsToKafkaPerf: 0.0005,
        recordsToKafkajs: 0.001,
      },
    });
    expect(sustainedOf(steps, 'fee', result(steps).raw)).toBeNull();
    expect(sustainedOf(steps, 'free', { postgres: null, kafka: null })?.ratios.commitsToPgbench16).toBeNull();
  });

  it('renders every table with each step, ∞ for a dossier never received, and the analysis', () => {
    const md = renderPipelineMarkdown(result(steps));
    expect(md).toContain('## Pipeline (`npm run bench:pipeline`) — 2026-12-03');
    expect(md).toMatch(/\| INSERT 1 row, own commit \|\s+16 \|\s+10,000 \|\s+8,000 \|/);
    expect(md).toMatch(/\| produce\s+\|\s+1,000 \|\s+100,000 \|\s+50,000 \|\s+0\.50 \|/);
    expect(md).toContain('3 / 8 / ∞');
    expect(md).toMatch(/\| hoso_payment_x \| payment_intents \|\s+1,200 \|\s+2,400,000 \|\s+5 \|\s+7 \|/);
    expect(md).toMatch(/\| hoso_case_x\s+\| messaging_inbox \|\s+3\.00 \|\s+0\.00 \(0\.00\) \|\s+0\.00 \|\s+3\.00 \|/);
    expect(md).toContain('RECEIVED 12/s < 90 % of 20/s');
    expect(md).toMatch(/\| fee\s+\|\s+no step kept up \|/);
    expect(md).toMatch(/\| free\s+\|\s+10 \(step 10\) \|\s+100 \|\s+0\.010 \|/);
    expect(md).toContain('**Analysis.** fee-free procedure: sustained 10 dossiers/s RECEIVED (step 10/s)');
    expect(analysis(result(steps))).toContain('node-pg reaches 8,000 single-row commits/s at 16 clients');
    expect(md).toMatch(/\| identity\s+\|\s+130 \|\s+140 \|/);
    expect(analysis(result(steps))).toContain('every service stayed below 150 MB resident (highest: identity 140 MB)');
  });

  it('names the services above the memory goal at the sustained rate, never the servers', () => {
    const heavy = [step({ peakRssMb: { intake: 120, identity: 171, 'case-tracking': 152, kafka: 600 } })];
    expect(analysis(result(heavy))).toContain('identity peaked at 171 MB, case-tracking peaked at 152 MB: above the');
    expect(servicesOver({ intake: 149.9, metrics: 150, postgres: 900, 'load generator': 400 }, 150)).toEqual([
      ['metrics', 150],
    ]);
    expect(maxPeaks({ a: 1, b: 5 }, { a: 3, c: 2 })).toEqual({ a: 3, b: 5, c: 2 });
  });

  it('replaces only its own section of the document', () => {
    const doc = '# Performance\n\nother section\n';
    const once = withPipelineSection(doc, '## Pipeline A');
    expect(once).toBe(`# Performance\n\nother section\n\n${PIPELINE_BEGIN}\n\n## Pipeline A\n\n${PIPELINE_END}\n`);
    const twice = withPipelineSection(`${once}\nafter\n`, '## Pipeline B');
    expect(twice).toContain('other section');
    expect(twice).toContain('## Pipeline B');
    expect(twice).not.toContain('## Pipeline A');
    expect(twice.endsWith('\nafter\n')).toBe(true);
  });
});

describe('tool output parsing', () => {
  it('reads pgbench tps, ProducerPerformance and ConsumerPerformance summaries', () => {
    expect(parsePgbenchTps('latency average = 2.4 ms\ntps = 6712.345678 (without initial connection time)\n')).toBe(
      6712.345678,
    );
    expect(parsePgbenchTps('nothing')).toBeNull();
    expect(
      parseProducerPerf(
        '100000 records sent, 96993.2 records/sec (27.75 MB/sec), 89.05 ms avg latency, 150.00 ms max latency, 92 ms 50th, 130 ms 95th, 140 ms 99th, 149 ms 99.9th.',
      ),
    ).toEqual({ records: 100000, perSec: 96993.2, avg: 89.05, p50: 92, p99: 140 });
    expect(
      parseConsumerPerf(
        'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n' +
          '2026-12-03 10:00:00:000, 2026-12-03 10:00:03:294, 28.6102, 8.6855, 100000, 30358.2271, 3000, 294, 97.3135, 340136.0544\n',
      ),
    ).toEqual({ records: 100000, fetchSec: 0.294, perSec: 340136.0544 });
  });
});

describe('arguments', () => {
  it('has defaults, and refuses what it cannot take', () => {
    const o = parsePipelineArgs([]);
    expect(o?.steps).toEqual([100, 200, 400, 800, 1200, 1600]);
    expect(o?.stepSeconds).toBe(20);
    expect(o?.variants).toEqual(['free', 'fee']);
    expect(parsePipelineArgs(['--steps', '20,50', '--step-seconds', '10', '--variants', 'fee'])).toMatchObject({
      steps: [20, 50],
      stepSeconds: 10,
      variants: ['fee'],
    });
    expect(parsePipelineArgs(['--help'])).toBeNull();
    expect(() => parsePipelineArgs(['--bogus'])).toThrow(UsageError);
    expect(() => parsePipelineArgs(['--steps', '20,x'])).toThrow(UsageError);
    expect(() => parsePipelineArgs(['--step-seconds', '2'])).toThrow(UsageError);
    expect(() => parsePipelineArgs(['--variants', 'free,cash'])).toThrow(UsageError);
    expect(() => parsePipelineArgs(['extra'])).toThrow(UsageError);
    expect(parsePipelineArgs(['--node-args=--max-semi-space-size=4  --expose-gc'])?.nodeArgs).toEqual([
      '--max-semi-space-size=4',
      '--expose-gc',
    ]);
    expect(parsePipelineArgs([])?.nodeArgs).toEqual([]);
    expect(() => parsePipelineArgs(['--node-args', 'evil.js'])).toThrow(UsageError);
  });
});
