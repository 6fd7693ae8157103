/**
 * Replicas on the real servers: two processes of every back-end service behind the gateway (the payment platform
 * simulator's two behind a front door, as a provider's balancer), citizens and officers of the simulator driving
 * dossiers through the gateway, and while they do:
 *
 *   1. the first replica of every service is SIGKILLed, all six at once (no shutdown hook runs, no process leaves
 *      its consumer group); each group must drop the dead member and give its partitions to the survivor;
 *   2. once every group has, one replica of each service is added back; it must join its group and get partitions.
 *
 * Once the flow is quiet, every dossier must have ended where the simulator saw it end, counted in the services'
 * databases with no fact applied twice (no second case, payment, refund, notification or timeline entry), and the
 * BullMQ work both replicas schedule must have run once: the metrics snapshot schedule (one publish per tick, not
 * one per replica) and the SLA warnings (one per case and clock). The rebalance pauses and the counts are printed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssignerProtocol, type Admin } from 'kafkajs';
import { PARTITIONS } from '@hoso/contracts';
import {
  BACKEND_SERVICES,
  buildServices,
  REPO_ROOT,
  replicaInstance,
  startPlatform,
  type Platform,
  type ServiceName,
} from '@hoso/platform';
import { defaultSimulatorConfig, DrainTimeoutError, Simulator, type TerminalState } from '@hoso/simulator';
import { eventually, testEnv } from '@hoso/testing';
import { openFrontDoor, type FrontDoor } from '../faults/front-door';
import { DBS, describeVerdict, Ledger, type Db } from '../faults/ledger';

const REPLICAS = 2;
const RATE = 2;
const DOSSIERS = 24;
const REGISTRY = 5000;
/** The killed (and added back) replica of each service: the first, whose address the single-URL wiring used. */
const KILLED_INDEX = 0;
/** The metrics snapshot schedule ticks this often: a schedule run by each replica would publish twice as often. */
const SNAPSHOT_EVERY_SEC = 5;
/** SLA job delays divided by this: the working days of a procedure pass in seconds, so warnings come due here. */
const SLA_TIME_SCALE = 20_000;
const REBALANCE_TIMEOUT_MS = 120_000;
/**
 * The group session of replicated deployments (deploy/k8s): a replica that died for good holds its partitions this
 * long. The default (30 s) suits one process per service, whose restart under its own name leaves first.
 */
const SESSION_TIMEOUT_MS = 10_000;

jest.setTimeout(420_000);

interface GroupView {
  state: string;
  /** Member id → partitions assigned to it (all topics together). */
  members: Map<string, number>;
  /** Partitions of the topics the group subscribes to. */
  partitions: number;
}

