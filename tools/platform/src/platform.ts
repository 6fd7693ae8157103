/**
 * `startPlatform`: the whole platform on this machine, under one supervisor. Infrastructure through
 * deploy/local, an optional isolated run (own topic prefix, consumer groups and fresh databases), the build,
 * every service as its own process with the environment that wires it to the others, readiness of all in
 * parallel, and one `stop()` that leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { infraEnvSchema, parseEnv, withDatabase, toolKafkaSasl } from '@hoso/config';
import { allTopicNames } from '@hoso/contracts';
import {
  applyKafkaAcls,
  deleteTopics,
  ensureTopics,
  kafkaAclPlan,
  removeKafkaAcls,
  waitForTopicsServed,
  withKafkaAdmin,
} from '@hoso/messaging';
import { createTestDatabase } from '@hoso/persistence';
import { buildPortal, buildServices, serviceCommand, type Runtime } from './build';
import { ensureInfra, type InfraHandle } from './infra';
import { Supervisor, type SupervisedState, type SupervisedStatus, type SupervisorOptions } from './supervisor';
import {
  freePort,
  killManaged,
  portInUse,
  restartManaged,
  spawnManaged,
  stopAll,
  waitReady,
  type ExitInfo,
  type ManagedProcess,
  type RestartOptions,
} from './process';
import {
  BACKEND_SERVICES,
  CONSUMER_GROUPS,
  DATABASES,
  DEFAULT_PORTS,
  gatewayPresent,
  MAX_REPLICAS,
  portalPresent,
  replicaInstance,
  replicaName,
  replicaPort,
  serviceEnv,
  type ServiceName,
} from './services';

export const REPO_ROOT = resolve(__dirname, '../../..');

export interface PlatformOptions {
  root?: string;
  /** `build` (tsc into dist/services, then node) or `ts-node` (as `nx serve`). Default: build. */
  runtime?: Runtime;
  /** Run the tsc build first (runtime `build`); false reuses dist/services as it is. Default: true. */
  build?: boolean;
  /** `npm run infra -- up` first. Default: true. */
  infra?: boolean;
  /**
   * Kafka bootstrap servers for the run's topics and every service. Default: KAFKA_BROKERS (the infrastructure's).
   * A run that stops and starts its own broker points here, so other runs on the shared broker are not disturbed.
   */
  brokers?: readonly string[];
  /** At stop, also stop what `infra up` started during this call. Default: true. */
  stopInfra?: boolean;
  /** Default: the six back-end services, plus the gateway (and the portal build) once apps/gateway exists. */
  services?: readonly ServiceName[];
  /**
   * `default` (3000–3006, refused when taken), `free` (any free ports) or explicit ports. Replica k of a service
   * listens on its port + 100·k (a free port each with `free`). Default: default.
   */
  ports?: 'default' | 'free' | Partial<Record<ServiceName, number>>;
  /**
   * Processes per back-end service: one number for all, or per service (default 1, at most 9). The gateway stays
   * one process and balances over the replicas of the services behind it.
   */
  replicas?: number | Partial<Record<ServiceName, number>>;
  /**
   * An isolated run: every contract topic is created under this prefix, consumer groups and BullMQ queues get
   * it too, and each service gets a fresh database. Default: '' (the shared topics and hoso_* databases).
   */
  isolate?: { topicPrefix: string; cleanup: boolean };
  /** Attachments, results, one-time codes and logs go under it. Default: <root>/.data (an isolated run with cleanup: <root>/.data/runs/<prefix>). */
  dataDir?: string;
  /** inline: prefixed, coloured lines on `sink`; dir: one log file per service (null: none). Default: files in <dataDir>/logs. */
  logs?: { inline?: boolean; dir?: string | null };
  sink?: (text: string) => void;
  logLevel?: string;
  /** Citizens in the identity registry (seeded at the first start). Default: the service's own (200,000). */
  registrySeedCount?: number;
  /** Extra environment for every service, and per service. */
  env?: Record<string, string>;
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Extra node flags per service (e.g. a preload). */
  nodeArgs?: Partial<Record<ServiceName, string[]>>;
  readyTimeoutMs?: number;
  stopGraceMs?: number;
  /**
   * Once every service is ready, one that exits on its own is started again after a pause (doubling per crash,
   * capped) and given up when it crash-loops (default: 5 crashes within 60 s); `kill` and `stop` are deliberate
   * and never restarted. false: a service that exits stays down. Default: on.
   */
  supervise?: false | Pick<SupervisorOptions, 'backoffMs' | 'maxBackoffMs' | 'maxCrashes' | 'windowMs'>;
  /** One line per step (infra, build, each service ready, each automatic restart or give-up). */
  progress?: (line: string) => void;
  /** Aborting during start-up stops what was started and rejects. */
  signal?: AbortSignal;
}

