/**
 * Platform-level fault checks: the whole platform (six services, each its own process) on its own Kafka broker,
 * citizens and officers of the simulator driving dossiers at a steady rate, and while they do:
 *
 *   a. a service is SIGKILLed mid-flow and started again (case-tracking, intake, payment, identity);
 *   b. the Kafka broker is SIGKILLed and started again;
 *   c. events already consumed are delivered a second time, unchanged.
 *
 * After each, once the flow is quiet (every group has read everything, every outbox is empty), every dossier must
 * have ended where the simulator saw it end, counted from the services' databases, with no fact applied twice:
 * 0 lost, 0 duplicated. The services are only reached from outside (HTTP, databases, Kafka).
 *
 * FAULTS_LONG=1 (npm run test:faults -- with it set) repeats every scenario FAULTS_REPEATS times (default 3) with
 * more dossiers.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKEND_SERVICES, startPlatform, type Platform, type ServiceName } from '@hoso/platform';
import { defaultSimulatorConfig, DrainTimeoutError, Simulator, type TerminalState } from '@hoso/simulator';
import { eventually } from '@hoso/testing';
import { openFrontDoor, type FrontDoor } from './front-door';
import { Ledger, type Verdict } from './ledger';
import { startOwnBroker, type OwnBroker } from './own-broker';
import { replay } from './replay';

const LONG = process.env['FAULTS_LONG'] === '1';
const REPEATS = LONG ? Number(process.env['FAULTS_REPEATS'] ?? 3) : 1;
const RATE = LONG ? 5 : 4;
const DOSSIERS = LONG ? 60 : 16;
const REGISTRY = 5000;
/** How long a killed service or broker stays down before it is started again. */
const DOWN_MS = 2000;
const KILLED: readonly ServiceName[] = ['case-tracking', 'intake', 'payment', 'identity'];

// Most of it is the machine: one platform start, then about half a minute per scenario.
jest.setTimeout(LONG ? 3_600_000 : 480_000);

interface Row {
  scenario: string;
  dossiers: number;
  lost: number;
  duplicated: number;
  recoverySec: number | null;
  /** Arrivals that never became a dossier: the simulator could not sign in or submit (see its lastErrors). */
  refused: number;
  /** Submitted dossiers the simulator could not drive to an end. */
  driverErrors: number;
}

