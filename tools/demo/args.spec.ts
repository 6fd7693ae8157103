import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseDemoArgs, UsageError, USAGE } from './args';

const ROOT = resolve(__dirname, '../..');

function options(argv: string[]) {
  const r = parseDemoArgs(argv);
  if (r.help) throw new Error('unexpected help');
  return r.options;
}

describe('demo flags', () => {
  it('has gentle defaults: 2 dossiers/s until Ctrl-C, think times, simulator on, logs to files', () => {
    expect(options([])).toEqual({
      rate: 2,
      durationSec: null,
      seed: 1,
      officerThinkMs: 3000,
      citizenThinkMs: 2000,
      simulator: true,
      logs: false,
      keepInfra: false,
      runtime: 'build',
      replicas: 1,
    });
  });

  it('reads every flag', () => {
    expect(
      options([
        '--rate',
        '50',
        '--duration=120',
        '--seed',
        '7',
        '--officer-think-ms',
        '0',
        '--citizen-think-ms',
        '250',
        '--no-simulator',
        '--logs',
        '--keep-infra',
        '--ts-node',
        '--replicas',
        '3',
      ]),
    ).toEqual({
      rate: 50,
      durationSec: 120,
      seed: 7,
      officerThinkMs: 0,
      citizenThinkMs: 250,
      simulator: false,
      logs: true,
      keepInfra: true,
      runtime: 'ts-node',
      replicas: 3,
    });
    expect(options(['--rate', '0.5']).rate).toBe(0.5);
    expect(parseDemoArgs(['-h'])).toEqual({ help: true });
    expect(parseDemoArgs(['--rate', 'x', '--help'])).toEqual({ help: true });
  });

  it.each([
    [['--rate', '0'], /--rate must be a number greater than 0 and at most 1000 \(got "0"\)/],
    [['--rate=-3'], /--rate must be/],
    [['--rate', '-3'], /--rate' argument is ambiguous/],
    [['--rate', 'fast'], /--rate must be .*"fast"/],
    [['--rate', '1001'], /at most 1000/],
    [['--rate', ''], /--rate must be/],
    [['--duration', '1.5'], /--duration must be an integer at least 1/],
    [['--duration', '0'], /--duration must be/],
    [['--seed=-1'], /--seed must be an integer at least 0/],
    [['--officer-think-ms=-5'], /--officer-think-ms must be an integer at least 0/],
    [['--replicas', '0'], /--replicas must be an integer at least 1 and at most 9 \(got "0"\)/],
    [['--replicas', '10'], /--replicas must be .*at most 9/],
    [['--replicas', '1.5'], /--replicas must be an integer/],
    [['--rat', '5'], /Unknown option '--rat'/],
    [['--rate'], /--rate/],
    [['--logs=yes'], /--logs/],
    [['fast'], /unexpected argument "fast"/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseDemoArgs(argv)).toThrow(UsageError);
    expect(() => parseDemoArgs(argv)).toThrow(message);
  });

  it('npm run demo with a bad flag prints the usage and exits 2 before starting anything', () => {
    const res = spawnSync('bash', ['tools/demo/demo.sh', '--rate', '0'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('--rate must be a number greater than 0');
    expect(res.stderr).toContain(USAGE.split('\n')[0]);
    expect(res.stdout).not.toMatch(/infrastructure/);
  });
});
