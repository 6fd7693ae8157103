import { parseCli } from './cli';
import { percentile, progressLine, summary } from './report';

describe('simulator command line', () => {
  it('has defaults for a local platform', () => {
    const r = parseCli([]);
    expect(r.kind).toBe('run');
    if (r.kind !== 'run') return;
    expect(r.options).toMatchObject({ rate: 2, seed: 1, officerThinkMs: 1500, citizenThinkMs: 1000, concurrency: 32 });
    expect(r.options.endpoints).toEqual({
      identity: 'http://127.0.0.1:3002',
      intake: 'http://127.0.0.1:3001',
      payment: 'http://127.0.0.1:3003',
      paymentGateway: 'http://127.0.0.1:3006',
      caseTracking: 'http://127.0.0.1:3004',
      metrics: 'http://127.0.0.1:3005',
      otpDir: '.data/otp',
    });
    expect(r.options).not.toHaveProperty('dossiers');
    expect(r.options).not.toHaveProperty('durationSec');
  });

  it('reads every flag', () => {
    const r = parseCli([
      '--rate=12.5',
      '--duration',
      '60',
      '--dossiers',
      '500',
      '--seed=-3',
      '--config',
      'my.json',
      '--officer-think-ms',
      '0',
      '--citizen-think-ms',
      '0',
      '--concurrency',
      '8',
      '--max-open',
      '40',
      '--drain-timeout',
      '30',
      '--identity-url',
      'https://gw.example.vn/identity',
      '--intake-url',
      'https://gw.example.vn/intake',
      '--payment-url',
      'http://p:1',
      '--payment-gateway-url',
      'http://g:2',
      '--case-url',
      'http://c:3',
      '--metrics-url',
      'http://m:4',
      '--otp-dir',
      '/tmp/otp',
      '--registry-size',
      '5000',
      '--staff-password',
      'secret',
    ]);
    expect(r).toMatchObject({
      kind: 'run',
      options: {
        rate: 12.5,
        durationSec: 60,
        dossiers: 500,
        seed: -3,
        configFile: 'my.json',
        officerThinkMs: 0,
        citizenThinkMs: 0,
        concurrency: 8,
        maxOpen: 40,
        drainTimeoutSec: 30,
        registrySize: 5000,
        staffPassword: 'secret',
        endpoints: {
          identity: 'https://gw.example.vn/identity',
          intake: 'https://gw.example.vn/intake',
          caseTracking: 'http://c:3',
          otpDir: '/tmp/otp',
        },
      },
    });
  });

  it('takes the staff password from the environment when no flag gives it', () => {
    const r = parseCli([], { SIMULATOR_STAFF_PASSWORD: 'from-env' });
    expect(r).toMatchObject({ kind: 'run', options: { staffPassword: 'from-env' } });
  });

  it.each([
    [['--rate', '0'], '--rate must be a positive number, got "0"'],
    [['--rate', 'fast'], '--rate must be a positive number, got "fast"'],
    [['--dossiers', '2.5'], '--dossiers must be a positive integer, got "2.5"'],
    [['--max-open', '0'], '--max-open must be a positive integer, got "0"'],
    [['--seed', '1e400'], '--seed must be an integer'],
    [['--officer-think-ms=-5'], '--officer-think-ms must be an integer ≥ 0'],
    [['--intake-url', 'ftp://x'], '--intake-url must be an http(s) URL'],
    [['--intake-url', 'nonsense'], '--intake-url must be an http(s) URL'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['extra'], 'Unexpected argument'],
  ])('refuses %j with a message', (argv, message) => {
    const r = parseCli(argv);
    expect(r.kind).toBe('error');
    if (r.kind === 'error') expect(r.message).toContain(message);
  });

  it('answers --help', () => {
    expect(parseCli(['--help'])).toEqual({ kind: 'help' });
  });
});

describe('simulator report', () => {
  const stats = {
    startedAt: '2026-01-01T00:00:00.000Z',
    elapsedSec: 12.3,
    counts: {
      submitted: 10,
      inIdentity: 1,
      awaitingPayment: 1,
      inQueue: 1,
      inProgress: 1,
      awaitingSupplement: 0,
      completed: 3,
      rejected: 1,
      identityRejected: 1,
      abandoned: 0,
      withdrawn: 1,
      errors: 0,
    },
    submitLatencyMs: [50, 10, 40, 20, 30],
    lastErrors: [{ at: '2026-01-01T00:00:05.000Z', where: 'officer', message: 'boom', dossierId: 'd1' }],
  };

  it('takes nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile(stats.submitLatencyMs, 50)).toBe(30);
    expect(percentile(stats.submitLatencyMs, 95)).toBe(50);
    expect(percentile(stats.submitLatencyMs, 0)).toBe(10);
  });

  it('prints progress and the summary', () => {
    expect(progressLine(stats)).toMatch(/^t=12s submitted 10 \| open: identity 1 .* \| submit p50 30 ms$/);
    const text = summary(stats);
    expect(text).toContain('Dossiers: 10 submitted in 12.3 s');
    expect(text).toContain('p50 30 ms, p95 50 ms, p99 50 ms, max 50 ms');
    expect(text).toContain('officer d1: boom');
  });
});
