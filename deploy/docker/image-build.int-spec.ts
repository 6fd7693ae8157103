/**
 * The image build replayed without a Docker engine, from deploy/docker/Dockerfile's own instructions, so the test
 * cannot drift from the images:
 *
 * - the build stage's commands, as plain npm steps, in a copy of the build context (.dockerignore applied); its
 *   install is the checkout's node_modules, which CI's `npm ci` made;
 * - the runtime stage in a directory of its own standing for /app: its production install (`npm ci --omit=dev`, from
 *   the npm cache when it can) and its copies from the context and from the build stage;
 * - then the image's CMD and HEALTHCHECK as they are written: intake against the test servers (live, then ready, on
 *   an isolated run's topics and a fresh database) and the gateway (live, and the built portal at `/`). Paths the
 *   image points outside /app are directories of the test (the volumes), and nothing under /app may change.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { toolKafkaSasl } from '@hoso/config';
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
import { DEFAULT_PORTS, freePort, runPrefix, serviceEnv, type ServiceName } from '@hoso/platform';
import { eventually, testEnv } from '@hoso/testing';
import {
  dockerignore,
  execForm,
  finalStage,
  isInstall,
  of,
  readDockerfile,
  stageEnv,
  stageNamed,
  substitute,
  workdir,
  type Stage,
} from './dockerfile';

const ROOT = join(__dirname, '..', '..');
const file = readDockerfile(ROOT);
const build = stageNamed(file, 'build');
const runtime = finalStage(file);
const SERVICES = ['intake', 'gateway'] as const satisfies readonly ServiceName[];
type Built = (typeof SERVICES)[number];

const buildArgs = (service: ServiceName) => ({ SERVICE: service, PORT: String(DEFAULT_PORTS[service]) });

/** A shell command to completion (RUN's shell form); rejects with its output. */
function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`\`${command}\` in ${cwd} exited ${code}:\n${out.slice(-4000)}`));
    });
  });
}

/** The build context as the engine receives it: the checkout without what .dockerignore leaves out. */
function copyContext(to: string): number {
  const ignored = dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
  let copied = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (ignored(path)) continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        mkdirSync(dirname(join(to, path)), { recursive: true });
        copyFileSync(join(ROOT, path), join(to, path));
        copied++;
      }
    }
  };
  walk('');
  return copied;
}

/** The build stage's commands after its install, in the context, with the build arguments in the environment. */
async function replayBuildStage(context: string, service: ServiceName): Promise<void> {
  expect(workdir(build)).toBe('/app');
  for (const ins of of(build, 'RUN')) {
    if (isInstall(ins)) continue;
    await sh(ins.args, context, { ...process.env, ...buildArgs(service) });
  }
}

/** Every file under `dir` (symbolic links not followed) with its size and modification time. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      const s = lstatSync(path);
      files.set(relative(dir, path), `${s.size}:${s.mtimeMs}`);
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return files;
}

/**
 * The runtime stage into `app` (standing for /app): its copies from the context and, once `built` resolves, from the
 * build stage (whose /app is the context); its install, or a link to `installed` (the same manifests, installed
 * once already). Any other RUN would be a step this replay does not know: it fails then.
 */
async function replayRuntimeStage(
  stage: Stage,
  service: ServiceName,
  context: string,
  app: string,
  built: Promise<void>,
  installed?: string,
): Promise<void> {
  expect(workdir(stage)).toBe('/app');
  const args = buildArgs(service);
  const inBuild = (path: string) => join(context, relative(workdir(build), path));
  for (const ins of stage.instructions) {
    if (ins.keyword === 'COPY') {
      const parts = substitute(ins.args, args).split(/\s+/);
      const dest = join(app, parts.pop() ?? '');
      const stageFrom = ins.flags['from'];
      if (stageFrom !== undefined && stageFrom !== 'build')
        throw new Error(`line ${ins.line}: COPY --from=${stageFrom}`);
      if (stageFrom !== undefined) await built;
      for (const source of parts) {
        const from = stageFrom === undefined ? join(context, source) : inBuild(source);
        const target = dest.endsWith('/') || parts.length > 1 ? join(dest, source.split('/').pop() ?? '') : dest;
        mkdirSync(dirname(target), { recursive: true });
        cpSync(from, target, { recursive: true });
      }
    } else if (ins.keyword === 'RUN') {
      if (!isInstall(ins)) throw new Error(`line ${ins.line}: RUN ${ins.args} is not replayed by this test`);
      if (installed) symlinkSync(join(installed, 'node_modules'), join(app, 'node_modules'));
      // The npm cache stands for the build's cache mount: offline when it holds every package, as after CI's install.
      else await sh(ins.args, app, { ...process.env, ...stageEnv(stage, args), npm_config_prefer_offline: 'true' });
    }
  }
}

