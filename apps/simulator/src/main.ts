/**
 * `npm run simulate -- --rate 5 --dossiers 500`: the citizen simulator against a running platform (see
 * libs/simulator/README.md). Exit codes: 0 every dossier ended, 1 some did not (or the start failed), 2 bad flags.
 */
import {
  defaultSimulatorConfig,
  formatRateTable,
  loadSimulatorConfig,
  Simulator,
  SimulatorConfigError,
  type SimulatorConfig,
} from '@hoso/simulator';
import { parseCli, USAGE } from './cli';
import { progressLine, summary } from './report';

async function main(): Promise<number> {
  const parsed = parseCli(process.argv.slice(2), process.env);
  if (parsed.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    console.error(`${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const o = parsed.options;
  let config: SimulatorConfig;
  try {
    config = o.configFile ? loadSimulatorConfig(o.configFile) : defaultSimulatorConfig();
  } catch (e) {
    if (e instanceof SimulatorConfigError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }

  const sim = new Simulator(o.endpoints, {
    config,
    rate: o.rate,
    ...(o.durationSec === undefined ? {} : { durationSec: o.durationSec }),
    ...(o.dossiers === undefined ? {} : { dossiers: o.dossiers }),
    seed: o.seed,
    officerThinkMs: o.officerThinkMs,
    citizenThinkMs: o.citizenThinkMs,
    concurrency: o.concurrency,
    ...(o.maxOpen === undefined ? {} : { maxOpen: o.maxOpen }),
    registrySize: o.registrySize,
    ...(o.staffPassword === undefined ? {} : { staffPassword: o.staffPassword }),
  });
  // Ctrl-C ends the arrivals; during the drain it stops without waiting for the open dossiers.
  let onInterrupt: () => void = () => undefined;
  process.on('SIGINT', () => {
    onInterrupt();
  });
  const interrupted = new Promise<void>((resolve) => {
    onInterrupt = resolve;
  });
  const arrivalsEnded = new Promise<void>((resolve) => {
    sim.events.once('arrivals-ended', () => {
      resolve();
    });
  });

  sim.start();
  try {
    await sim.ready();
  } catch (e) {
    console.error(`The simulator could not start: ${(e as Error).message}`);
    await sim.stop();
    return 1;
  }
  console.log(
    `Simulating ${o.dossiers ?? '∞'} dossiers at ${o.rate}/s${o.durationSec ? ` for ${o.durationSec} s` : ''}, ` +
      `seed ${o.seed}; Ctrl-C ends the arrivals.`,
  );
  const progress = setInterval(() => {
    console.log(progressLine(sim.stats()));
  }, 1000);

  await Promise.race([arrivalsEnded, interrupted]);
  sim.stopArrivals();
  const stopNow = new Promise<'interrupted'>((resolve) => {
    onInterrupt = () => {
      resolve('interrupted');
    };
  });
  console.log(`Arrivals ended; draining (up to ${o.drainTimeoutSec} s, Ctrl-C again to stop now)…`);
  const outcome = await Promise.race([
    sim.drain(o.drainTimeoutSec * 1000).then(
      () => 'drained' as const,
      (e: unknown) => (e as Error).message,
    ),
    stopNow,
  ]);
  const drained = outcome === 'drained';
  clearInterval(progress);
  if (!drained) console.error(outcome === 'interrupted' ? 'Stopped before every dossier ended.' : outcome);

  console.log(`\n${summary(sim.stats())}\n`);
  if (outcome !== 'interrupted') {
    try {
      const rows = await sim.compareRates(drained ? 60_000 : 15_000);
      console.log(`Rates reported by the metrics service for this run, next to the configuration:`);
      console.log(formatRateTable(rows, config.tolerancePoints));
      if (!drained) console.log('(not every dossier ended: the rates still count the open ones)');
    } catch (e) {
      console.error(`Could not read the metrics: ${(e as Error).message}`);
    }
  }
  await sim.stop();
  return drained ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