function formatTable(rows: readonly Row[]): string {
  const head = ['scenario', 'dossiers', 'lost', 'duplicated', 'recovery s', 'refused', 'driver errors'];
  const body = rows.map((r) => [
    r.scenario,
    String(r.dossiers),
    String(r.lost),
    String(r.duplicated),
    r.recoverySec === null ? '—' : r.recoverySec.toFixed(1),
    String(r.refused),
    String(r.driverErrors),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

function describeVerdict(v: Verdict): string {
  const lines: string[] = [];
  for (const [id, what] of v.lost) lines.push(`  lost ${id}: ${what.join('; ')}`);
  for (const [id, what] of v.duplicated) lines.push(`  duplicated ${id}: ${what.join('; ')}`);
  return lines.slice(0, 40).join('\n');
}

describe('fault checks: the dossier flow survives crashes, a broker restart and redelivery', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hoso-faults-'));
  const rows: Row[] = [];
  /** Every dossier driven so far → where the simulator saw it end (null: its driver gave up on it). */
  const ended = new Map<string, TerminalState | null>();
  let broker: OwnBroker | undefined;
  let platform: Platform | undefined;
  let ledger: Ledger | undefined;
  const doors: Partial<Record<ServiceName, FrontDoor>> = {};
  let sim: Simulator | undefined;
  let seed = 7100;
  const fileStarted = Date.now();

  beforeAll(async () => {
    // The broker these checks kill is their own: the shared one serves every other test file of the run.
    broker = await startOwnBroker(join(dataDir, 'broker'));
    platform = await startPlatform({
      // Compiled once: a restarted service is back in seconds, not the tens of seconds ts-node needs.
      runtime: 'build',
      infra: false,
      brokers: broker.brokers,
      services: BACKEND_SERVICES,
      ports: 'free',
      isolate: { topicPrefix: `flt${randomBytes(4).toString('hex')}.`, cleanup: true },
      dataDir: join(dataDir, 'platform'),
      logs: { dir: join(dataDir, 'logs') },
      logLevel: 'warn',
      registrySeedCount: REGISTRY,
    });
    for (const s of KILLED) doors[s] = await openFrontDoor(platform.urls[s] ?? '');
    ledger = new Ledger(platform, broker.brokers);
  }, 300_000);

  afterAll(async () => {
    await sim?.stop();
    for (const d of Object.values(doors)) await d.close();
    await ledger?.close();
    await platform?.stop();
    await broker?.destroy();
    if (rows.length) {
      process.stdout.write(
        `\nfault checks (${LONG ? `long, ${REPEATS} repeats` : 'short'}; ${RATE} dossiers/s):\n${formatTable(rows)}\n` +
          `file ran ${((Date.now() - fileStarted) / 1000).toFixed(0)} s\n`,
      );
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * Drives DOSSIERS dossiers at RATE; once a third of them are in, applies `fault` (which resolves with the time
   * from the fault to the flow moving again, or null); then waits for every dossier to end and the flow to be
   * quiet, and judges every dossier of this scenario (and `alsoJudge`).
   */
  async function scenario(
    name: string,
    fault: () => Promise<number | null>,
    opts: { alsoJudge?: readonly string[] } = {},
  ): Promise<{ row: Row; verdict: Verdict }> {
    const p = platform as Platform;
    const l = ledger as Ledger;
    const defaults = defaultSimulatorConfig();
    const config = {
      ...defaults,
      provinces: { ...defaults.provinces, communesPerProvince: 1 },
      // Abandoned payments are withdrawn rather than left to expire: nothing waits for a payment's time to live.
      payment: { ...defaults.payment, abandonWithdrawShare: 1 },
    };
    const url = (s: ServiceName) => doors[s]?.url ?? p.urls[s] ?? '';
    sim = new Simulator(
      {
        identity: url('identity'),
        intake: url('intake'),
        payment: url('payment'),
        paymentGateway: p.urls['payment-gateway'] ?? '',
        caseTracking: url('case-tracking'),
        metrics: p.urls.metrics ?? '',
        otpDir: p.otpDir,
      },
      {
        config,
        rate: RATE,
        dossiers: DOSSIERS,
        seed: seed++,
        arrivals: 'uniform',
        officerThinkMs: 0,
        citizenThinkMs: 0,
        registrySize: REGISTRY,
        concurrency: 16,
      },
    );
    const submitted = new Set<string>();
    const terminal = new Map<string, TerminalState>();
    sim.events.on('submitted', (e) => submitted.add(e.dossierId));
    sim.events.on('terminal', (e) => terminal.set(e.dossierId, e.state));
    sim.start();
    await sim.ready();
    await eventually(
      `${name}: a third of the dossiers submitted`,
      () => Promise.resolve(submitted.size >= DOSSIERS / 3),
      120_000,
      100,
    );
    const recoveryMs = await fault();

    let stuck = 0;
    try {
      await sim.drain(240_000);
    } catch (e) {
      if (!(e instanceof DrainTimeoutError)) throw e;
      stuck = e.stuck.length;
      process.stdout.write(
        `${name}: the simulator could not drive ${stuck} dossier(s):\n${JSON.stringify(sim.stats().lastErrors, null, 1)}\n`,
      );
    }
    const refused = DOSSIERS - submitted.size;
    if (sim.stats().counts.errors && !stuck) {
      process.stdout.write(`${name}: driver errors:\n${JSON.stringify(sim.stats().lastErrors, null, 1)}\n`);
    }
    await sim.stop();
    sim = undefined;

    await eventually(`${name}: every group caught up and every outbox empty`, () => l.quiet(), 180_000, 500);
    const expected = new Map<string, TerminalState | null>();
    for (const id of submitted) expected.set(id, terminal.get(id) ?? null);
    for (const id of opts.alsoJudge ?? []) expected.set(id, ended.get(id) ?? null);
    // The consumers are caught up, but a projection may still be writing its last batch.
    let verdict = await l.judge(expected);
    const deadline = Date.now() + 60_000;
    while (verdict.lost.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      verdict = await l.judge(expected);
    }
    for (const [id, state] of expected) if (!ended.has(id)) ended.set(id, state);
    const row: Row = {
      scenario: name,
      dossiers: expected.size,
      lost: verdict.lost.size,
      duplicated: verdict.duplicated.size,
      recoverySec: recoveryMs === null ? null : recoveryMs / 1000,
      refused,
      driverErrors: [...expected.values()].filter((s) => s === null).length,
    };
    rows.push(row);
    if (verdict.lost.size || verdict.duplicated.size) process.stdout.write(`${name}:\n${describeVerdict(verdict)}\n`);
    return { row, verdict };
  }

  /**
   * Time from `faultAt` until the flow moves again: `who` consumes an event past `base` — or, for a service that
   * had nothing waiting for it when it came back, until its group has nothing left to read.
   */
  async function movingAgain(who: ServiceName | 'all', base: number, faultAt: number): Promise<number> {
    const l = ledger as Ledger;
    const group = who === 'all' ? undefined : (platform as Platform).groupIds[who];
    await eventually(
      `events consumed by ${who} again after the fault`,
      async () => (await l.consumed(who)) > base || (group !== undefined && (await l.lag(undefined, group)) === 0),
      180_000,
      100,
    );
    return Date.now() - faultAt;
  }

  for (let round = 1; round <= REPEATS; round++) {
    const suffix = REPEATS > 1 ? ` #${round}` : '';

    for (const service of KILLED) {
      it(`a. ${service} SIGKILLed mid-flow and restarted${suffix}: every dossier ends once`, async () => {
        const p = platform as Platform;
        const { row, verdict } = await scenario(`kill ${service}${suffix}`, async () => {
          const faultAt = Date.now();
          const exit = await p.kill(service, 'SIGKILL');
          expect(exit.signal).toBe('SIGKILL');
          const base = await (ledger as Ledger).consumed(service);
          await new Promise((r) => setTimeout(r, DOWN_MS));
          await p.restart(service, { attempts: 5, backoffMs: 1000 });
          return movingAgain(service, base, faultAt);
        });
        expect(describeVerdict(verdict)).toBe('');
        expect(row.driverErrors).toBe(0);
        // Citizens sign in at identity: while it is down (until its consumer is back in its group, which waits out
        // the killed member's session), new arrivals cannot sign in. Those were never dossiers; the others must end.
        if (service === 'identity') expect(row.refused).toBeLessThan(DOSSIERS);
        else expect(row.refused).toBe(0);
      });
    }

    it(`b. the Kafka broker SIGKILLed and restarted${suffix}: every dossier ends once`, async () => {
      const b = broker as OwnBroker;
      const { row, verdict } = await scenario(`kill broker${suffix}`, async () => {
        const faultAt = Date.now();
        await b.kill();
        await new Promise((r) => setTimeout(r, DOWN_MS));
        // Counted once the broker is gone: what consumers had fetched before it died may still be landing.
        const base = await (ledger as Ledger).consumed('all');
        await b.start();
        return movingAgain('all', base, faultAt);
      });
      expect(describeVerdict(verdict)).toBe('');
      expect(row.driverErrors).toBe(0);
      expect(row.refused).toBe(0);
    });

    it(`c. events delivered twice${suffix}: nothing changes`, async () => {
      const l = ledger as Ledger;
      const again = [...ended].filter(([, s]) => s !== null).map(([id]) => id);
      expect(again.length).toBeGreaterThan(0);
      const before = await l.snapshot(again);
      const topics = [...new Set([...(await l.subscriptions()).values()].flat())];
      let records = 0;
      const { row, verdict } = await scenario(
        `deliver twice${suffix}`,
        async () => {
          const done = await replay(l.kafka, topics, new Set(again));
          records = done.records;
          // Every group has read past the copies before anything is judged.
          await eventually(
            'the copies consumed by every group',
            async () => (await l.lag(done.ends)) === 0,
            180_000,
            250,
          );
          return null;
        },
        { alsoJudge: again },
      );
      expect(records).toBeGreaterThan(again.length);
      const after = await l.snapshot(again);
      const changed = again.filter((id) => before.get(id) !== after.get(id));
      expect(changed).toEqual([]);
      expect(describeVerdict(verdict)).toBe('');
      expect(row.driverErrors).toBe(0);
      expect(row.refused).toBe(0);
    });
  }
});