async function groupViews(admin: Admin, groupIds: readonly string[]): Promise<Map<string, GroupView>> {
  const out = new Map<string, GroupView>();
  for (const g of (await admin.describeGroups([...groupIds])).groups) {
    const members = new Map<string, number>();
    const topics = new Set<string>();
    for (const m of g.members) {
      const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
      for (const t of meta?.topics ?? []) topics.add(t);
      const assignment = m.memberAssignment.length
        ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment)
        : null;
      members.set(
        m.memberId,
        Object.values(assignment?.assignment ?? {}).reduce((n, parts) => n + parts.length, 0),
      );
    }
    out.set(g.groupId, { state: g.state, members, partitions: topics.size * PARTITIONS });
  }
  return out;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe('replicas: two of every service, one of each SIGKILLed mid-flow and one added back', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hoso-replicas-'));
  const services: ServiceName[] = ['gateway', ...BACKEND_SERVICES];
  const consuming = DBS;
  let platform: Platform | undefined;
  let ledger: Ledger | undefined;
  let door: FrontDoor | undefined;
  let sim: Simulator | undefined;
  const report: string[] = [];

  beforeAll(async () => {
    // Built once here: the platform then starts from dist/services without the portal's build, which the API
    // flow does not need.
    const built = await buildServices(REPO_ROOT, services);
    if (built.typeErrors.length) report.push(`build: ${built.typeErrors.length} type error(s), built anyway`);
    door = await openFrontDoor([]);
    platform = await startPlatform({
      runtime: 'build',
      build: false,
      infra: false,
      services,
      replicas: REPLICAS,
      ports: 'free',
      isolate: { topicPrefix: `rep${randomBytes(4).toString('hex')}.`, cleanup: true },
      dataDir: join(dataDir, 'platform'),
      logs: { dir: join(dataDir, 'logs') },
      logLevel: 'warn',
      registrySeedCount: REGISTRY,
      env: { KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), KAFKA_HEARTBEAT_INTERVAL_MS: '1000' },
      serviceEnv: {
        // Every simulated citizen calls from this machine's address: the gateway's budgets are not tested here.
        gateway: { RATE_LIMIT_ENABLED: 'false' },
        payment: { PAYMENT_GATEWAY_URL: door.url, RECONCILE_EVERY_SEC: '10' },
        'payment-gateway': { GATEWAY_PUBLIC_URL: door.url },
        metrics: { SNAPSHOT_EVERY_SEC: String(SNAPSHOT_EVERY_SEC) },
        'case-tracking': { SLA_TIME_SCALE: String(SLA_TIME_SCALE) },
      },
    });
    door.setUpstreams(platform.replicas('payment-gateway').map((r) => r.url));
    ledger = new Ledger(platform, testEnv.KAFKA_BROKERS);
  }, 300_000);

  afterAll(async () => {
    await sim?.stop();
    await ledger?.close();
    await platform?.stop();
    await door?.close();
    if (report.length)
      process.stdout.write(`\nreplicas (${REPLICAS} per service, ${RATE} dossiers/s):\n${report.join('\n')}\n`);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('every dossier ends once, the groups drop the killed members and take the added ones, BullMQ jobs run once', async () => {
    const p = platform as Platform;
    const l = ledger as Ledger;
    const groupOf = (s: Db) => p.groupIds[s] as string;
    const groupIds = consuming.map(groupOf);
    /** The member a replica's process joined its group as (what it recorded at its join). */
    const memberOf = async (s: Db, index: number) =>
      (
        await l.rows<{ member_id: string }>(
          s,
          'SELECT member_id FROM messaging_group_members WHERE group_id = $1 AND instance = $2',
          [groupOf(s), replicaInstance(s, index)],
        )
      )[0]?.member_id ?? null;

    expect(p.replicas().map((r) => `${r.name} ${r.state}`)).toEqual(
      services.flatMap((s) => (s === 'gateway' ? ['gateway running'] : [`${s} running`, `${s}.1 running`])),
    );

    const gw = p.urls.gateway ?? '';
    const defaults = defaultSimulatorConfig();
    sim = new Simulator(
      {
        identity: `${gw}/api/identity`,
        intake: `${gw}/api/intake`,
        payment: `${gw}/api/payment`,
        paymentGateway: (door as FrontDoor).url,
        caseTracking: `${gw}/api/cases`,
        metrics: `${gw}/api/metrics`,
        otpDir: p.otpDir,
      },
      {
        config: {
          ...defaults,
          provinces: { ...defaults.provinces, communesPerProvince: 1 },
          payment: { ...defaults.payment, abandonWithdrawShare: 1 },
        },
        rate: RATE,
        dossiers: DOSSIERS,
        seed: 8100,
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
      'a third of the dossiers submitted',
      () => Promise.resolve(submitted.size >= DOSSIERS / 3),
      120_000,
      100,
    );

    const admin = l.kafka.admin();
    await admin.connect();
    try {
      // Both replicas of every consuming service are members of its group, each with partitions.
      const before = await groupViews(admin, groupIds);
      const killed = new Map<Db, string>();
      for (const s of consuming) {
        const view = before.get(groupOf(s));
        const dead = await memberOf(s, KILLED_INDEX);
        expect({
          s,
          members: view?.members.size,
          withPartitions: [...(view?.members.values() ?? [])].every((n) => n > 0),
        }).toEqual({
          s,
          members: REPLICAS,
          withPartitions: true,
        });
        expect(dead !== null && view?.members.has(dead)).toBe(true);
        killed.set(s, dead as string);
      }
      const consumedBefore = new Map<Db, number>();
      for (const s of consuming) consumedBefore.set(s, await l.consumed(s));

      // 1. The first replica of every service, all at once.
      const killAt = Date.now();
      const exits = await Promise.all(BACKEND_SERVICES.map((s) => p.killReplica(s, KILLED_INDEX, 'SIGKILL')));
      for (const e of exits) expect(e.signal).toBe('SIGKILL');
      const rebalanced = new Map<Db, number>();
      const consumingAgain = new Map<Db, number>();
      await eventually(
        "every group gave the killed member's partitions to the survivor, and consumes again",
        async () => {
          const now = await groupViews(admin, groupIds);
          for (const s of consuming) {
            const view = now.get(groupOf(s));
            if (!rebalanced.has(s) && view?.state === 'Stable' && !view.members.has(killed.get(s) as string)) {
              const assigned = [...view.members.values()].reduce((a, b) => a + b, 0);
              if (view.members.size === REPLICAS - 1 && assigned === view.partitions)
                rebalanced.set(s, Date.now() - killAt);
            }
            if (
              rebalanced.has(s) &&
              !consumingAgain.has(s) &&
              ((await l.consumed(s)) > (consumedBefore.get(s) ?? 0) || (await l.lag(undefined, groupOf(s))) === 0)
            ) {
              consumingAgain.set(s, Date.now() - killAt);
            }
          }
          return consumingAgain.size === consuming.length;
        },
        REBALANCE_TIMEOUT_MS,
        250,
      );
      // The survivors waited for the dead members' sessions, not for the 30 s default: the setting reached them.
      expect(consuming.filter((s) => (rebalanced.get(s) ?? Infinity) >= SESSION_TIMEOUT_MS + 15_000)).toEqual([]);
      expect(
        p
          .replicas()
          .filter((r) => r.state === 'stopped')
          .map((r) => r.name),
      ).toEqual([...BACKEND_SERVICES]);

      // 2. One replica of each added back (in the stopped slot: its address is the one the gateway lists).
      const addAt = Date.now();
      const added = await Promise.all(BACKEND_SERVICES.map((s) => p.addReplica(s, { attempts: 3, backoffMs: 1000 })));
      const readyIn = new Map(added.map((a, i) => [BACKEND_SERVICES[i] as ServiceName, a.ms]));
      expect(added.map((a) => a.index)).toEqual(BACKEND_SERVICES.map(() => KILLED_INDEX));
      const joined = new Map<Db, number>();
      const newMember = new Map<Db, string>();
      await eventually(
        'every added replica joined its group and got partitions',
        async () => {
          const now = await groupViews(admin, groupIds);
          for (const s of consuming) {
            if (joined.has(s)) continue;
            const member = await memberOf(s, KILLED_INDEX);
            const view = now.get(groupOf(s));
            if (!member || member === killed.get(s) || !view || view.state !== 'Stable') continue;
            const assigned = [...view.members.values()].reduce((a, b) => a + b, 0);
            if ((view.members.get(member) ?? 0) > 0 && view.members.size === REPLICAS && assigned === view.partitions) {
              joined.set(s, Date.now() - addAt);
              newMember.set(s, member);
            }
          }
          return joined.size === consuming.length;
        },
        REBALANCE_TIMEOUT_MS,
        250,
      );
      report.push(
        `  rebalance after the SIGKILL of one replica of each (all at once; group session ${seconds(SESSION_TIMEOUT_MS)}), ` +
          'per group: dead member gone and its partitions with the survivor / consuming again',
        ...consuming.map(
          (s) => `    ${s.padEnd(13)} ${seconds(rebalanced.get(s) ?? 0)} / ${seconds(consumingAgain.get(s) ?? 0)}`,
        ),
        '  one replica of each added back: process ready / new member holding partitions, from the add',
        ...BACKEND_SERVICES.map((s) => {
          const j = (consuming as readonly string[]).includes(s) ? joined.get(s as Db) : undefined;
          return `    ${s.padEnd(15)} ${seconds(readyIn.get(s) ?? 0)}${j === undefined ? ' (consumes nothing)' : ` / ${seconds(j)}`}`;
        }),
      );

      // The flow ends.
      /** Submitted dossiers the simulator could not drive to an end (an arrival refused before it became one is not). */
      let stuck = 0;
      try {
        await sim.drain(240_000);
      } catch (e) {
        if (!(e instanceof DrainTimeoutError)) throw e;
        stuck = e.stuck.filter((x) => x.dossierId !== null).length;
        if (stuck > 0) {
          process.stdout.write(
            `the simulator could not drive ${stuck} dossier(s):\n${JSON.stringify(sim.stats().lastErrors, null, 1)}\n`,
          );
        }
      }
      const { counts, lastErrors } = sim.stats();
      await sim.stop();
      sim = undefined;
      try {
        await eventually('every group caught up and every outbox empty', () => l.quiet(), 180_000, 500);
      } catch (e) {
        process.stdout.write(`not quiet: ${await l.whyNotQuiet().catch((x: unknown) => String(x))}\n`);
        throw e;
      }

      // Every dossier, counted in the databases.
      const expected = new Map<string, TerminalState | null>();
      for (const id of submitted) expected.set(id, terminal.get(id) ?? null);
      let verdict = await l.judge(expected);
      const deadline = Date.now() + 60_000;
      while (verdict.lost.size > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        verdict = await l.judge(expected);
      }
      const ids = [...submitted];
      const states = new Map<string, number>();
      for (const s of terminal.values()) states.set(s, (states.get(s) ?? 0) + 1);

      // BullMQ work scheduled by both replicas, run once: the snapshot schedule's ticks (each tick's run publishes
      // one event per dimension key under its own correlation id) and the SLA warnings.
      const snapshotTopic = `${p.topicPrefix}metrics.completion-rate.v1`;
      const snapshotRuns = await l.rows<{ run: string; events: string }>(
        'metrics',
        `SELECT value::jsonb->>'correlationId' AS run, count(*) AS events FROM messaging_outbox
          WHERE topic = $1 GROUP BY 1`,
        [snapshotTopic],
      );
      const snapshotTwice = await l.rows<{ run: string; key: string; n: string }>(
        'metrics',
        `SELECT value::jsonb->>'correlationId' AS run, key, count(*) AS n FROM messaging_outbox
          WHERE topic = $1 GROUP BY 1, 2 HAVING count(*) > 1`,
        [snapshotTopic],
      );
      // Each run's correlation id ends with its tick (the scheduler's job id, `repeat:snapshot:<ms>`): one schedule
      // for both replicas means ticks at least a period apart; a schedule per replica would interleave closer ones.
      const ticks = snapshotRuns.map((r) => Number(/(\d{10,})$/.exec(r.run)?.[1] ?? NaN)).sort((a, b) => a - b);
      const gaps = ticks.slice(1).map((t, i) => t - (ticks[i] as number));
      const slaWarnings = await l.rows<{ n: string; cases: string }>(
        'case-tracking',
        `SELECT count(*) AS n, count(DISTINCT case_id) AS cases FROM case_history
          WHERE kind = 'SLA_WARNING' AND dossier_id = ANY($1)`,
        [ids],
      );
      const slaTwice = await l.rows<{ case_id: string; n: string }>(
        'case-tracking',
        `SELECT case_id, count(*) AS n FROM case_history WHERE kind = 'SLA_WARNING' AND dossier_id = ANY($1)
          GROUP BY case_id, due_at HAVING count(*) > 1`,
        [ids],
      );
      const overdueTwice = await l.rows<{ case_id: string; n: string }>(
        'case-tracking',
        `SELECT case_id, count(*) AS n FROM case_history WHERE kind = 'OVERDUE' AND dossier_id = ANY($1)
          GROUP BY case_id HAVING count(*) > 1`,
        [ids],
      );
      const facts = await l.rows<{ cases: string; notes: string; timeline: string }>(
        'case-tracking',
        `SELECT (SELECT count(*) FROM cases WHERE dossier_id = ANY($1)) AS cases,
                (SELECT count(*) FROM mailbox WHERE dossier_id = ANY($1)) AS notes,
                (SELECT count(*) FROM case_history WHERE dossier_id = ANY($1)) AS timeline`,
        [ids],
      );
      const money = await l.rows<{ paid: string; refunds: string }>(
        'payment',
        `SELECT (SELECT count(*) FROM payment_intents WHERE dossier_id = ANY($1) AND status = 'SUCCEEDED') AS paid,
                (SELECT count(*) FROM payment_refunds WHERE dossier_id = ANY($1)) AS refunds`,
        [ids],
      );

      // The groups now: the killed members gone, the added ones in.
      const after = await groupViews(admin, groupIds);
      const membership = consuming.map((s) => {
        const view = after.get(groupOf(s));
        return {
          s,
          members: view?.members.size,
          killedGone: !view?.members.has(killed.get(s) as string),
          addedIn: view?.members.has(newMember.get(s) as string) ?? false,
        };
      });

      const f = facts[0];
      const m = money[0];
      const refusedBy = lastErrors.map((x) => x.message.replace(/ answered .*/, '')).join('; ');
      report.push(
        `  dossiers: ${DOSSIERS} arrivals, ${submitted.size} submitted (${DOSSIERS - submitted.size} refused: ` +
          `${refusedBy || 'none'}), ` +
          `${terminal.size} ended: ${[...states].map(([k, v]) => `${v} ${k}`).join(', ')}; ` +
          `${counts.errors} driver error(s), ${stuck} stuck`,
        `  counted in the databases: ${verdict.lost.size} lost, ${verdict.duplicated.size} duplicated; ` +
          `${f?.cases ?? 0} cases, ${m?.paid ?? 0} payments, ${m?.refunds ?? 0} refunds, ${f?.notes ?? 0} notifications, ` +
          `${f?.timeline ?? 0} timeline entries`,
        `  BullMQ: ${snapshotRuns.length} snapshot runs (every ${SNAPSHOT_EVERY_SEC} s; ticks ${Math.min(...gaps) / 1000}–${Math.max(...gaps) / 1000} s apart), ` +
          `${snapshotTwice.length} published twice; ${slaWarnings[0]?.n ?? 0} SLA warnings on ${slaWarnings[0]?.cases ?? 0} cases, ` +
          `${slaTwice.length} twice; ${overdueTwice.length} cases flagged overdue twice`,
        `  groups at the end: ${membership.map((x) => `${x.s} ${x.members ?? 0} members`).join(', ')}`,
        `  payment platform front door: ${(door as FrontDoor).held()} request(s) refused by a replica and sent again`,
      );

      expect(describeVerdict(verdict)).toBe('');
      expect(stuck).toBe(0);
      expect([...expected.values()].filter((s) => s === null)).toEqual([]);
      // A request cut off by the SIGKILL may cost an arrival its sign-in or submission (never a dossier, which
      // is judged above); the others must all have become dossiers.
      expect(submitted.size).toBeGreaterThanOrEqual(Math.ceil(0.75 * DOSSIERS));
      expect(membership).toEqual(consuming.map((s) => ({ s, members: REPLICAS, killedGone: true, addedIn: true })));
      expect(snapshotTwice).toEqual([]);
      expect(snapshotRuns.length).toBeGreaterThan(2);
      expect(ticks.every((t) => Number.isFinite(t))).toBe(true);
      expect(gaps.filter((g) => g < SNAPSHOT_EVERY_SEC * 1000)).toEqual([]);
      expect(slaTwice).toEqual([]);
      expect(overdueTwice).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });
});
