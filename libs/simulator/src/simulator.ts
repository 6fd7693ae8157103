/**
 * The citizen simulator: dossiers arrive at a given rate from citizens of the registry, for procedures by
 * popularity and provinces by population; citizen and officer bots take each through the platform's public HTTP
 * APIs (and the payment platform's checkout) until it ends; the rates the metrics service then reports are set
 * next to the ones the configuration implies. See the library's README.
 */
import { EventEmitter } from 'node:events';
import { CURRENT_PROVINCES } from '@hoso/population';
import { loadCommuneAgencies, loadProcedures, type CatalogProcedure } from './catalog';
import { CitizenBot } from './citizen-bot';
import { countPhase, type Ctx, type Run, RuntimeQuotas } from './context';
import { provinceWeights } from './config';
import { HttpClient, joinUrl } from './http';
import { Lifetime, StoppedError } from './lifetime';
import { StatusObserver } from './observer';
import { Officers } from './officers';
import { TraitPlanner, type ServiceLevel } from './plan';
import { WeightedPicker } from './quota';
import { Rng } from './random';
import { compareRates, countsDelta, RATE_COUNTS, type RateComparison, type RateCounts } from './rates';
import { CitizenPools } from './registry';
import { OtpLimitError, Sessions } from './sessions';
import {
  DrainTimeoutError,
  type Endpoints,
  type SimulatorCounts,
  type SimulatorError,
  type SimulatorEvents,
  type SimulatorOptions,
  type SimulatorStats,
  type StuckDossier,
  type TerminalState,
} from './types';

const TERMINAL_STATUS: Record<string, TerminalState | undefined> = {
  IDENTITY_REJECTED: 'IDENTITY_REJECTED',
  EXPIRED: 'EXPIRED',
  WITHDRAWN: 'WITHDRAWN',
};
const PAST_PAYMENT = new Set(['WAIVED', 'PAID', 'RECEIVED', 'IN_PROCESS', 'SUPPLEMENT_REQUESTED', 'TRANSFERRED']);
const PAST_RECEPTION = new Set(['IN_PROCESS', 'SUPPLEMENT_REQUESTED', 'TRANSFERRED', 'APPROVED', 'REJECTED']);

function validateOptions(o: SimulatorOptions): string[] {
  const problems: string[] = [];
  const positive = (name: string, v: number | undefined, integer = false) => {
    if (v === undefined) return;
    if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
      problems.push(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
    }
  };
  const nonNegative = (name: string, v: number) => {
    if (!Number.isFinite(v) || v < 0) problems.push(`${name} must be 0 or more, got ${v}`);
  };
  positive('rate', o.rate);
  positive('durationSec', o.durationSec);
  positive('dossiers', o.dossiers, true);
  positive('concurrency', o.concurrency, true);
  positive('maxOpen', o.maxOpen, true);
  positive('registrySize', o.registrySize, true);
  positive('dossiersPerCitizen', o.dossiersPerCitizen, true);
  positive('pollIntervalMs', o.pollIntervalMs);
  nonNegative('officerThinkMs', o.officerThinkMs);
  nonNegative('citizenThinkMs', o.citizenThinkMs);
  if (!Number.isSafeInteger(o.seed)) problems.push(`seed must be an integer, got ${o.seed}`);
  return problems;
}

export class Simulator {
  readonly events = new EventEmitter<SimulatorEvents>();
  private readonly http: HttpClient;
  private readonly lifetime = new Lifetime();
  private readonly sessions: Sessions;
  private readonly ctx: Ctx;
  private readonly officers: Officers;
  private readonly citizens: CitizenBot;
  private readonly observer: StatusObserver;
  private readonly planner: TraitPlanner;
  private readonly assignRng: Rng;
  private readonly arrivalRng: Rng;
  private readonly runs: Run[] = [];
  private readonly flows = new Set<Promise<void>>();
  private readonly submitLatencyMs: number[] = [];
  private readonly lastErrors: SimulatorError[] = [];
  private prepared: Promise<void> | null = null;
  private arrivalTimer: NodeJS.Timeout | null = null;
  private arrivalsOpen = false;
  private arrivalsDone = false;
  private pollLoop: Promise<void> | null = null;
  private startedAt: number | null = null;
  private nextArrivalAt = 0;
  private baseline: RateCounts | null = null;
  // Filled by prepare().
  private pools: CitizenPools | null = null;
  private procedurePickers = new Map<ServiceLevel, WeightedPicker<CatalogProcedure>>();
  private provincePicker: WeightedPicker<string> | null = null;
  private communes = new Map<string, string[]>();

