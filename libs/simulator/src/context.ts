/** One simulated dossier's state as the simulator follows it, and what every bot shares. */
import type { CitizenRecord } from '@hoso/population';
import type { CatalogProcedure } from './catalog';
import type { SimulatorConfig } from './config';
import { HttpError, type HttpClient, type HttpResponse } from './http';
import type { Lifetime } from './lifetime';
import type { Channel, DossierTraits } from './plan';
import { BinaryQuota, QuotaStream } from './quota';
import { Rng } from './random';
import type { Sessions } from './sessions';
import type { Endpoints, SimulatorCounts, TerminalState } from './types';

/**
 * Where a dossier is, from the simulator's side. `identity` … `closing` are waiting on the platform or a bot;
 * `parked` waits for its payment to expire; `elsewhere` is being handled by someone the simulator does not drive
 * (another officer claimed it first).
 */
export type Phase =
  | 'preparing'
  | 'identity'
  | 'payment'
  | 'parked'
  | 'withdrawing'
  | 'reception'
  | 'queue'
  | 'processing'
  | 'supplement'
  | 'closing'
  | 'elsewhere'
  | 'terminal'
  | 'failed';

/** `cash`: paid at the counter, recorded by the agency's officer (counter dossiers only). */
export type PaymentPlan = 'pay' | 'decline' | 'cash' | 'withdraw' | 'expire';

export interface Run {
  seq: number;
  traits: DossierTraits;
  procedure: CatalogProcedure;
  provinceCode: string;
  agencyCode: string;
  citizen: CitizenRecord;
  phase: Phase;
  dossierId: string | null;
  receiptCode: string | null;
  /** Whether the payment service asked for a fee (null until known). */
  feeCharged: boolean | null;
  paymentPlan: PaymentPlan | null;
  caseId: string | null;
  outcome: 'APPROVED' | 'REJECTED' | null;
  /** The case reached RECEIVED (the simulator's own tally, to know when metrics has caught up). */
  received: boolean;
  rated: boolean;
  /** Bots still acting on the dossier after the platform may already show it ended (the rating). */
  pendingActions: number;
  /** The platform showed the dossier COMPLETED while a rating was still on its way. */
  completedSeen: boolean;
  terminal: TerminalState | null;
  lastError: string | null;
}

/** Phase → the gauge of SimulatorStats it counts in. */
export function countPhase(counts: SimulatorCounts, run: Run): void {
  switch (run.phase) {
    case 'preparing':
      return;
    case 'identity':
      counts.inIdentity++;
      return;
    case 'payment':
    case 'parked':
    case 'withdrawing':
      counts.awaitingPayment++;
      return;
    case 'reception':
    case 'queue':
      counts.inQueue++;
      return;
    case 'processing':
    case 'closing':
    case 'elsewhere':
      counts.inProgress++;
      return;
    case 'supplement':
      counts.awaitingSupplement++;
      return;
    case 'failed':
      counts.errors++;
      return;
    case 'terminal':
      switch (run.terminal) {
        case 'COMPLETED':
          counts.completed++;
          return;
        case 'REJECTED':
          counts.rejected++;
          return;
        case 'IDENTITY_REJECTED':
          counts.identityRejected++;
          return;
        case 'EXPIRED':
          counts.abandoned++;
          return;
        case 'WITHDRAWN':
          counts.withdrawn++;
          return;
        case null:
          return;
      }
  }
}

/** The outcomes decided as the run goes, each on its own population, by quotas (see quota.ts). */
export class RuntimeQuotas {
  readonly abandon: BinaryQuota;
  readonly withdrawWhenAbandoning: BinaryQuota;
  readonly decline: BinaryQuota;
  readonly cash: BinaryQuota;
  readonly supplement: BinaryQuota;
  readonly reject: BinaryQuota;
  readonly rate: BinaryQuota;
  readonly satisfied: BinaryQuota;
  private readonly happy: QuotaStream<'4' | '5'> | null;
  private readonly unhappy: QuotaStream<'1' | '2' | '3'> | null;

