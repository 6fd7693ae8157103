import type { SimulatorConfig } from './config';

/** Base URLs of the public HTTP APIs (each may carry a path prefix, e.g. behind a gateway), and the dev OTP inbox. */
export interface Endpoints {
  identity: string;
  intake: string;
  payment: string;
  /** The payment platform's (simulator's) checkout pages, as the citizen's browser reaches them. */
  paymentGateway: string;
  caseTracking: string;
  metrics: string;
  /** Where the identity service's development OTP delivery writes `<personalId>.json` (its OTP_DEV_DIR). */
  otpDir: string;
}

export interface SimulatorOptions {
  config: SimulatorConfig;
  /** Dossiers per second (mean of a Poisson arrival process). */
  rate: number;
  /** Stop arrivals after this many seconds. */
  durationSec?: number;
  /** Stop arrivals after this many dossiers. */
  dossiers?: number;
  /** Seed of every random choice of the run (not the registry's seed). */
  seed: number;
  /** Mean pause of an officer before each step of a case (0 for benchmarks). */
  officerThinkMs: number;
  /** Mean pause of a citizen before answering (payment, supplement, rating). */
  citizenThinkMs: number;
  /** Most HTTP requests in flight at once, all bots together (default 32). */
  concurrency?: number;
  /**
   * Most dossiers open at once: arrivals wait while this many have not ended (default: no limit, an open arrival
   * process as a benchmark wants). A limit keeps a slow machine from piling up work until payments expire.
   */
  maxOpen?: number;
  /** Size of the identity service's registry (its REGISTRY_SEED_COUNT; default 200,000). */
  registrySize?: number;
  /** Seed of the registry (its REGISTRY_SEED; default 20251). */
  registrySeed?: number;
  /**
   * Dossiers each citizen files in a row (default 2): one sign-in serves them all. DOMAIN.md's 19.8 million
   * online dossiers from 16.4 million portal accounts in nine months put the real figure between one and two.
   */
  dossiersPerCitizen?: number;
  /** Password of the seeded staff accounts (identity's SEED_STAFF_PASSWORD; default the development one). */
  staffPassword?: string;
  /** Password given to the commune officers the simulator creates (and signs in with when they exist). */
  communeOfficerPassword?: string;
  /** How often the simulator reads dossier statuses and officer queues (default 400 ms). */
  pollIntervalMs?: number;
  /** 'poisson' (default) or 'uniform' gaps between arrivals. */
  arrivals?: 'poisson' | 'uniform';
}

export interface SimulatorCounts {
  /** Dossiers accepted by intake so far. */
  submitted: number;
  /** Waiting for the identity check and the fee decision. */
  inIdentity: number;
  awaitingPayment: number;
  /** Received by the agency, not yet claimed. */
  inQueue: number;
  /** Claimed: being examined, decided, result being issued. */
  inProgress: number;
  awaitingSupplement: number;
  /** Ended COMPLETED with an approval. */
  completed: number;
  /** Ended COMPLETED with a rejection. */
  rejected: number;
  identityRejected: number;
  /** Ended unpaid when the payment expired. */
  abandoned: number;
  /** Withdrawn by the citizen. */
  withdrawn: number;
  /** Dossiers the simulator could not drive any further (see lastErrors). */
  errors: number;
}

export interface SimulatorError {
  at: string;
  where: string;
  message: string;
  dossierId?: string;
}

export interface SimulatorStats {
  startedAt: string | null;
  elapsedSec: number;
  counts: SimulatorCounts;
  /** Duration of each POST /dossiers (ms), in submission order. */
  submitLatencyMs: number[];
  /** The most recent errors (at most 20). */
  lastErrors: SimulatorError[];
}

export type TerminalState = 'COMPLETED' | 'REJECTED' | 'IDENTITY_REJECTED' | 'EXPIRED' | 'WITHDRAWN';

export interface SubmittedEvent {
  dossierId: string;
  receiptCode: string;
  at: string;
  latencyMs: number;
}

export interface TerminalEvent {
  dossierId: string;
  state: TerminalState;
  at: string;
}

export interface ErrorEvent {
  where: string;
  message: string;
  dossierId?: string;
}

export interface ArrivalsEndedEvent {
  /** Dossiers started (arrived) in all. */
  dossiers: number;
  at: string;
}

export interface SimulatorEvents {
  submitted: [SubmittedEvent];
  terminal: [TerminalEvent];
  error: [ErrorEvent];
  /** No more dossiers will arrive (the cap or the duration was reached, or stopArrivals() was called). */
  'arrivals-ended': [ArrivalsEndedEvent];
}

/** A dossier that had not ended when drain() gave up. */
export interface StuckDossier {
  dossierId: string | null;
  seq: number;
  phase: string;
  lastError?: string;
}

export class DrainTimeoutError extends Error {
  constructor(readonly stuck: StuckDossier[]) {
    super(
      `${stuck.length} dossier(s) did not reach a terminal state: ` +
        stuck
          .slice(0, 20)
          .map((s) => `${s.dossierId ?? `#${s.seq}`} (${s.phase}${s.lastError ? `: ${s.lastError}` : ''})`)
          .join(', ') +
        (stuck.length > 20 ? ', …' : ''),
    );
    this.name = 'DrainTimeoutError';
  }
}
