/**
 * The simulator against the six services, each its own process on real Kafka, PostgreSQL and Redis (started by the
 * platform supervisor, as the demo starts them): a few hundred dossiers at a high rate with no think time must all
 * end, and every rate the metrics service reports must agree with the configuration within its tolerance.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKEND_SERVICES, startPlatform, type Platform } from '@hoso/platform';
import { defaultSimulatorConfig } from './config';
import { formatRateTable } from './rates';
import { Simulator } from './simulator';

const REGISTRY = 5000;
const DOSSIERS = 300;
/**
 * Short enough for the dossiers left unpaid to end within the test, long enough for every other one to be paid in
 * time on a saturated machine (a payment later than this would end its dossier unpaid and skew the payment rate).
 */
const PAYMENT_TTL_SEC = 60;

// Most of it is the machine: a few minutes when other work shares its two cores.
jest.setTimeout(600_000);

describe('the citizen simulator on the whole platform', () => {
  let platform: Platform | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'hoso-sim-'));
  let sim: Simulator | undefined;

  beforeAll(async () => {
    // The platform supervisor wires the services as the demo does; an isolated run has its own topics, consumer
    // groups, queues and fresh databases, so a platform left running on the same servers cannot take its events.
    platform = await startPlatform({
      runtime: 'ts-node',
      infra: false,
      services: BACKEND_SERVICES,
      ports: 'free',
      isolate: { topicPrefix: `sim${randomBytes(4).toString('hex')}.`, cleanup: true },
      dataDir,
      logs: { dir: join(dataDir, 'logs') },
      // A request log line per call would cost this busy machine more than the calls themselves.
      logLevel: 'warn',
      registrySeedCount: REGISTRY,
      serviceEnv: { payment: { PAYMENT_INTENT_TTL_SEC: String(PAYMENT_TTL_SEC) } },
    });
  }, 240_000);

  afterAll(async () => {
    await sim?.stop();
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`drives ${DOSSIERS} dossiers to an end, and the metrics report the configured rates within tolerance`, async () => {
    const defaults = defaultSimulatorConfig();
    // One commune per province: every commune officer is an account (an argon2 hash) to create first.
    const config = { ...defaults, provinces: { ...defaults.provinces, communesPerProvince: 1 } };
    const started = Date.now();
    const urls = (platform as Platform).urls;
    sim = new Simulator(
      {
        identity: urls.identity ?? '',
        intake: urls.intake ?? '',
        payment: urls.payment ?? '',
        paymentGateway: urls['payment-gateway'] ?? '',
        caseTracking: urls['case-tracking'] ?? '',
        metrics: urls.metrics ?? '',
        otpDir: (platform as Platform).otpDir,
      },
      {
        config,
        rate: 10,
        dossiers: DOSSIERS,
        seed: 20250,
        officerThinkMs: 0,
        citizenThinkMs: 0,
        registrySize: REGISTRY,
        concurrency: 24,
        // A busy machine would otherwise pile up dossiers until payments expire before they are paid.
        maxOpen: 60,
      },
    );
    const terminal: string[] = [];
    sim.events.on('terminal', (e) => terminal.push(e.dossierId));
    sim.start();
    try {
      await sim.drain(420_000);
    } catch (e) {
      // What the run reached and the last errors, next to the stuck dossiers.
      process.stdout.write(`${JSON.stringify(sim.stats().counts)}\n${JSON.stringify(sim.stats().lastErrors)}\n`);
      throw e;
    }

    const drained = Date.now();
    const c = sim.stats().counts;
    const rows = await sim.compareRates();
    const s = (t: number) => ((t - started) / 1000).toFixed(1);
    process.stdout.write(
      `simulator: ${DOSSIERS} dossiers ended ${s(drained)} s after the start, rates read at ${s(Date.now())} s\n` +
        `${JSON.stringify(c)}\n${formatRateTable(rows, config.tolerancePoints)}\n`,
    );

    expect(c.submitted).toBe(DOSSIERS);
    expect(c.errors).toBe(0);
    expect(c.completed + c.rejected + c.identityRejected + c.abandoned + c.withdrawn).toBe(DOSSIERS);
    expect(new Set(terminal).size).toBe(DOSSIERS);
    // Each kind of ending the configuration asks for happened.
    for (const n of [c.completed, c.rejected, c.identityRejected, c.abandoned, c.withdrawn])
      expect(n).toBeGreaterThan(0);

    expect(rows.filter((r) => !r.withinTolerance)).toEqual([]);
  });
});