  constructor(
    private readonly endpoints: Endpoints,
    private readonly options: SimulatorOptions,
  ) {
    const problems = validateOptions(options);
    if (problems.length) throw new RangeError(`Invalid simulator options:\n  - ${problems.join('\n  - ')}`);
    this.http = new HttpClient(options.concurrency ?? 32);
    this.sessions = new Sessions(this.http, endpoints.identity, endpoints.otpDir, this.lifetime);
    this.ctx = {
      http: this.http,
      endpoints,
      sessions: this.sessions,
      lifetime: this.lifetime,
      config: options.config,
      quotas: new RuntimeQuotas(options.config, options.seed),
      rng: new Rng(options.seed, 'details'),
      officerThinkMs: options.officerThinkMs,
      citizenThinkMs: options.citizenThinkMs,
      staffPassword: options.staffPassword ?? 'hoso-dev-password',
      communeOfficerPassword: options.communeOfficerPassword ?? 'Hoso-Sim-Officer-2025',
      fail: (run, where, e) => {
        this.fail(run, where, e);
      },
      end: (run, state) => {
        this.end(run, state);
      },
      note: (run, where, message) => {
        this.record(run, where, message);
      },
    };
    this.officers = new Officers(this.ctx, {
      supply: (run) => this.citizens.supply(run),
      rate: (run) => this.citizens.rate(run),
    });
    this.citizens = new CitizenBot(this.ctx, this.officers);
    this.observer = new StatusObserver(this.ctx, (run, status) => {
      this.onStatus(run, status);
    });
    this.planner = new TraitPlanner(options.config, options.seed, options.dossiers);
    this.assignRng = new Rng(options.seed, 'assign');
    this.arrivalRng = new Rng(options.seed, 'arrivals');
  }

  /** Prepares (catalog, registry, accounts, a first metrics reading), then opens arrivals. */
  start(): void {
    if (this.prepared) throw new Error('the simulator was already started');
    this.arrivalsOpen = true;
    this.prepared = this.prepare();
    this.prepared.then(
      () => {
        if (!this.arrivalsOpen || this.lifetime.stopped) return;
        this.startedAt = Date.now();
        this.nextArrivalAt = this.startedAt;
        this.scheduleArrival();
        this.pollLoop = this.poll();
      },
      (e: unknown) => {
        this.fail(null, 'start', e);
        this.stopArrivals();
      },
    );
  }

  /** Resolves once preparation is over (arrivals have begun); rejects with the reason it failed. */
  async ready(): Promise<void> {
    if (!this.prepared) throw new Error('start() the simulator first');
    await this.prepared;
  }

  stopArrivals(): void {
    this.arrivalsOpen = false;
    if (this.arrivalTimer) clearTimeout(this.arrivalTimer);
    this.arrivalTimer = null;
    if (this.arrivalsDone) return;
    this.arrivalsDone = true;
    this.events.emit('arrivals-ended', { dossiers: this.runs.length, at: new Date().toISOString() });
  }

  /** Whether dossiers may still arrive. */
  get arriving(): boolean {
    return !this.arrivalsDone;
  }

  /** Resolves when every started dossier ended; rejects with the dossiers still open after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    await this.ready();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const open = this.runs.filter((r) => r.phase !== 'terminal' && r.phase !== 'failed');
      const failed = this.runs.filter((r) => r.phase === 'failed');
      // Failed dossiers will not move again: no point waiting for them.
      if (this.arrivalsDone && open.length === 0) {
        if (failed.length) throw new DrainTimeoutError(failed.map((r) => this.stuck(r)));
        return;
      }
      if (Date.now() > deadline) throw new DrainTimeoutError([...open, ...failed].map((r) => this.stuck(r)));
      await this.lifetime.sleep(100);
    }
  }

  /** Stops every bot and timer and closes every connection. */
  async stop(): Promise<void> {
    this.stopArrivals();
    this.lifetime.stop();
    this.http.close();
    await Promise.allSettled([this.prepared, this.pollLoop, ...this.flows]);
    await this.officers.settled();
  }

  stats(): SimulatorStats {
    const counts: SimulatorCounts = {
      submitted: 0,
      inIdentity: 0,
      awaitingPayment: 0,
      inQueue: 0,
      inProgress: 0,
      awaitingSupplement: 0,
      completed: 0,
      rejected: 0,
      identityRejected: 0,
      abandoned: 0,
      withdrawn: 0,
      errors: 0,
    };
    for (const run of this.runs) {
      if (run.dossierId) counts.submitted++;
      countPhase(counts, run);
    }
    return {
      startedAt: this.startedAt === null ? null : new Date(this.startedAt).toISOString(),
      elapsedSec: this.startedAt === null ? 0 : (Date.now() - this.startedAt) / 1000,
      counts,
      submitLatencyMs: [...this.submitLatencyMs],
      lastErrors: [...this.lastErrors],
    };
  }