interface Running {
  child: ChildProcess;
  output: () => string;
  /** Its exit code, or the signal that ended it. */
  exited: Promise<string>;
}

/** The image's CMD, as written, in the runtime directory. */
function startCmd(app: string, env: NodeJS.ProcessEnv): Running {
  const argv = execForm(of(runtime, 'CMD')[0]?.args ?? '');
  if (!argv?.[0]) throw new Error('the runtime stage has no exec-form CMD');
  const child = spawn(argv[0], argv.slice(1), { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(String(code ?? signal));
    });
  });
  return { child, output: () => out, exited };
}

/** The image's HEALTHCHECK command, as written; resolves with its exit code. */
function healthcheck(app: string, env: NodeJS.ProcessEnv): Promise<number | null> {
  const argv = execForm(of(runtime, 'HEALTHCHECK')[0]?.args ?? '');
  if (!argv?.[0]) throw new Error('the runtime stage has no exec-form HEALTHCHECK');
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] ?? '', argv.slice(1), { cwd: app, env, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => {
      resolve(code);
    });
  });
}

/**
 * SIGTERM, as the container runtime sends it to the CMD's process (node itself: exec form, no shell in between). Nest
 * closes the application, then ends the process with the signal again; SIGKILL after 20 s would be a hung shutdown.
 */