  constructor(config: SimulatorConfig, seed: number) {
    const rng = (name: string) => new Rng(seed, `quota:${name}`);
    const p = config.payment;
    this.abandon = new BinaryQuota(p.abandonRate, rng('abandon'));
    this.withdrawWhenAbandoning = new BinaryQuota(p.abandonWithdrawShare, rng('withdraw'));
    // Declines are drawn among the dossiers that will be paid through the platform, so abandonments keep their
    // exact share.
    this.decline = new BinaryQuota(p.abandonRate < 1 ? p.declineRate / (1 - p.abandonRate) : 0, rng('decline'));
    // Drawn among the counter dossiers that will be paid: the cash share of those is exact, whatever abandons.
    this.cash = new BinaryQuota(p.counterCashShare, rng('cash'));
    this.supplement = new BinaryQuota(config.processing.supplementRate, rng('supplement'));
    this.reject = new BinaryQuota(config.processing.rejectionRate, rng('reject'));
    this.rate = new BinaryQuota(config.rating.ratedShare, rng('rate'));
    const s = config.rating.scores;
    const high = s['4'] + s['5'];
    const low = s['1'] + s['2'] + s['3'];
    this.satisfied = new BinaryQuota(high / (high + low), rng('satisfied'));
    this.happy = high > 0 ? new QuotaStream({ '4': s['4'], '5': s['5'] }, rng('happy')) : null;
    this.unhappy = low > 0 ? new QuotaStream({ '1': s['1'], '2': s['2'], '3': s['3'] }, rng('unhappy')) : null;
  }

  paymentPlan(channel: Channel): PaymentPlan {
    if (this.abandon.next()) return this.withdrawWhenAbandoning.next() ? 'withdraw' : 'expire';
    if (channel === 'COUNTER' && this.cash.next()) return 'cash';
    return this.decline.next() ? 'decline' : 'pay';
  }

  /** A score 1–5: satisfied (4–5) or not by its own quota, then the score within that group by its weights. */
  score(): number {
    const stream = (this.satisfied.next() ? this.happy : this.unhappy) ?? this.happy ?? this.unhappy;
    // The config schema requires a positive weight for some score.
    if (!stream) throw new Error('rating.scores has no positive weight');
    return Number(stream.next());
  }
}

/** Everything the bots share. */
export interface Ctx {
  http: HttpClient;
  endpoints: Endpoints;
  sessions: Sessions;
  lifetime: Lifetime;
  config: SimulatorConfig;
  quotas: RuntimeQuotas;
  /** Form values, payment methods, pauses: seeded but not checked against a rate. */
  rng: Rng;
  officerThinkMs: number;
  citizenThinkMs: number;
  staffPassword: string;
  communeOfficerPassword: string;
  /** Records an error of a run (or of the simulator when `run` is null); the run is driven no further. */
  fail(run: Run | null, where: string, e: unknown): void;
  /** Records something that went wrong for a run the platform will still end (in stats().lastErrors). */
  note(run: Run, where: string, message: string): void;
  /** The run ended in `state`. */
  end(run: Run, state: TerminalState): void;
}

/**
 * Sends a state-changing request until the platform answers it with something other than a server error. A 5xx
 * may come after the change was made (or before: a saturated service that could not get a database connection),
 * so before sending again `happened` asks the platform whether the change is already there; null means it was.
 */
export async function settle(
  ctx: Ctx,
  what: string,
  send: () => Promise<HttpResponse>,
  happened: () => Promise<boolean> = () => Promise.resolve(false),
): Promise<HttpResponse | null> {
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    const res = await send();
    if (res.status < 500) return res;
    const pause = Math.min(300 * attempt, 2000);
    if (waited + pause > SETTLE_PATIENCE_MS) throw new HttpError('POST', what, res.status, res.text);
    waited += pause;
    await ctx.lifetime.sleep(pause);
    if (await happened().catch(() => false)) return null;
  }
}

/**
 * How long (in pauses between attempts) a state-changing request is tried again on server errors. Time, not a
 * count of attempts: a service
 * that calls another one being restarted (payment opening a checkout while the payment platform starts again)
 * answers 502 for the seconds the restart takes, and a citizen tries again for about as long as a page waits.
 */
export const SETTLE_PATIENCE_MS = 30_000;

/** A pause of about `meanMs` (uniform between half and one and a half times it). */
export function think(ctx: Ctx, meanMs: number): Promise<void> {
  if (meanMs <= 0) return ctx.lifetime.sleep(0);
  return ctx.lifetime.sleep(Math.round(meanMs * (0.5 + ctx.rng.next())));
}