  /**
   * Each rate the metrics service reports for this run, next to the configured value. Waits (up to `timeoutMs`)
   * until metrics has projected every submission, reception, completion and rating the simulator saw.
   */
  async compareRates(timeoutMs = 60_000): Promise<RateComparison[]> {
    const before = this.baseline;
    if (!before) throw new Error('the simulator has not read the metrics yet (start() it first)');
    const own = this.ownCounts();
    const deadline = Date.now() + timeoutMs;
    let delta = countsDelta(await this.readMetrics(), before);
    while (
      (delta.submitted < own.submitted ||
        delta.identityRejected < own.identityRejected ||
        delta.received < own.received ||
        delta.completed < own.completed ||
        delta.rated < own.rated) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 250));
      delta = countsDelta(await this.readMetrics(), before);
    }
    const stratum = this.runs.filter(
      (r) =>
        r.traits.channel === 'ONLINE' &&
        r.traits.serviceLevel === 'FULL' &&
        !r.traits.identityFailure &&
        r.feeCharged !== null,
    );
    const fee = stratum.filter((r) => r.feeCharged).length;
    const paidFees = this.runs.filter(
      (r) => r.feeCharged === true && r.paymentPlan !== 'withdraw' && r.paymentPlan !== 'expire',
    );
    const atCounter = paidFees.filter((r) => r.traits.channel === 'COUNTER').length;
    return compareRates(this.options.config, delta, {
      feeShareOfEndToEndStratum: stratum.length ? fee / stratum.length : null,
      counterShareOfPaidFees: paidFees.length ? atCounter / paidFees.length : null,
    });
  }

  // ------------------------------------------------------------------------------------------------------------

  private async prepare(): Promise<void> {
    const { config } = this.options;
    const codes = Object.entries(config.procedures.weights)
      .filter(([, w]) => w > 0)
      .map(([c]) => c);
    const procedures = await loadProcedures(this.http, this.endpoints.intake, codes);
    for (const level of ['FULL', 'PARTIAL'] as const) {
      const share = level === 'FULL' ? config.procedures.fullyOnlineShare : 1 - config.procedures.fullyOnlineShare;
      const own = procedures.filter((p) => p.serviceLevel === level);
      if (own.length === 0) {
        if (share > 0) throw new Error(`the config gives ${level} procedures a share but weighs none of them`);
        continue;
      }
      this.procedurePickers.set(level, new WeightedPicker(own.map((p) => [p, config.procedures.weights[p.code] ?? 0])));
    }
    const provinces = provinceWeights(config);
    const unknown = provinces.filter(([code]) => !CURRENT_PROVINCES.some((p) => p.code === code)).map(([c]) => c);
    if (unknown.length) throw new Error(`provinces.weights: no current province ${unknown.join(', ')}`);
    this.provincePicker = new WeightedPicker(provinces);
    if (procedures.some((p) => p.agencyLevel === 'commune')) {
      this.communes = await loadCommuneAgencies(this.http, this.endpoints.intake);
      const without = provinces.filter(([code, w]) => w > 0 && !this.communes.get(code)?.length).map(([c]) => c);
      if (without.length) throw new Error(`intake lists no commune agency in province(s) ${without.join(', ')}`);
    }
    // Every ministry the config sends dossiers to must have an officer to process them.
    const ministries = [...new Set(procedures.flatMap((p) => (p.ministryAgencyCode ? [p.ministryAgencyCode] : [])))];
    const refused: string[] = [];
    await Promise.all(
      ministries.map(async (code) => {
        try {
          await this.officers.token(code);
        } catch (e) {
          refused.push(`${code} (${(e as Error).message})`);
        }
      }),
    );
    if (refused.length) throw new Error(`no officer can sign in for ministry agencies: ${refused.join('; ')}`);
    this.pools = new CitizenPools(
      this.options.registrySeed ?? 20251,
      this.options.registrySize ?? 200_000,
      this.options.seed,
      this.options.dossiersPerCitizen ?? 2,
    );
    // The status feed is followed from before the first submission, so no change of this run's dossiers is missed.
    await this.observer.start();
    this.baseline = await this.readMetrics();
  }

  private async readMetrics(): Promise<RateCounts> {
    const token = await this.sessions.staffToken('operator', this.ctx.staffPassword);
    const summary = await this.http.json<{ counts: Record<string, number> }>(
      'GET',
      joinUrl(this.endpoints.metrics, '/rates/summary'),
      { token, retry: true },
    );
    return Object.fromEntries(RATE_COUNTS.map((k) => [k, summary.counts[k] ?? 0])) as RateCounts;
  }

  private scheduleArrival(): void {
    if (!this.arrivalsOpen) return;
    const mean = 1000 / this.options.rate;
    this.nextArrivalAt += this.options.arrivals === 'uniform' ? mean : this.arrivalRng.exponential(mean);
    this.arrivalTimer = setTimeout(
      () => {
        this.arrive();
      },
      Math.max(0, this.nextArrivalAt - Date.now()),
    );
  }

  private arrive(): void {
    const { dossiers, durationSec } = this.options;
    const elapsed = (Date.now() - (this.startedAt ?? Date.now())) / 1000;
    if (
      !this.arrivalsOpen ||
      (dossiers !== undefined && this.runs.length >= dossiers) ||
      (durationSec !== undefined && elapsed >= durationSec)
    ) {
      this.stopArrivals();
      return;
    }
    if (this.options.maxOpen !== undefined && this.openCount() >= this.options.maxOpen) {
      // Wait for a dossier to end; the arrival process resumes from then, without a burst to catch up.
      this.nextArrivalAt = Date.now();
      this.arrivalTimer = setTimeout(() => {
        this.arrive();
      }, 50);
      return;
    }
    const run = this.newRun(this.runs.length);
    this.runs.push(run);
    const flow = this.submit(run);
    this.flows.add(flow);
    void flow.finally(() => this.flows.delete(flow));
    if (dossiers !== undefined && this.runs.length >= dossiers) this.stopArrivals();
    else this.scheduleArrival();
  }

  private newRun(seq: number): Run {
    const traits = this.planner.next();
    const picker = this.procedurePickers.get(traits.serviceLevel) ?? [...this.procedurePickers.values()][0];
    if (!picker || !this.provincePicker || !this.pools) throw new Error('the simulator is not prepared');
    const procedure = picker.pick(this.assignRng);
    const provinceCode = this.provincePicker.pick(this.assignRng);
    const agencyCode =
      procedure.agencyLevel === 'ministry'
        ? (procedure.ministryAgencyCode ?? '')
        : procedure.agencyLevel === 'province'
          ? `P${provinceCode}`
          : this.assignRng.pick(
              (this.communes.get(provinceCode) ?? []).slice(0, this.options.config.provinces.communesPerProvince),
            );
    return {
      seq,
      traits: { ...traits, serviceLevel: procedure.serviceLevel },
      procedure,
      provinceCode,
      agencyCode,
      citizen: this.pools.next(provinceCode, procedure.requiredVneidLevel),
      phase: 'preparing',
      dossierId: null,
      receiptCode: null,
      feeCharged: null,
      paymentPlan: null,
      caseId: null,
      outcome: null,
      received: false,
      rated: false,
      pendingActions: 0,
      completedSeen: false,
      terminal: null,
      lastError: null,
    };
  }

  private async submit(run: Run): Promise<void> {
    try {
      let answer;
      for (let attempt = 1; ; attempt++) {
        try {
          answer = await this.citizens.submit(run);
          break;
        } catch (e) {
          // This citizen asked for too many codes lately (an earlier run): another one of the province files it.
          if (!(e instanceof OtpLimitError) || attempt >= 5 || !this.pools) throw e;
          run.citizen = this.pools.next(run.provinceCode, run.procedure.requiredVneidLevel);
        }
      }
      run.dossierId = answer.id;
      run.receiptCode = answer.receiptCode;
      run.phase = 'identity';
      this.submitLatencyMs.push(answer.latencyMs);
      this.events.emit('submitted', {
        dossierId: answer.id,
        receiptCode: answer.receiptCode,
        at: new Date().toISOString(),
        latencyMs: answer.latencyMs,
      });
    } catch (e) {
      this.fail(run, 'submit', e);
    }
  }

  /** Reads the statuses and starts the officers' looks at their queues, every poll interval. */
  private async poll(): Promise<void> {
    while (!this.lifetime.stopped) {
      this.officers.pollQueues();
      try {
        await this.observer.poll(this.runs);
      } catch (e) {
        this.fail(null, 'poll', e);
      }
      try {
        await this.lifetime.sleep(this.options.pollIntervalMs ?? 400);
      } catch {
        return;
      }
    }
  }

  /** What the platform's status of a dossier means for the bots. */
  private onStatus(run: Run, status: string): void {
    const ended = TERMINAL_STATUS[status];
    if (ended) {
      this.end(run, ended);
      return;
    }
    switch (run.phase) {
      case 'identity':
        if (status === 'AWAITING_PAYMENT' || status === 'PAYMENT_FAILED') {
          run.feeCharged = true;
          run.paymentPlan = this.ctx.quotas.paymentPlan(run.traits.channel);
          run.phase = 'payment';
          this.launch(run, 'payment', () => this.citizens.pay(run));
        } else if (PAST_PAYMENT.has(status)) {
          // Nothing was requested: the fee is zero or exempted.
          run.feeCharged = false;
          run.phase = 'reception';
          this.onStatus(run, status);
        }
        return;
      case 'reception':
        if (status === 'RECEIVED') {
          run.phase = 'queue';
          run.received = true;
          this.officers.enqueue(run);
        } else if (PAST_RECEPTION.has(status)) {
          run.received = true;
          run.phase = 'elsewhere';
        }
        return;
      case 'closing':
        if (status === 'COMPLETED') {
          run.completedSeen = true;
          if (run.pendingActions === 0) this.end(run, run.outcome === 'REJECTED' ? 'REJECTED' : 'COMPLETED');
        }
        return;
      case 'elsewhere':
        if (status === 'COMPLETED') this.end(run, 'COMPLETED');
        return;
      case 'preparing':
      case 'payment':
      case 'parked':
      case 'withdrawing':
      case 'queue':
      case 'processing':
      case 'supplement':
      case 'terminal':
      case 'failed':
        return;
    }
  }

  private launch(run: Run, where: string, work: () => Promise<void>): void {
    const flow = work().catch((e: unknown) => {
      this.fail(run, where, e);
    });
    this.flows.add(flow);
    void flow.finally(() => this.flows.delete(flow));
  }

  /** The dossier ended: confirmed on the citizen's own view of it when the citizen is signed in. */
  private end(run: Run, state: TerminalState): void {
    if (run.terminal || run.phase === 'terminal' || run.phase === 'failed') return;
    run.terminal = state;
    this.launch(run, 'confirm', async () => {
      if (this.sessions.hasCitizenSession(run.citizen.personalId)) {
        const token = await this.sessions.citizenToken(run.citizen);
        const view = await this.http.json<{ status: string }>(
          'GET',
          joinUrl(this.endpoints.intake, `/dossiers/${run.dossierId ?? ''}`),
          { token, retry: true },
        );
        if (!['COMPLETED', 'IDENTITY_REJECTED', 'EXPIRED', 'WITHDRAWN'].includes(view.status)) {
          throw new Error(`the citizen sees the dossier ${view.status}, not ended`);
        }
      }
      run.phase = 'terminal';
      if (state === 'COMPLETED' || state === 'REJECTED') run.received = true;
      this.events.emit('terminal', { dossierId: run.dossierId ?? '', state, at: new Date().toISOString() });
    });
  }

  private fail(run: Run | null, where: string, e: unknown): void {
    if (e instanceof StoppedError || this.lifetime.stopped) return;
    const message = e instanceof Error ? e.message : String(e);
    this.record(run, where, message);
    if (run) {
      run.phase = 'failed';
      run.lastError = `${where}: ${message}`;
    }
    // An 'error' event without a listener would throw from emit(): errors are also in stats().lastErrors.
    if (this.events.listenerCount('error') > 0) {
      this.events.emit('error', { where, message, ...(run?.dossierId ? { dossierId: run.dossierId } : {}) });
    }
  }

  private openCount(): number {
    let open = 0;
    for (const r of this.runs) if (r.phase !== 'terminal' && r.phase !== 'failed') open++;
    return open;
  }

  private record(run: Run | null, where: string, message: string): void {
    this.lastErrors.push({
      at: new Date().toISOString(),
      where,
      message,
      ...(run?.dossierId ? { dossierId: run.dossierId } : {}),
    });
    if (this.lastErrors.length > 20) this.lastErrors.shift();
  }

  private stuck(r: Run): StuckDossier {
    return { dossierId: r.dossierId, seq: r.seq, phase: r.phase, ...(r.lastError ? { lastError: r.lastError } : {}) };
  }

  /** The simulator's own tallies, to know when metrics has caught up with the run. */
  private ownCounts() {
    const ended = (s: TerminalState) => this.runs.filter((r) => r.terminal === s).length;
    return {
      submitted: this.runs.filter((r) => r.dossierId).length,
      identityRejected: ended('IDENTITY_REJECTED'),
      received: this.runs.filter((r) => r.received).length,
      completed: ended('COMPLETED') + ended('REJECTED'),
      rated: this.runs.filter((r) => r.rated).length,
    };
  }
}