/** One replica of a service: where it listens, its name among its group's members, and how it is doing. */
export interface ReplicaStatus {
  service: ServiceName;
  index: number;
  /** Its process name (log file, status lines): the service's name for replica 0, `<service>.<index>` after. */
  name: string;
  port: number;
  url: string;
  /** HOSO_INSTANCE: its name among its consumer group's members. */
  instance: string;
  pid: number;
  /** running, restarting (by its supervisor), stopped (killed on purpose) or given-up. */
  state: SupervisedState;
  restarts: number;
}

export interface Platform {
  /** Per service, its first replica's URL. */
  urls: Partial<Record<ServiceName, string>>;
  /** Per service, its first replica's port. */
  ports: Record<ServiceName, number>;
  otpDir: string;
  /** Every process: `name` is its service, `replica` its own name, `index` its replica. */
  processes: { name: ServiceName; replica: string; index: number; pid: number }[];
  managed: ManagedProcess[];
  topicPrefix: string;
  /** Consumer group id per consuming service. */
  groupIds: Partial<Record<ServiceName, string>>;
  /** Database URL per service. */
  databases: Partial<Record<ServiceName, string>>;
  infraStarted: InfraHandle['started'];
  logDir: string | null;
  /**
   * Sends `signal` (default SIGKILL: no shutdown hook runs, as in a crash) to one service's process group and
   * resolves once it has exited. A deliberate stop: the supervisor does not restart it; it stays down until
   * `restart`.
   */
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<ExitInfo>;
  /**
   * Starts one service again with the same command and environment (killing it first if it still runs), retrying
   * a failed start with backoff; resolves once it is ready, with the time that took.
   */
  restart(name: ServiceName, options?: RestartOptions): Promise<{ pid: number; ms: number; attempts: number }>;
  /** Stops every service (then cleans an isolated run up, then stops what infra up started); idempotent. */
  stop(): Promise<{ stopped: number }>;
  /** Per process: running, restarting, stopped (by kill) or given up (with why), and its automatic restarts. */
  supervision(): SupervisedStatus[];
  /** Every replica of every service (or of `service`), in order of service and index. */
  replicas(service?: ServiceName): ReplicaStatus[];
  /** `kill` for one replica. */
  killReplica(service: ServiceName, index: number, signal?: NodeJS.Signals): Promise<ExitInfo>;
  /** `restart` for one replica (in its slot: same port, same member name). */
  restartReplica(
    service: ServiceName,
    index: number,
    options?: RestartOptions,
  ): Promise<{ pid: number; ms: number; attempts: number }>;
  /**
   * One more replica of `service`, ready when it resolves: in the lowest slot whose process was stopped (its port is
   * in the gateway's list already), else in a new slot (the gateway learns its URL at its next start).
   */
  addReplica(
    service: ServiceName,
    options?: RestartOptions,
  ): Promise<{ index: number; name: string; url: string; pid: number; ms: number; attempts: number }>;
}

/**
 * Every contract topic under `prefix`, each partition served by its leader. Right after creating (or deleting) a
 * batch of topics a busy broker may answer "does not host this topic-partition" for a while: retried.
 */
