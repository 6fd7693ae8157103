/**
 * `npm run demo`: the whole platform on this machine and citizens using it. Infrastructure (deploy/local), the
 * build, every service under one supervisor, the URLs, then the simulator at a gentle rate with a live status
 * line. Ctrl-C (or SIGTERM) stops the simulator and every process the demo started, and says so.
 */
import { relative } from 'node:path';
import { PlatformAborted, REPO_ROOT, startPlatform, type Platform, type ServiceName } from '@hoso/platform';
import {
  DEFAULT_CONFIG_FILE,
  formatRateTable,
  loadSimulatorConfig,
  Simulator,
  type RateComparison,
} from '@hoso/simulator';
import { parseDemoArgs, USAGE, UsageError, type DemoOptions } from './args';
import { fit, formatStatus, MetricsReader } from './status';

/** Unpaid fees expire after this long in the demo (a day in production), so abandoned dossiers end while you watch. */
const DEMO_PAYMENT_TTL_SEC = 120;
/** A signal repeated within this window is the same Ctrl-C: npm forwards the terminal's SIGINT to the demo again. */
const ECHO_WINDOW_MS = 1000;

const tty = process.stdout.isTTY && !process.env['NO_COLOR'];
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[0m` : s);

/** Lines above, one status line redrawn at the bottom (on a terminal; elsewhere a status line every 10 s). */
class Screen {
  private status: string | null = null;
  private lastPlainStatus = 0;

  print(text: string): void {
    if (tty && this.status !== null) process.stdout.write('\r\x1b[K');
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    if (tty && this.status !== null) process.stdout.write(this.status);
  }

  showStatus(line: string): void {
    if (!tty) {
      if (Date.now() - this.lastPlainStatus >= 10_000) {
        this.lastPlainStatus = Date.now();
        process.stdout.write(`${line}\n`);
      }
      return;
    }
    this.status = fit(line, process.stdout.columns);
    process.stdout.write(`\r\x1b[K${this.status}`);
  }

  endStatus(): void {
    if (tty && this.status !== null) process.stdout.write('\n');
    this.status = null;
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function urlTable(platform: Platform, logs: boolean): string {
  const rows: [string, string][] = [];
  const u = platform.urls;
  if (u.gateway) rows.push(['portal + API', `${u.gateway}/   (API at /api/<service>/…, docs at /api/docs)`]);
  const docs: [ServiceName, string][] = [
    ['intake', 'catalog, submission, dossiers'],
    ['identity', 'sign-in, registry, prefill'],
    ['payment', 'fees, payments, refunds'],
    ['payment-gateway', 'the payment platform (checkout pages)'],
    ['case-tracking', 'cases, officer queues, results'],
    ['metrics', 'rates, operations'],
  ];
  for (const [name, what] of docs) {
    if (!u[name]) continue;
    rows.push([name, `${u[name] ?? ''}/docs   ${dim(what)}`]);
    const replicas = platform.replicas(name);
    if (replicas.length > 1) {
      rows.push(['', dim(`${replicas.length} replicas: ${replicas.map((r) => `${r.name} :${r.port}`).join(', ')}`)]);
    }
  }
  rows.push([
    'logs',
    logs ? 'shown here, prefixed by service' : `${relative(process.cwd(), platform.logDir ?? '') || '.'}/<service>.log`,
  ]);
  rows.push(['one-time codes', `${relative(process.cwd(), platform.otpDir)}/<personalId>.json (development delivery)`]);
  rows.push(['staff sign-in', 'officer.p<province>, officer.<ministry>, operator / hoso-dev-password']);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}

async function run(opts: DemoOptions): Promise<number> {
  const screen = new Screen();
  const started = Date.now();
  // Read before anything starts: a broken config file should not cost an infrastructure start.
  const config = opts.simulator ? loadSimulatorConfig(DEFAULT_CONFIG_FILE) : null;
  const abort = new AbortController();
  // With replicas, the simulator goes through the gateway, which balances over them (as the portal does).
  const viaGateway = opts.replicas > 1;
  let platform: Platform | null = null;
  let sim: Simulator | null = null;
  // An object, not a variable: it changes in the signal handler, between the awaits below.
  const state: { stopReason: string | null; firstSignalAt: number } = { stopReason: null, firstSignalAt: 0 };
  let requestStop: (reason: string) => void = () => undefined;
  const stopRequested = new Promise<string>((resolve) => {
    requestStop = resolve;
  });
  const stopping = () => state.stopReason !== null;

  const onSignal = (signal: NodeJS.Signals) => {
    if (state.stopReason === null) {
      const reason = signal === 'SIGINT' ? 'Ctrl-C' : signal === 'SIGHUP' ? 'the parent process ended' : signal;
      state.stopReason = reason;
      state.firstSignalAt = Date.now();
      screen.endStatus();
      screen.print(`\n▸ ${reason}: stopping the simulator and every process the demo started (Ctrl-C again to force)`);
      abort.abort();
      requestStop(reason);
      return;
    }
    if (Date.now() - state.firstSignalAt < ECHO_WINDOW_MS) return;
    screen.print('▸ forced: killing every process now');
    for (const p of platform?.managed ?? []) p.signal('SIGKILL');
    for (const s of platform?.infraStarted ?? []) {
      try {
        process.kill(s.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    // process.ts's exit hook also kills any service still being started.
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  // A parent that went away without passing a signal on (a shell between npm and the demo): stop as for SIGTERM.
  const parent = process.ppid;
  const orphanWatch = setInterval(() => {
    if (process.ppid !== parent && state.stopReason === null) onSignal('SIGHUP');
  }, 1000);
  orphanWatch.unref();

  const finish = async (code: number): Promise<number> => {
    screen.endStatus();
    if (sim) {
      screen.print('  stopping the simulator …');
      await sim.stop();
    }
    const result = platform ? await platform.stop() : { stopped: 0 };
    const infra = platform?.infraStarted.length
      ? ` (${platform.infraStarted.map((s) => s.component).join(' and ')} included: the demo had started ${platform.infraStarted.length > 1 ? 'them' : 'it'})`
      : '';
    screen.print(`■ stopped ${result.stopped} processes${infra} after ${seconds(Date.now() - started)}`);
    return code;
  };

  screen.print(
    bold('hoso demo') +
      dim(
        ` — ${opts.simulator ? `${opts.rate} dossiers/s` : 'no simulator'}, ${opts.durationSec ? `${opts.durationSec} s` : 'until Ctrl-C'}`,
      ),
  );
  try {
    platform = await startPlatform({
      runtime: opts.runtime,
      replicas: opts.replicas,
      logs: { inline: opts.logs },
      sink: (text) => {
        screen.print(text);
      },
      stopInfra: !opts.keepInfra,
      serviceEnv: {
        payment: { PAYMENT_INTENT_TTL_SEC: String(DEMO_PAYMENT_TTL_SEC) },
        ...(viaGateway
          ? {
              // The simulator's citizens all call from this machine; each names its own address (X-Forwarded-For),
              // as behind one proxy: the gateway believes one hop, identity two (the simulator and the gateway).
              // The gateway's per-client budgets are for the portal's users, not for a whole simulated population.
              gateway: { TRUST_PROXY: '1', RATE_LIMIT_ENABLED: 'false' },
              identity: { TRUST_PROXY: '2' },
            }
          : {}),
      },
      progress: (line) => {
        screen.print(line.startsWith(' ') ? dim(line) : `▸ ${line}`);
      },
      signal: abort.signal,
    });
  } catch (e) {
    if (e instanceof PlatformAborted || stopping()) {
      screen.print(
        `■ stopped ${e instanceof PlatformAborted ? e.stopped : 0} processes after ${seconds(Date.now() - started)}`,
      );
      return 0;
    }
    screen.print(`✘ the platform did not start: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  screen.print(
    `\n${bold(`platform up in ${seconds(Date.now() - started)}`)} — ${platform.processes.length} processes:\n${urlTable(platform, opts.logs)}\n`,
  );
  if (stopping()) return finish(0);

  const urls = platform.urls;
  const metrics = new MetricsReader(urls.identity ?? '', urls.metrics ?? '').start();
  if (config) {
    screen.print(
      `▸ simulator: ${opts.rate} dossiers/s, officers think ~${seconds(opts.officerThinkMs)}, citizens ~${seconds(opts.citizenThinkMs)}; ` +
        `unpaid fees expire after ${DEMO_PAYMENT_TTL_SEC} s in the demo`,
    );
    const api = (service: string) => `${urls.gateway ?? ''}/api/${service}`;
    sim = new Simulator(
      {
        identity: viaGateway ? api('identity') : (urls.identity ?? ''),
        intake: viaGateway ? api('intake') : (urls.intake ?? ''),
        payment: viaGateway ? api('payment') : (urls.payment ?? ''),
        // The payment platform is an outside provider at one address (its first replica), never behind the gateway.
        paymentGateway: urls['payment-gateway'] ?? '',
        caseTracking: viaGateway ? api('cases') : (urls['case-tracking'] ?? ''),
        metrics: viaGateway ? api('metrics') : (urls.metrics ?? ''),
        otpDir: platform.otpDir,
      },
      {
        config,
        rate: opts.rate,
        ...(opts.durationSec ? { durationSec: opts.durationSec } : {}),
        seed: opts.seed,
        officerThinkMs: opts.officerThinkMs,
        citizenThinkMs: opts.citizenThinkMs,
      },
    );
    sim.events.on('error', (e) => {
      if (opts.logs) screen.print(`[simulator] ${e.where}: ${e.message}`);
    });
    sim.start();
    const ready = await Promise.race([sim.ready().then(() => 'ready' as const), stopRequested]).catch(
      (e: unknown) => e,
    );
    if (ready !== 'ready') {
      metrics.stop();
      if (stopping()) return finish(0);
      screen.print(`✘ the simulator could not start: ${ready instanceof Error ? ready.message : String(ready)}`);
      return finish(1);
    }
  }

  // The live status line, every second.
  const simStarted = Date.now();
  const recent: { at: number; submitted: number }[] = [];
  const ticker = setInterval(() => {
    const counts = sim?.stats().counts ?? null;
    let submitRate: number | null = null;
    if (counts) {
      recent.push({ at: Date.now(), submitted: counts.submitted });
      while (recent.length > 10) recent.shift();
      const first = recent[0];
      const last = recent[recent.length - 1];
      if (first && last && last.at > first.at)
        submitRate = ((last.submitted - first.submitted) * 1000) / (last.at - first.at);
    }
    screen.showStatus(
      formatStatus({
        elapsedSec: (Date.now() - simStarted) / 1000,
        counts,
        metrics: metrics.metrics,
        lag: metrics.lag,
        submitRate,
        services: platform.supervision(),
        replicas: platform.replicas(),
      }),
    );
  }, 1000);

  let code = 0;
  if (sim && opts.durationSec) {
    const durationMs = opts.durationSec * 1000;
    const arrivalsOver = new Promise<'over'>((resolve) => {
      setTimeout(() => {
        resolve('over');
      }, durationMs);
    });
    if ((await Promise.race([arrivalsOver, stopRequested])) === 'over') {
      sim.stopArrivals();
      const drainMs = (DEMO_PAYMENT_TTL_SEC + 60) * 1000;
      screen.endStatus();
      screen.print(
        `▸ arrivals over after ${opts.durationSec} s; waiting up to ${seconds(drainMs)} for the dossiers in flight (Ctrl-C to stop now)`,
      );
      const drained = await Promise.race([sim.drain(drainMs).then(() => 'drained' as const), stopRequested]).catch(
        (e: unknown) => e,
      );
      clearInterval(ticker);
      screen.endStatus();
      if (drained === 'drained' || drained instanceof Error) {
        if (drained instanceof Error) {
          screen.print(`⚠ ${drained.message}`);
          code = 1;
        }
        const c = sim.stats().counts;
        screen.print(
          `▸ ${c.submitted} dossiers: ${c.completed} completed, ${c.rejected} rejected, ${c.identityRejected} not verified, ` +
            `${c.abandoned} expired unpaid, ${c.withdrawn} withdrawn, ${c.errors} errors`,
        );
        screen.print('▸ rates reported by the metrics service for this run, next to the configured ones:');
        const table: unknown = await Promise.race([sim.compareRates(30_000), stopRequested]).catch((e: unknown) => e);
        if (Array.isArray(table) && config)
          screen.print(formatRateTable(table as RateComparison[], config.tolerancePoints));
        else if (table instanceof Error) screen.print(`  (not available: ${table.message})`);
      }
    }
  } else {
    await stopRequested;
  }
  clearInterval(ticker);
  metrics.stop();
  return finish(code);
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseDemoArgs>;
  try {
    parsed = parseDemoArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  process.chdir(REPO_ROOT);
  return run(parsed.options);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
