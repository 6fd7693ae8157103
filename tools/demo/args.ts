/** The demo's command line: every flag checked before anything starts (a bad one prints the usage, exit 2). */
import { parseArgs } from 'node:util';

export const USAGE = `usage: npm run demo [-- options]

Brings up the infrastructure (deploy/local), builds and starts every service, then runs the citizen
simulator with a live status line. Ctrl-C stops the simulator and every process the demo started.

  --rate N               dossiers per second (default 2; up to 1000)
  --duration S           stop arrivals after S seconds, let the dossiers in flight finish, then stop
                         (default: run until Ctrl-C)
  --seed N               seed of the simulator's random choices (default 1)
  --officer-think-ms N   mean pause of an officer before each step of a case (default 3000)
  --citizen-think-ms N   mean pause of a citizen before paying, supplying a document or rating (default 2000)
  --replicas N           processes per back-end service, behind the gateway (default 1; up to 9): replica k
                         of a service listens on its port + 100·k; with more than one, the simulator goes
                         through the gateway as the portal does
  --no-simulator         start the platform only (the status line shows what the metrics service counts)
  --logs                 show the services' logs here, prefixed by service (default: .data/logs/<service>.log)
  --keep-infra           leave Kafka and Redis running at the end even when the demo started them
  --ts-node              run the services through ts-node instead of the tsc build (slower, more memory)
  -h, --help             this text`;

export interface DemoOptions {
  rate: number;
  durationSec: number | null;
  seed: number;
  officerThinkMs: number;
  citizenThinkMs: number;
  simulator: boolean;
  logs: boolean;
  keepInfra: boolean;
  runtime: 'build' | 'ts-node';
  replicas: number;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function number(
  name: string,
  raw: string | undefined,
  fallback: number,
  check: { integer?: boolean; min: number; max: number; exclusiveMin?: boolean },
): number {
  if (raw === undefined) return fallback;
  const v = raw.trim() === '' ? NaN : Number(raw);
  const kind = check.integer ? 'an integer' : 'a number';
  const low = check.exclusiveMin ? `greater than ${check.min}` : `at least ${check.min}`;
  if (
    !Number.isFinite(v) ||
    (check.integer && !Number.isInteger(v)) ||
    (check.exclusiveMin ? v <= check.min : v < check.min) ||
    v > check.max
  ) {
    throw new UsageError(`--${name} must be ${kind} ${low} and at most ${check.max} (got "${raw}")`);
  }
  return v;
}

/** Parses the demo's flags; `help` when asked for the usage. Throws UsageError on anything else it cannot use. */
export function parseDemoArgs(argv: readonly string[]): { help: true } | { help: false; options: DemoOptions } {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    // node:util's messages name the flag ("Unknown option '--rat'"); the usage follows.
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0] ?? ''}"`);
  return {
    help: false,
    options: {
      rate: number('rate', values.rate, 2, { min: 0, exclusiveMin: true, max: 1000 }),
      durationSec:
        values.duration === undefined
          ? null
          : number('duration', values.duration, 0, { integer: true, min: 1, max: 7 * 24 * 3600 }),
      seed: number('seed', values.seed, 1, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER }),
      officerThinkMs: number('officer-think-ms', values['officer-think-ms'], 3000, {
        integer: true,
        min: 0,
        max: 3_600_000,
      }),
      citizenThinkMs: number('citizen-think-ms', values['citizen-think-ms'], 2000, {
        integer: true,
        min: 0,
        max: 3_600_000,
      }),
      simulator: !values['no-simulator'],
      logs: values.logs ?? false,
      keepInfra: values['keep-infra'] ?? false,
      runtime: values['ts-node'] ? 'ts-node' : 'build',
      replicas: number('replicas', values.replicas, 1, { integer: true, min: 1, max: 9 }),
    },
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      rate: { type: 'string' },
      duration: { type: 'string' },
      seed: { type: 'string' },
      'officer-think-ms': { type: 'string' },
      'citizen-think-ms': { type: 'string' },
      replicas: { type: 'string' },
      'no-simulator': { type: 'boolean' },
      logs: { type: 'boolean' },
      'keep-infra': { type: 'boolean' },
      'ts-node': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