async function createRunTopics(kafka: Kafka, prefix: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await ensureTopics(kafka, { prefix });
      await waitForTopicsServed(
        kafka,
        allTopicNames().map((n) => `${prefix}${n}`),
        Math.max(1_000, deadline - Date.now()),
      );
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One replica's place in the platform: its service, index, port, and the process serving it now. */
interface Slot {
  service: ServiceName;
  index: number;
  name: string;
  port: number;
  url: string;
  proc: ManagedProcess;
}

/** Start-up was aborted (the signal of the options); what had started is stopped, `stopped` processes. */
export class PlatformAborted extends Error {
  constructor(public stopped = 0) {
    super('start-up aborted');
    this.name = 'PlatformAborted';
  }
}

function defaultServices(root: string): ServiceName[] {
  return gatewayPresent(root) ? ['gateway', ...BACKEND_SERVICES] : [...BACKEND_SERVICES];
}

/** The replica count of each service: 1 unless asked; the gateway always 1. */
export function replicaCounts(
  services: readonly ServiceName[],
  replicas: PlatformOptions['replicas'],
): Record<ServiceName, number> {
  const out = Object.fromEntries(Object.keys(DEFAULT_PORTS).map((s) => [s, 0])) as Record<ServiceName, number>;
  for (const s of services) {
    const n = typeof replicas === 'number' ? replicas : (replicas?.[s] ?? 1);
    if (!Number.isInteger(n) || n < 1 || n > MAX_REPLICAS) {
      throw new Error(`replicas of ${s}: ${n} (expected an integer from 1 to ${MAX_REPLICAS})`);
    }
    // One entry point: a second gateway would need a balancer of its own in front.
    out[s] = s === 'gateway' ? 1 : n;
  }
  return out;
}

/** The port of every replica of every service; refused when one of them is taken. */
async function resolvePorts(
  services: readonly ServiceName[],
  ports: PlatformOptions['ports'],
  counts: Readonly<Record<ServiceName, number>>,
): Promise<{ first: Record<ServiceName, number>; all: Record<ServiceName, number[]> }> {
  const first = { ...DEFAULT_PORTS };
  const all = Object.fromEntries(Object.keys(DEFAULT_PORTS).map((s) => [s, [] as number[]])) as Record<
    ServiceName,
    number[]
  >;
  if (ports === 'free') {
    for (const s of services) {
      for (let k = 0; k < counts[s]; k++) all[s].push(await freePort());
      first[s] = all[s][0] ?? first[s];
    }
    return { first, all };
  }
  if (ports && ports !== 'default') Object.assign(first, ports);
  const taken: string[] = [];
  for (const s of services) {
    for (let k = 0; k < counts[s]; k++) {
      const port = replicaPort(first[s], k);
      all[s].push(port);
      if (await portInUse(port)) taken.push(`${replicaName(s, k)} :${port}`);
    }
  }
  if (taken.length) {
    throw new Error(
      `port(s) already in use: ${taken.join(', ')} — is another hoso (or \`nx serve\`) running? Stop it first.`,
    );
  }
  return { first, all };
}

export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const root = options.root ?? REPO_ROOT;
  const runtime = options.runtime ?? 'build';
  const progress = options.progress ?? (() => undefined);
  const services = options.services ?? defaultServices(root);
  // An isolated run that cleans up gets a directory of its own under the default one: `<root>/.data` also holds
  // deploy/local's broker and Redis data and the shared run's files, which its cleanup must never remove.
  const dataDir =
    options.dataDir ??
    (options.isolate?.cleanup
      ? join(root, '.data', 'runs', options.isolate.topicPrefix.replace(/[^\w-]/g, '_') || 'isolated')
      : join(root, '.data'));
  const logDir = options.logs?.dir === null ? null : (options.logs?.dir ?? join(dataDir, 'logs'));
  const topicPrefix = options.isolate?.topicPrefix ?? '';
  const infraEnv = parseEnv(infraEnvSchema);
  const brokers = options.brokers ? [...options.brokers] : infraEnv.KAFKA_BROKERS;
  const cleanups: (() => Promise<unknown>)[] = [];
  const managed: ManagedProcess[] = [];
  let infra: InfraHandle | null = null;
  const checkAbort = () => {
    if (options.signal?.aborted) throw new PlatformAborted();
  };

  let stopping: Promise<{ stopped: number }> | null = null;
  let supervisor: Supervisor | null = null;
  const isStopping = () => stopping !== null;
  const stop = () =>
    (stopping ??= (async () => {
      // Before the processes are stopped: their exits are not crashes.
      supervisor?.close();
      await stopAll(managed, options.stopGraceMs ?? 15_000);
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
      const infraStopped = infra && options.stopInfra !== false ? await infra.stop() : 0;
      return { stopped: managed.length + infraStopped };
    })());

  try {
    if (options.infra !== false) {
      progress('infrastructure: npm run infra -- up');
      infra = await ensureInfra(root, (line) => {
        progress(`  ${line}`);
      });
      checkAbort();
    }
    const counts = replicaCounts(services, options.replicas);
    const { first: ports, all: replicaPorts } = await resolvePorts(services, options.ports, counts);

    const databases: Partial<Record<ServiceName, string>> = {};
    let kafka: Kafka | null = null;
    if (options.isolate) {
      kafka = new Kafka({ sasl: toolKafkaSasl(), clientId: 'hoso-platform', brokers, logLevel: logLevel.NOTHING });
      const k = kafka;
      progress(`isolated run: topics under "${topicPrefix}", fresh databases`);
      await createRunTopics(k, topicPrefix);
      // Every service runs as its own Kafka user: the run's topics get the same ACLs as an environment's.
      const grants = kafkaAclPlan(topicPrefix);
      await withKafkaAdmin(k, (admin) => applyKafkaAcls(admin, grants));
      if (options.isolate.cleanup) {
        cleanups.push(() => withKafkaAdmin(k, (admin) => removeKafkaAcls(admin, grants, topicPrefix)));
        cleanups.push(() => deleteTopics(k, topicPrefix));
        cleanups.push(async () => {
          const admin = k.admin();
          await admin.connect();
          try {
            await admin.deleteGroups(
              services.flatMap((s) => (CONSUMER_GROUPS[s] ? [`${topicPrefix}${CONSUMER_GROUPS[s]}`] : [])),
            );
          } finally {
            await admin.disconnect();
          }
        });
      }
      for (const s of services) {
        const db = DATABASES[s];
        if (!db) continue;
        const created = await createTestDatabase(infraEnv.DATABASE_URL, `${db.name}_${topicPrefix.replace(/\W/g, '')}`);
        databases[s] = created.url;
        if (options.isolate.cleanup) cleanups.push(created.drop);
      }
      checkAbort();
    } else {
      for (const s of services) {
        const db = DATABASES[s];
        if (db) databases[s] = withDatabase(infraEnv.DATABASE_URL, db.name);
      }
    }

    if (runtime === 'build' && options.build !== false) {
      progress(
        `build: tsc → dist/services (${services.filter((s) => s !== 'gateway' || gatewayPresent(root)).length} services)`,
      );
      const built = await buildServices(root, services);
      progress(`  compiled in ${(built.ms / 1000).toFixed(1)} s`);
      if (built.typeErrors.length) {
        progress(
          `  ⚠ tsc reported ${built.typeErrors.length} type error(s); built anyway (npx tsc -p tsconfig.json lists them)`,
        );
      }
      if (services.includes('gateway') && portalPresent(root)) {
        progress('build: portal (npx nx run portal:build)');
        const ms = await buildPortal(root);
        progress(`  built in ${(ms / 1000).toFixed(1)} s`);
      }
      checkAbort();
    }

    const otpDir = join(dataDir, 'otp');
    const wiring = {
      ports,
      brokers: brokers.join(','),
      databaseUrl: infraEnv.DATABASE_URL,
      redisUrl: infraEnv.REDIS_URL,
      databases,
      topicPrefix,
      groupPrefix: topicPrefix,
      logLevel: options.logLevel ?? 'info',
      otpDir,
      attachmentDir: join(dataDir, 'attachments'),
      resultDir: join(dataDir, 'results'),
      portalDir: join(root, 'dist/apps/portal'),
      registrySeedCount: options.registrySeedCount,
      replicaUrls: Object.fromEntries(
        services.map((s) => [s, replicaPorts[s].map((port) => `http://127.0.0.1:${port}`)]),
      ) as Partial<Record<ServiceName, string[]>>,
      viaGateway: services.includes('gateway'),
    };
    for (const dir of [otpDir, wiring.attachmentDir, wiring.resultDir]) mkdirSync(dir, { recursive: true });
    if (options.isolate?.cleanup) {
      cleanups.push(() => {
        rmSync(dataDir, { recursive: true, force: true });
        return Promise.resolve();
      });
    }

    const total = services.reduce((n, s) => n + counts[s], 0);
    progress(
      `starting ${services.length} services${total > services.length ? ` (${total} processes with their replicas)` : ''} (${runtime})`,
    );
    const width = Math.max(...services.flatMap((s) => replicaPorts[s].map((_, k) => replicaName(s, k).length)));
    const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
    /** One per replica, in order of service and index; `managed` and `processes` hold the same order. */
    const slots: Slot[] = [];
    const processes: Platform['processes'] = [];
    const spawnSlot = (service: ServiceName, index: number, port: number): Slot => {
      const cmd = serviceCommand(root, service, runtime, options.nodeArgs?.[service] ?? []);
      const name = replicaName(service, index);
      const proc = spawnManaged({
        name,
        command: cmd.command,
        args: cmd.args,
        cwd: root,
        env: {
          ...process.env,
          ...serviceEnv(service, wiring, { index, port }),
          ...options.env,
          ...options.serviceEnv?.[service],
          ...cmd.env,
        },
        output: {
          inline: options.logs?.inline ?? false,
          ...(logDir ? { dir: logDir } : {}),
          ...(options.sink ? { sink: options.sink } : {}),
          prefixWidth: width,
        },
      });
      const slot: Slot = { service, index, name, port, url: `http://127.0.0.1:${port}`, proc };
      slots.push(slot);
      managed.push(proc);
      processes.push({ name: service, replica: name, index, pid: proc.pid });
      return slot;
    };
    const urls: Partial<Record<ServiceName, string>> = {};
    for (const s of services) urls[s] = `http://127.0.0.1:${ports[s]}`;
    const aborted = new Promise<never>((_, reject) => {
      options.signal?.addEventListener('abort', () => {
        reject(new PlatformAborted());
      });
    });
    aborted.catch(() => undefined);
    // Every replica at once: the first process of a service to migrate its database holds the migration lock
    // (libs/persistence), the others wait for it and find nothing to run; seeds take advisory locks of their own.
    for (const s of services) replicaPorts[s].forEach((port, k) => spawnSlot(s, k, port));
    await Promise.race([
      aborted,
      Promise.all(
        slots.map(async (slot) => {
          const ms = await waitReady(slot.proc, `${slot.url}/health/ready`, readyTimeoutMs);
          progress(
            `  ✔ ${slot.name.padEnd(width)} ready in ${(ms / 1000).toFixed(1)} s (pid ${slot.proc.pid}, :${slot.port})`,
          );
        }),
      ),
    ]);

    const slotOf = (service: ServiceName, index: number): number => {
      const i = slots.findIndex((x) => x.service === service && x.index === index);
      if (i < 0) {
        const known = slots.filter((x) => x.service === service).map((x) => x.index);
        throw new Error(
          known.length
            ? `${service} has no replica ${index} (replicas: ${known.join(', ')})`
            : `${service} is not a service of this platform (${services.join(', ')})`,
        );
      }
      return i;
    };
    /** Keeps `managed` and `processes` (what stop() and the callers see) on the process now serving slot `i`. */
    const replaced = (i: number, proc: ManagedProcess) => {
      const slot = slots[i] as Slot;
      slot.proc = proc;
      managed[i] = proc;
      processes[i] = { name: slot.service, replica: slot.name, index: slot.index, pid: proc.pid };
    };
    if (options.supervise !== false) {
      const sup = new Supervisor({
        ...(options.supervise ?? {}),
        progress,
        onRestarted: (name, proc) => {
          const i = slots.findIndex((x) => x.name === name);
          if (i < 0) return;
          replaced(i, proc);
          waitReady(proc, `${(slots[i] as Slot).url}/health/ready`, readyTimeoutMs).then(
            (ms) => {
              progress(`  ✔ ${name.padEnd(width)} ready again in ${(ms / 1000).toFixed(1)} s (pid ${proc.pid})`);
            },
            // Not ready: it exits (the supervisor sees that) or stays unready (its probe says why).
            () => undefined,
          );
        },
      });
      for (const p of managed) sup.watch(p);
      supervisor = sup;
    }

    const killReplica = async (service: ServiceName, index: number, signal: NodeJS.Signals = 'SIGKILL') => {
      const slot = slots[slotOf(service, index)] as Slot;
      supervisor?.markStopped(slot.name);
      return killManaged(slot.proc, signal);
    };
    const restartReplica = async (service: ServiceName, index: number, restartOptions?: RestartOptions) => {
      const name = replicaName(service, index);
      if (isStopping()) throw new Error(`the platform is stopping: ${name} is not restarted`);
      const i = slotOf(service, index);
      const slot = slots[i] as Slot;
      // Restarted by hand: the old process's exit is no crash, and a give-up or crash history is forgotten.
      supervisor?.markStopped(name);
      supervisor?.reset(name);
      const done = await restartManaged(slot.proc, `${slot.url}/health/ready`, {
        timeoutMs: readyTimeoutMs,
        ...restartOptions,
      });
      if (isStopping()) {
        // stop() began while it was starting and could not see it.
        await done.proc.stop(options.stopGraceMs ?? 15_000);
        throw new Error(`the platform is stopping: ${name} is not restarted`);
      }
      replaced(i, done.proc);
      supervisor?.watch(done.proc);
      progress(`  ↻ ${name.padEnd(width)} restarted, ready in ${(done.ms / 1000).toFixed(1)} s (pid ${done.proc.pid})`);
      return { pid: done.proc.pid, ms: done.ms, attempts: done.attempts };
    };
    const stateOf = (slot: Slot): SupervisedStatus | undefined =>
      supervisor?.status().find((x) => x.name === slot.name);

    return {
      urls,
      ports,
      otpDir,
      processes,
      managed,
      kill: (name, signal) => killReplica(name, 0, signal),
      restart: (name, restartOptions) => restartReplica(name, 0, restartOptions),
      killReplica,
      restartReplica,
      addReplica: async (service, restartOptions) => {
        if (isStopping()) throw new Error(`the platform is stopping: no replica of ${service} is added`);
        const mine = slots.filter((x) => x.service === service);
        if (mine.length === 0) throw new Error(`${service} is not a service of this platform (${services.join(', ')})`);
        if (service === 'gateway') throw new Error('the gateway runs as one process');
        const idle = mine.find((x) => x.proc.exitInfo() !== null && stateOf(x)?.state !== 'restarting');
        if (idle) {
          const done = await restartReplica(service, idle.index, restartOptions);
          return { index: idle.index, name: idle.name, url: idle.url, ...done };
        }
        const index = Math.max(...mine.map((x) => x.index)) + 1;
        if (index >= MAX_REPLICAS) throw new Error(`${service} has ${MAX_REPLICAS} replicas already`);
        const port = options.ports === 'free' ? await freePort() : replicaPort(ports[service], index);
        if (await portInUse(port)) throw new Error(`port ${port} of ${replicaName(service, index)} is already in use`);
        const started = Date.now();
        const slot = spawnSlot(service, index, port);
        try {
          await waitReady(slot.proc, `${slot.url}/health/ready`, restartOptions?.timeoutMs ?? readyTimeoutMs);
        } catch (e) {
          supervisor?.markStopped(slot.name);
          await killManaged(slot.proc);
          throw e;
        }
        if (isStopping()) {
          // stop() began while it was starting: it may have missed it.
          await slot.proc.stop(options.stopGraceMs ?? 15_000);
          throw new Error(`the platform is stopping: ${slot.name} is not added`);
        }
        supervisor?.watch(slot.proc);
        const ms = Date.now() - started;
        progress(`  + ${slot.name.padEnd(width)} added, ready in ${(ms / 1000).toFixed(1)} s (pid ${slot.proc.pid})`);
        return { index, name: slot.name, url: slot.url, pid: slot.proc.pid, ms, attempts: 1 };
      },
      replicas: (service) =>
        slots
          .filter((x) => service === undefined || x.service === service)
          .sort((a, b) => services.indexOf(a.service) - services.indexOf(b.service) || a.index - b.index)
          .map((x) => {
            const st = stateOf(x);
            return {
              service: x.service,
              index: x.index,
              name: x.name,
              port: x.port,
              url: x.url,
              instance: replicaInstance(x.service, x.index),
              pid: x.proc.pid,
              // Without a supervisor: running until it exits.
              state: st?.state ?? (x.proc.exitInfo() ? 'stopped' : 'running'),
              restarts: st?.restarts ?? 0,
            };
          }),
      topicPrefix,
      groupIds: Object.fromEntries(
        services.flatMap((s) => (CONSUMER_GROUPS[s] ? [[s, `${topicPrefix}${CONSUMER_GROUPS[s]}`]] : [])),
      ),
      databases,
      infraStarted: infra?.started ?? [],
      logDir,
      stop,
      supervision: () => supervisor?.status() ?? [],
    };
  } catch (e) {
    const { stopped } = await stop();
    // Whatever failed after an abort (a build cut off by the same Ctrl-C, a service killed) is the abort.
    if (options.signal?.aborted) throw new PlatformAborted(stopped);
    throw e;
  }
}

/** A random prefix for an isolated run (lowercase letters and digits, ending with a dot, like the test runs'). */
export function runPrefix(kind: string): string {
  return `${kind}${randomBytes(4).toString('hex')}.`;
}
