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
import { Supervisor, type SupervisedStatus, type SupervisorOptions } from './supervisor';
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
  portalPresent,
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
  /** `default` (3000–3006, refused when taken), `free` (any free ports) or explicit ports. Default: default. */
  ports?: 'default' | 'free' | Partial<Record<ServiceName, number>>;
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

export interface Platform {
  urls: Partial<Record<ServiceName, string>>;
  ports: Record<ServiceName, number>;
  otpDir: string;
  processes: { name: ServiceName; pid: number }[];
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
  /** Per service: running, restarting, stopped (by kill) or given up (with why), and its automatic restarts. */
  supervision(): SupervisedStatus[];
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

async function resolvePorts(
  services: readonly ServiceName[],
  ports: PlatformOptions['ports'],
): Promise<Record<ServiceName, number>> {
  const out = { ...DEFAULT_PORTS };
  if (ports === 'free') {
    for (const s of services) out[s] = await freePort();
    return out;
  }
  if (ports && ports !== 'default') Object.assign(out, ports);
  const taken: string[] = [];
  for (const s of services) if (await portInUse(out[s])) taken.push(`${s} :${out[s]}`);
  if (taken.length) {
    throw new Error(
      `port(s) already in use: ${taken.join(', ')} — is another hoso (or \`nx serve\`) running? Stop it first.`,
    );
  }
  return out;
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
    const ports = await resolvePorts(services, options.ports);

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
    };
    for (const dir of [otpDir, wiring.attachmentDir, wiring.resultDir]) mkdirSync(dir, { recursive: true });
    if (options.isolate?.cleanup) {
      cleanups.push(() => {
        rmSync(dataDir, { recursive: true, force: true });
        return Promise.resolve();
      });
    }

    progress(`starting ${services.length} services (${runtime})`);
    const width = Math.max(...services.map((s) => s.length));
    for (const s of services) {
      const cmd = serviceCommand(root, s, runtime, options.nodeArgs?.[s] ?? []);
      managed.push(
        spawnManaged({
          name: s,
          command: cmd.command,
          args: cmd.args,
          cwd: root,
          env: { ...process.env, ...serviceEnv(s, wiring), ...options.env, ...options.serviceEnv?.[s], ...cmd.env },
          output: {
            inline: options.logs?.inline ?? false,
            ...(logDir ? { dir: logDir } : {}),
            ...(options.sink ? { sink: options.sink } : {}),
            prefixWidth: width,
          },
        }),
      );
    }
    const urls: Partial<Record<ServiceName, string>> = {};
    for (const s of services) urls[s] = `http://127.0.0.1:${ports[s]}`;
    const aborted = new Promise<never>((_, reject) => {
      options.signal?.addEventListener('abort', () => {
        reject(new PlatformAborted());
      });
    });
    aborted.catch(() => undefined);
    await Promise.race([
      aborted,
      Promise.all(
        managed.map(async (p) => {
          const ms = await waitReady(
            p,
            `${urls[p.name as ServiceName] ?? ''}/health/ready`,
            options.readyTimeoutMs ?? 180_000,
          );
          progress(`  ✔ ${p.name.padEnd(width)} ready in ${(ms / 1000).toFixed(1)} s (pid ${p.pid})`);
        }),
      ),
    ]);

    const processes = managed.map((p) => ({ name: p.name as ServiceName, pid: p.pid }));
    const indexOf = (name: ServiceName) => {
      const i = managed.findIndex((p) => p.name === name);
      if (i < 0) throw new Error(`${name} is not a service of this platform (${services.join(', ')})`);
      return i;
    };
    if (options.supervise !== false) {
      const sup = new Supervisor({
        ...(options.supervise ?? {}),
        progress,
        // The same slots: stop() reaches the new process, and `processes` shows its pid.
        onRestarted: (name, proc) => {
          const i = indexOf(name as ServiceName);
          managed[i] = proc;
          processes[i] = { name: name as ServiceName, pid: proc.pid };
          const url = `${urls[name as ServiceName] ?? ''}/health/ready`;
          waitReady(proc, url, options.readyTimeoutMs ?? 180_000).then(
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
    return {
      urls,
      ports,
      otpDir,
      processes,
      managed,
      kill: async (name, signal = 'SIGKILL') => {
        const i = indexOf(name);
        supervisor?.markStopped(name);
        return killManaged(managed[i] as ManagedProcess, signal);
      },
      restart: async (name, restartOptions) => {
        if (isStopping()) throw new Error(`the platform is stopping: ${name} is not restarted`);
        const i = indexOf(name);
        // Restarted by hand: the old process's exit is no crash, and a give-up or crash history is forgotten.
        supervisor?.markStopped(name);
        supervisor?.reset(name);
        const done = await restartManaged(managed[i] as ManagedProcess, `${urls[name] ?? ''}/health/ready`, {
          timeoutMs: options.readyTimeoutMs ?? 180_000,
          ...restartOptions,
        });
        if (isStopping()) {
          // stop() began while it was starting and could not see it.
          await done.proc.stop(options.stopGraceMs ?? 15_000);
          throw new Error(`the platform is stopping: ${name} is not restarted`);
        }
        // The same slots: stop() reaches the new process, and `processes` shows its pid.
        managed[i] = done.proc;
        processes[i] = { name, pid: done.proc.pid };
        supervisor?.watch(done.proc);
        progress(
          `  ↻ ${name.padEnd(width)} restarted, ready in ${(done.ms / 1000).toFixed(1)} s (pid ${done.proc.pid})`,
        );
        return { pid: done.proc.pid, ms: done.ms, attempts: done.attempts };
      },
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
