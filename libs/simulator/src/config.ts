import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CURRENT_PROVINCES } from '@hoso/population';

const share = z.number().min(0, 'must be at least 0').max(1, 'must be at most 1');
const weight = z.number().nonnegative('must not be negative');

/**
 * What the simulated population does. Every default in `simulator.config.json` is traced to a figure of DOMAIN.md
 * (or marked as an assumption) in the library's README.
 */
export const SimulatorConfig = z.strictObject({
  $comment: z.string().optional(),
  channel: z.strictObject({
    /** Share of dossiers submitted online by the citizen; the rest are filed at an agency's counter by an officer. */
    onlineShare: share,
  }),
  procedures: z.strictObject({
    /** Share of dossiers for a fully online (FULL, toàn trình) procedure, whatever the channel. */
    fullyOnlineShare: share,
    /** Relative popularity of each simulated procedure (catalog code → weight); others are never chosen. */
    weights: z
      .record(z.string().regex(/^\d\.\d{6}$/, 'must be a catalog code N.NNNNNN'), weight)
      .refine((w) => Object.values(w).some((v) => v > 0), 'needs at least one procedure with a positive weight'),
  }),
  provinces: z
    .strictObject({
      /** Relative weight of each current province (2-digit code); default: @hoso/population's population figures. */
      weights: z
        .record(z.string().regex(/^\d{2}$/, 'must be a 2-digit province code'), weight)
        .refine((w) => Object.values(w).some((v) => v > 0), 'needs at least one province with a positive weight')
        .optional(),
      /** How many of a province's communes receive its commune-level dossiers (each needs an officer account). */
      communesPerProvince: z.number().int().min(1).max(200),
    })
    .default({ communesPerProvince: 2 }),
  identity: z.strictObject({
    /** Share of dossiers whose applicant data fails the registry check (a name typed without its diacritics). */
    failureRate: share,
  }),
  payment: z
    .strictObject({
      $comment: z.string().optional(),
      /**
       * Share of fee-paying dossiers whose first payment is declined at the gateway (the citizen pays again); drawn
       * among the dossiers paid through the platform, so cash at the counter (never declined) makes them fewer.
       */
      declineRate: share,
      /** Share of fee-paying dossiers the citizen never pays. */
      abandonRate: share,
      /** Of those, the share the citizen withdraws; the others end when the payment expires. */
      abandonWithdrawShare: share,
      /**
       * Of the fee-paying dossiers filed at a counter (and paid), the share paid in cash there — the agency's officer
       * records it, and it does not count as an online payment; the others pay through the payment platform (a QR
       * payment at the counter). DOMAIN.md gives no national figure; Lâm Đồng's (52 % filed online, 43.6 % paid
       * online) leaves no room for counter fees paid online, so the default is near all of them (see the README).
       */
      counterCashShare: share,
    })
    .refine((p) => p.declineRate + p.abandonRate <= 1, {
      message: 'declineRate + abandonRate must be at most 1',
      path: ['abandonRate'],
    }),
  processing: z.strictObject({
    /** Share of claimed cases for which the officer asks the citizen for a supplementary document. */
    supplementRate: share,
    /** Share of decided cases the officer rejects (with a reason); the rest are approved. */
    rejectionRate: share,
  }),
  documents: z.strictObject({
    /** Share of dossiers submitted with scanned documents attached (digitised dossiers). */
    attachmentShare: share,
  }),
  rating: z.strictObject({
    /** Share of completed dossiers whose citizen rates the service. */
    ratedShare: share,
    /** Relative frequency of each score 1–5 among ratings. */
    scores: z
      .strictObject({ '1': weight, '2': weight, '3': weight, '4': weight, '5': weight })
      .refine((s) => Object.values(s).some((v) => v > 0), 'needs at least one score with a positive weight'),
  }),
  /** How far (in percentage points) a reported rate may be from the configured one and still count as agreeing. */
  tolerancePoints: z.number().positive().max(50).default(2),
});
export type SimulatorConfig = z.output<typeof SimulatorConfig>;

export class SimulatorConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid simulator config ${source}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SimulatorConfigError';
  }
}

/** Validates a parsed config object; every problem is listed with its field path. */
export function parseSimulatorConfig(raw: unknown, source = '(object)'): SimulatorConfig {
  const result = SimulatorConfig.safeParse(raw);
  if (!result.success) {
    throw new SimulatorConfigError(
      source,
      result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

/** Reads and validates a JSON config file. */
export function loadSimulatorConfig(file: string): SimulatorConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SimulatorConfigError(file, [`cannot be read: ${(e as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SimulatorConfigError(file, [`is not JSON: ${(e as Error).message}`]);
  }
  return parseSimulatorConfig(raw, file);
}

/** The default configuration file, next to this library's README. */
export const DEFAULT_CONFIG_FILE = join(__dirname, '..', 'simulator.config.json');

export function defaultSimulatorConfig(): SimulatorConfig {
  return loadSimulatorConfig(DEFAULT_CONFIG_FILE);
}

/** Province weights: the config's, else the population of each current province. */
export function provinceWeights(config: SimulatorConfig): [code: string, weight: number][] {
  const custom = config.provinces.weights;
  if (custom) return Object.entries(custom);
  return CURRENT_PROVINCES.map((p) => [p.code, p.population]);
}

/** Share of ratings at or above `from` (the metrics service counts 4 and 5 as satisfied). */
export function scoreShareAtLeast(config: SimulatorConfig, from: number): number {
  const entries = Object.entries(config.rating.scores);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  return entries.filter(([k]) => Number(k) >= from).reduce((s, [, w]) => s + w, 0) / total;
}
