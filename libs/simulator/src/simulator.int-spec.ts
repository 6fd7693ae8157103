/**
 * The simulator against the six services, each its own process on real Kafka, PostgreSQL and Redis (as the e2e test
 * starts them): a few hundred dossiers at a high rate with no think time must all end, and every rate the metrics
 * service reports must agree with the configuration within its tolerance.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestEnvironment, type TestEnvironment } from '@hoso/nest-kit/testing';
import { freePort, startService, type ServiceProcess } from '@hoso/platform';
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
  let env: TestEnvironment;
  const services: ServiceProcess[] = [];
  const otpDir = mkdtempSync(join(tmpdir(), 'hoso-sim-otp-'));
  let sim: Simulator | undefined;
  let urls: Record<'identity' | 'intake' | 'payment' | 'gateway' | 'cases' | 'metrics', string>;

  beforeAll(async () => {
    env = await createTestEnvironment(['identity', 'intake', 'payment', 'paygw', 'case', 'metrics']);
    const [pIdentity, pIntake, pPayment, pGateway, pCase, pMetrics] = await Promise.all(
      Array.from({ length: 6 }, () => freePort()),
    );
    const common = {
      KAFKA_BROKERS: env.brokers.join(','),
      REDIS_URL: env.redisUrl,
      KAFKA_TOPIC_PREFIX: env.topicPrefix,
      QUEUE_PREFIX: env.topicPrefix.replace(/\W/g, ''),
      AUTH_JWKS_URL: `http://127.0.0.1:${pIdentity}/.well-known/jwks.json`,
      // A request log line per call would cost this busy machine more than the calls themselves.
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      PAYMENT_GATEWAY_API_KEY: 'sim-gateway-api-key-0123456789abcdef',
      PAYMENT_GATEWAY_WEBHOOK_SECRET: 'sim-webhook-secret-0123456789abcdefghij',
    };
    const db = (name: string) => env.databases[name] as string;
    // Consumer groups of this run only: a platform left running on the same broker (a demo) joins the default
    // groups, and a group's partitions may be handed to any member, whatever topics it reads.
    const group = (name: string) => ({ KAFKA_GROUP_ID: `${env.topicPrefix}${name}` });
    const started = await Promise.all([
      startService('identity', pIdentity as number, {
        ...common,
        ...group('identity'),
        IDENTITY_DATABASE_URL: db('identity'),
        REGISTRY_SEED_COUNT: String(REGISTRY),
        OTP_DEV_DIR: otpDir,
      }),
      startService('intake', pIntake as number, {
        ...common,
        ...group('intake'),
        INTAKE_DATABASE_URL: db('intake'),
        ATTACHMENT_DIR: mkdtempSync(join(tmpdir(), 'hoso-sim-att-')),
      }),
      startService('payment', pPayment as number, {
        ...common,
        ...group('payment'),
        PAYMENT_DATABASE_URL: db('payment'),
        PAYMENT_GATEWAY_URL: `http://127.0.0.1:${pGateway}`,
        PAYMENT_CALLBACK_URL: `http://127.0.0.1:${pPayment}/payments/gateway/callbacks`,
        PAYMENT_INTENT_TTL_SEC: String(PAYMENT_TTL_SEC),
      }),
      startService('payment-gateway', pGateway as number, {
        ...common,
        PAYMENT_GATEWAY_DATABASE_URL: db('paygw'),
        GATEWAY_PUBLIC_URL: `http://127.0.0.1:${pGateway}`,
      }),
      startService('case-tracking', pCase as number, {
        ...common,
        ...group('case-tracking'),
        CASE_DATABASE_URL: db('case'),
        RESULT_DIR: mkdtempSync(join(tmpdir(), 'hoso-sim-res-')),
      }),
      startService('metrics', pMetrics as number, {
        ...common,
        ...group('metrics'),
        METRICS_DATABASE_URL: db('metrics'),
      }),
    ]);
    services.push(...started);
    const [identity, intake, payment, gateway, cases, metrics] = started.map((s) => s.url);
    urls = {
      identity: identity as string,
      intake: intake as string,
      payment: payment as string,
      gateway: gateway as string,
      cases: cases as string,
      metrics: metrics as string,
    };
  }, 240_000);

  afterAll(async () => {
    await sim?.stop();
    await Promise.all(services.map((s) => s.stop()));
    await (env as TestEnvironment | undefined)?.close();
  });

  it(`drives ${DOSSIERS} dossiers to an end, and the metrics report the configured rates within tolerance`, async () => {
    const defaults = defaultSimulatorConfig();
    // One commune per province: every commune officer is an account (an argon2 hash) to create first.
    const config = { ...defaults, provinces: { ...defaults.provinces, communesPerProvince: 1 } };
    const started = Date.now();
    sim = new Simulator(
      {
        identity: urls.identity,
        intake: urls.intake,
        payment: urls.payment,
        paymentGateway: urls.gateway,
        caseTracking: urls.cases,
        metrics: urls.metrics,
        otpDir,
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