async function stop(run: Running): Promise<string> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return run.exited;
  run.child.kill('SIGTERM');
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 20_000);
  try {
    return await run.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** A response's status, its body read: an unread body keeps the connection busy, and a closing server waits for it. */
const status = async (url: string): Promise<number | false> =>
  fetch(url, { signal: AbortSignal.timeout(3000) }).then(
    async (r) => {
      await r.arrayBuffer();
      return r.status;
    },
    () => false,
  );

describe('the image build, replayed from deploy/docker/Dockerfile without Docker', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'hoso-image-'));
  const context = join(scratch, 'context');
  const apps: Record<Built, string> = { intake: join(scratch, 'intake'), gateway: join(scratch, 'gateway') };
  const volumes = join(scratch, 'volumes');
  const running: Running[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  let before: Record<Built, Map<string, string>>;

  /** The image's environment, the test platform's wiring, and the image's outside paths under `volumes`. */
  function environment(service: Built, port: number, wiring: Record<string, string>): NodeJS.ProcessEnv {
    const image = stageEnv(runtime, buildArgs(service));
    const mounted = Object.fromEntries(
      Object.entries(image)
        .filter(([k, v]) => k.endsWith('_DIR') && v.startsWith('/'))
        .map(([k, v]) => [k, join(volumes, v)]),
    );
    // HOST: a container listens on every interface; the test machine keeps its services on loopback.
    return { PATH: process.env['PATH'], ...image, ...wiring, ...mounted, HOST: '127.0.0.1', PORT: String(port) };
  }

  beforeAll(async () => {
    mkdirSync(context);
    expect(copyContext(context)).toBeGreaterThan(100);
    symlinkSync(join(ROOT, 'node_modules'), join(context, 'node_modules'));
    // As BuildKit does, the runtime stage installs while the build stage builds: the install needs the manifests only.
    const built = (async () => {
      for (const service of SERVICES) await replayBuildStage(context, service);
    })();
    await Promise.all([built, replayRuntimeStage(runtime, 'intake', context, apps.intake, built)]);
    await replayRuntimeStage(runtime, 'gateway', context, apps.gateway, built, apps.intake);
    before = { intake: snapshot(apps.intake), gateway: snapshot(apps.gateway) };
  }, 400_000);

  afterAll(async () => {
    for (const run of running) await stop(run);
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  it('has compiled JavaScript, the launcher and production dependencies only where the image has them', () => {
    for (const service of SERVICES) {
      const launcher = readFileSync(join(apps[service], 'dist/services/main.js'), 'utf8');
      expect(launcher).toContain(`require("./apps/${service}/src/main.js")`);
      expect(readdirSync(join(apps[service], 'dist/services/apps'))).toContain(service);
    }
    // Development tools are not installed: the service starting below proves it needs none of them.
    for (const dev of ['tsx', 'tsconfig-paths', 'patch-package', 'vite', 'nx', 'jest']) {
      expect([dev, lstatSafe(join(apps.intake, 'node_modules', dev))]).toEqual([dev, false]);
    }
    // …while the patched kafkajs is (the copy from the build stage).
    const consumer = readFileSync(join(apps.intake, 'node_modules/kafkajs/src/consumer/index.js'), 'utf8');
    expect(consumer).toContain('const memberId = await leaveFirst()');
    expect(readFileSync(join(apps.gateway, 'dist/apps/portal/index.html'), 'utf8')).toContain('<script');
  });

  it('intake: CMD serves live at once and ready on the servers; HEALTHCHECK agrees; SIGTERM stops it cleanly', async () => {
    const prefix = runPrefix('img');
    const kafka = new Kafka({
      sasl: toolKafkaSasl(),
      clientId: 'image-test',
      brokers: testEnv.KAFKA_BROKERS,
      logLevel: logLevel.NOTHING,
    });
    await ensureTopics(kafka, { prefix });
    cleanups.push(() => deleteTopics(kafka, prefix));
    await waitForTopicsServed(
      kafka,
      allTopicNames().map((t) => `${prefix}${t}`),
    );
    const grants = kafkaAclPlan(prefix);
    await withKafkaAdmin(kafka, (admin) => applyKafkaAcls(admin, grants));
    cleanups.push(() => withKafkaAdmin(kafka, (admin) => removeKafkaAcls(admin, grants, prefix)));
    cleanups.push(() => withKafkaAdmin(kafka, (admin) => admin.deleteGroups([`${prefix}intake`])));
    const db = await createTestDatabase(testEnv.DATABASE_URL, 'hoso_image');
    cleanups.push(db.drop);

    const port = await freePort();
    const wiring = serviceEnv('intake', {
      ports: { ...DEFAULT_PORTS, intake: port },
      brokers: testEnv.KAFKA_BROKERS.join(','),
      databaseUrl: testEnv.DATABASE_URL,
      redisUrl: testEnv.REDIS_URL,
      databases: { intake: db.url },
      topicPrefix: prefix,
      groupPrefix: prefix,
      logLevel: 'warn',
      otpDir: join(volumes, 'otp'),
      attachmentDir: join(volumes, 'attachments'),
      resultDir: join(volumes, 'results'),
      portalDir: join(volumes, 'portal'),
    });
    const env = environment('intake', port, wiring);
    const run = startCmd(apps.intake, env);
    running.push(run);
    const base = `http://127.0.0.1:${port}`;
    const live = await eventually(
      'intake /health/live',
      async () => (await status(`${base}/health/live`)) === 200,
      60_000,
      250,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n--- intake output ---\n${run.output()}`);
    });
    expect(live).toBe(true);
    expect(await healthcheck(apps.intake, env)).toBe(0);
    await eventually(
      'intake /health/ready',
      async () => (await status(`${base}/health/ready`)) === 200,
      60_000,
      500,
    ).catch(async (e: unknown) => {
      const body = await fetch(`${base}/health/ready`).then((r) => r.text(), String);
      throw new Error(`${String(e)}\n${body}\n--- intake output ---\n${run.output()}`);
    });

    expect(['0', 'SIGTERM']).toContain(await stop(run));
    expect(await healthcheck(apps.intake, env)).toBe(1);
    // The read-only root file system: nothing under /app was created or changed; the volumes took the writes.
    expect(changes(before.intake, snapshot(apps.intake))).toEqual([]);
  });

  it('gateway: CMD serves live and the built portal at / from the image’s own tree; HEALTHCHECK agrees', async () => {
    const port = await freePort();
    const wiring = serviceEnv('gateway', {
      ports: { ...DEFAULT_PORTS, gateway: port },
      brokers: testEnv.KAFKA_BROKERS.join(','),
      databaseUrl: testEnv.DATABASE_URL,
      redisUrl: testEnv.REDIS_URL,
      databases: {},
      topicPrefix: '',
      groupPrefix: '',
      logLevel: 'warn',
      otpDir: join(volumes, 'otp'),
      attachmentDir: join(volumes, 'attachments'),
      resultDir: join(volumes, 'results'),
      portalDir: '',
    });
    // The image's default PORTAL_DIR (dist/apps/portal under /app) is what is under test.
    delete wiring['PORTAL_DIR'];
    const env = environment('gateway', port, { ...wiring, QUEUE_PREFIX: runPrefix('img').replace(/\W/g, '') });
    const run = startCmd(apps.gateway, env);
    running.push(run);
    const base = `http://127.0.0.1:${port}`;
    await eventually(
      'gateway /health/live',
      async () => (await status(`${base}/health/live`)) === 200,
      60_000,
      250,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n--- gateway output ---\n${run.output()}`);
    });
    expect(await healthcheck(apps.gateway, env)).toBe(0);

    const page = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${base}${script ?? ''}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(0);

    expect(['0', 'SIGTERM']).toContain(await stop(run));
    expect(changes(before.gateway, snapshot(apps.gateway))).toEqual([]);
  });
});

function lstatSafe(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Paths created, changed or removed between two snapshots. */
function changes(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [path, stat] of b) if (a.get(path) !== stat) out.push(path);
  for (const path of a.keys()) if (!b.has(path)) out.push(`${path} (removed)`);
  return out;
}
