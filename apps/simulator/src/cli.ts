/** The simulator's command line: flags → validated options, or a usage error (exit 2). Pure, for tests. */
import { parseArgs } from 'node:util';
import type { Endpoints } from '@hoso/simulator';

export const USAGE = `Usage: npm run simulate -- [options]

Citizens of the registry file dossiers at a given rate; citizen and officer bots take them through the
platform's public APIs to the end; then the rates the metrics service reports are printed next to the
configured ones. Ctrl-C stops the arrivals and drains (a second Ctrl-C stops at once).

Arrivals
  --rate <n>                 dossiers per second, Poisson arrivals (default 2)
  --duration <s>             stop arrivals after s seconds
  --dossiers <n>             stop arrivals after n dossiers (without --duration or --dossiers: until Ctrl-C)
  --seed <n>                 seed of every random choice (default 1)
  --config <file>            simulator config JSON (default libs/simulator/simulator.config.json)
  --officer-think-ms <n>     mean officer pause before each step (default 1500; 0 for benchmarks)
  --citizen-think-ms <n>     mean citizen pause before paying, answering, rating (default 1000)
  --concurrency <n>          most HTTP requests in flight (default 32)
  --max-open <n>             arrivals wait while n dossiers are open (default: no limit)
  --drain-timeout <s>        how long to wait for open dossiers at the end (default 300)

Platform
  --identity-url <url>       default http://127.0.0.1:3002
  --intake-url <url>         default http://127.0.0.1:3001
  --payment-url <url>        default http://127.0.0.1:3003
  --payment-gateway-url <url> default http://127.0.0.1:3006 (the payment platform's checkout pages)
  --case-url <url>           default http://127.0.0.1:3004
  --metrics-url <url>        default http://127.0.0.1:3005
  --otp-dir <dir>            identity's OTP_DEV_DIR (default .data/otp)
  --registry-size <n>        identity's REGISTRY_SEED_COUNT (default 200000)
  --staff-password <p>       identity's SEED_STAFF_PASSWORD (default: SIMULATOR_STAFF_PASSWORD, else the dev one)
  --help                     this text`;

export interface CliOptions {
  rate: number;
  durationSec?: number;
  dossiers?: number;
  seed: number;
  configFile?: string;
  officerThinkMs: number;
  citizenThinkMs: number;
  concurrency: number;
  maxOpen?: number;
  drainTimeoutSec: number;
  registrySize: number;
  staffPassword?: string;
  endpoints: Endpoints;
}

export type CliParse = { kind: 'run'; options: CliOptions } | { kind: 'help' } | { kind: 'error'; message: string };

const FLAGS = {
  rate: { type: 'string' },
  duration: { type: 'string' },
  dossiers: { type: 'string' },
  seed: { type: 'string' },
  config: { type: 'string' },
  'officer-think-ms': { type: 'string' },
  'citizen-think-ms': { type: 'string' },
  concurrency: { type: 'string' },
  'max-open': { type: 'string' },
  'drain-timeout': { type: 'string' },
  'identity-url': { type: 'string' },
  'intake-url': { type: 'string' },
  'payment-url': { type: 'string' },
  'payment-gateway-url': { type: 'string' },
  'case-url': { type: 'string' },
  'metrics-url': { type: 'string' },
  'otp-dir': { type: 'string' },
  'registry-size': { type: 'string' },
  'staff-password': { type: 'string' },
  help: { type: 'boolean' },
} as const;

class FlagError extends Error {}

function number(
  values: Record<string, unknown>,
  name: string,
  kind: 'positive' | 'positive-int' | 'non-negative-int' | 'int',
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = typeof raw === 'string' ? raw.trim() : '';
  const n = Number(text);
  const ok =
    text !== '' &&
    Number.isFinite(n) &&
    (kind === 'positive'
      ? n > 0
      : kind === 'positive-int'
        ? Number.isSafeInteger(n) && n > 0
        : kind === 'non-negative-int'
          ? Number.isSafeInteger(n) && n >= 0
          : Number.isSafeInteger(n));
  if (!ok) {
    const what = {
      positive: 'a positive number',
      'positive-int': 'a positive integer',
      'non-negative-int': 'an integer ≥ 0',
      int: 'an integer',
    }[kind];
    throw new FlagError(`--${name} must be ${what}, got "${text}"`);
  }
  return n;
}

function url(values: Record<string, unknown>, name: string, fallback: string): string {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const text = typeof raw === 'string' ? raw : '';
  if (!URL.canParse(text) || !/^https?:$/.test(new URL(text).protocol)) {
    throw new FlagError(`--${name} must be an http(s) URL, got "${text}"`);
  }
  return text;
}

export function parseCli(argv: string[], env: Record<string, string | undefined> = {}): CliParse {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
  if (values['help']) return { kind: 'help' };
  try {
    const durationSec = number(values, 'duration', 'positive');
    const dossiers = number(values, 'dossiers', 'positive-int');
    const maxOpen = number(values, 'max-open', 'positive-int');
    const configFile = values['config'] as string | undefined;
    const staffPassword = (values['staff-password'] as string | undefined) ?? env['SIMULATOR_STAFF_PASSWORD'];
    return {
      kind: 'run',
      options: {
        rate: number(values, 'rate', 'positive') ?? 2,
        ...(durationSec === undefined ? {} : { durationSec }),
        ...(dossiers === undefined ? {} : { dossiers }),
        seed: number(values, 'seed', 'int') ?? 1,
        ...(configFile === undefined ? {} : { configFile }),
        officerThinkMs: number(values, 'officer-think-ms', 'non-negative-int') ?? 1500,
        citizenThinkMs: number(values, 'citizen-think-ms', 'non-negative-int') ?? 1000,
        concurrency: number(values, 'concurrency', 'positive-int') ?? 32,
        ...(maxOpen === undefined ? {} : { maxOpen }),
        drainTimeoutSec: number(values, 'drain-timeout', 'positive') ?? 300,
        registrySize: number(values, 'registry-size', 'positive-int') ?? 200_000,
        ...(staffPassword === undefined ? {} : { staffPassword }),
        endpoints: {
          identity: url(values, 'identity-url', 'http://127.0.0.1:3002'),
          intake: url(values, 'intake-url', 'http://127.0.0.1:3001'),
          payment: url(values, 'payment-url', 'http://127.0.0.1:3003'),
          paymentGateway: url(values, 'payment-gateway-url', 'http://127.0.0.1:3006'),
          caseTracking: url(values, 'case-url', 'http://127.0.0.1:3004'),
          metrics: url(values, 'metrics-url', 'http://127.0.0.1:3005'),
          otpDir: (values['otp-dir'] as string | undefined) ?? '.data/otp',
        },
      },
    };
  } catch (e) {
    if (e instanceof FlagError) return { kind: 'error', message: e.message };
    throw e;
  }
}
