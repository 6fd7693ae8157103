/**
 * The image rules, checked on deploy/docker/Dockerfile itself: multi-stage, production dependencies only (with the
 * patched kafkajs), a numeric non-root user, compiled JavaScript started by node, a HEALTHCHECK, nothing secret,
 * nothing written under the image's own tree; and the build context, the build targets and the README that go with it.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_SERVICES, DEFAULT_PORTS } from '@hoso/platform';
import {
  dockerignore,
  execForm,
  finalStage,
  isInstall,
  of,
  pairs,
  readDockerfile,
  stageEnv,
  stageNamed,
  workdir,
} from './dockerfile';

const ROOT = join(__dirname, '..', '..');
const file = readDockerfile(ROOT);
const build = stageNamed(file, 'build');
const runtime = finalStage(file);
const runs = (stage = runtime) => of(stage, 'RUN').map((i) => i.args);

describe('deploy/docker/Dockerfile', () => {
  it('builds in one stage and runs from another, both on one pinned Node 20 slim image', () => {
    expect(file.stages.length).toBeGreaterThanOrEqual(2);
    expect(runtime).not.toBe(build);
    const bases = new Set(file.stages.map((s) => s.from));
    expect([...bases]).toHaveLength(1);
    // A full version (never `latest` or a floating major), optionally a digest.
    expect(runtime.from).toMatch(/^node:20\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
  });

  it('runs as a numeric, non-root user, after every file is in place (so root owns them)', () => {
    const users = of(runtime, 'USER');
    expect(users).toHaveLength(1);
    const user = users[0]!;
    expect(user.args).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.args.split(':')[0])).toBeGreaterThan(0);
    const lastWrite = Math.max(
      ...runtime.instructions.filter((i) => /^(RUN|COPY|ADD)$/.test(i.keyword)).map((i) => i.line),
    );
    expect(user.line).toBeGreaterThan(lastWrite);
    expect(runtime.instructions.filter((i) => 'chown' in i.flags || 'chmod' in i.flags)).toEqual([]);
  });

  it('starts compiled JavaScript with node (exec form), never ts-node or tsx', () => {
    expect(of(runtime, 'ENTRYPOINT')).toEqual([]);
    const cmds = of(runtime, 'CMD');
    expect(cmds).toHaveLength(1);
    const argv = execForm(cmds[0]!.args);
    expect(argv).not.toBeNull();
    expect(argv![0]).toBe('node');
    expect(argv![argv!.length - 1]).toMatch(/^dist\/.+\.js$/);
    // The started file is the service's launcher, copied under a name that does not depend on the service.
    const launcher = of(runtime, 'COPY').find((c) => c.args.split(/\s+/)[1] === `./${argv![argv!.length - 1]!}`);
    expect(launcher?.flags['from']).toBe('build');
    expect(launcher?.args).toContain('dist/services/${SERVICE}.js');
    const runtimeText = runtime.instructions.map((i) => i.args).join('\n');
    expect(runtimeText).not.toMatch(/ts-node|tsx/);
  });

  it('has a HEALTHCHECK that asks GET /health/live with node itself, on the PORT the image sets', () => {
    const checks = of(runtime, 'HEALTHCHECK');
    expect(checks).toHaveLength(1);
    const argv = execForm(checks[0]!.args);
    expect(argv?.[0]).toBe('node');
    expect(argv?.join(' ')).toContain('/health/live');
    expect(argv?.join(' ')).toContain('process.env.PORT');
    expect(stageEnv(runtime, { PORT: '3001' })['PORT']).toBe('3001');
    expect(checks[0]!.flags['interval']).toMatch(/^\d+s$/);
    expect(checks[0]!.flags['timeout']).toMatch(/^\d+s$/);
  });

  it('installs production dependencies only at run time, and the build stage patches with every dependency', () => {
    const installs = runs().filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/^npm ci\b.*--omit=dev/);
    // The full install runs its scripts: patch-package (postinstall) patches node_modules there.
    const buildInstall = of(build, 'RUN').filter(isInstall);
    expect(buildInstall).toHaveLength(1);
    expect(buildInstall[0]!.args).not.toMatch(/--omit|--ignore-scripts|--production/);
    expect(runs(build).join('\n')).not.toMatch(/npm install\b/);
  });

  it('replaces each dependency patches/ patches with the build stage’s patched copy, at the locked version', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    const patches = readdirSync(join(ROOT, 'patches')).filter((f) => f.endsWith('.patch'));
    expect(patches.length).toBeGreaterThan(0);
    const copies = of(runtime, 'COPY')
      .filter((c) => c.flags['from'] === 'build')
      .map((c) => c.args);
    for (const patch of patches) {
      const [, name, version] = /^(.+)\+([^+]+)\.patch$/.exec(patch) ?? [];
      const pkg = (name ?? '').replace('+', '/');
      expect(lock.packages[`node_modules/${pkg}`]?.version).toBe(version);
      expect(copies).toContain(`/app/node_modules/${pkg} ./node_modules/${pkg}`);
    }
    // The runtime stage installs before it takes the patched copies: a later install would put the pristine one back.
    const installLine = of(runtime, 'RUN').find(isInstall)!.line;
    for (const c of of(runtime, 'COPY').filter((i) => i.args.includes('node_modules/'))) {
      expect(c.line).toBeGreaterThan(installLine);
    }
  });

  it('copies no sources into the runtime stage: the manifests from the context, the rest from the build', () => {
    const fromContext = of(runtime, 'COPY')
      .filter((c) => !c.flags['from'])
      .map((c) => c.args);
    expect(fromContext).toEqual(['package.json package-lock.json ./']);
    expect(of(runtime, 'ADD')).toEqual([]);
  });

  it('bakes in no secret and no development mode', () => {
    const named = file.stages.flatMap((s) =>
      s.instructions.filter((i) => /^(ENV|ARG|LABEL)$/.test(i.keyword)).flatMap((i) => pairs(i.args)),
    );
    const names = [...Object.keys(file.globalArgs), ...named.map(([k]) => k)];
    expect(names.filter((n) => /PASS|SECRET|TOKEN|KEY|KEK|CREDENTIAL|_URL$/i.test(n))).toEqual([]);
    expect(names).not.toContain('HOSO_DEV_MODE');
    const text = readFileSync(join(ROOT, 'deploy/docker/Dockerfile'), 'utf8');
    expect(text).not.toMatch(/hoso-dev-|password=|postgres:\/\/|redis:\/\//i);
    expect(stageEnv(runtime, {})['NODE_ENV']).toBe('production');
  });

  it('sends every path a service writes outside /app (the read-only root file system)', () => {
    const env = stageEnv(runtime, { PORT: '3001', SERVICE: 'intake' });
    const app = workdir(runtime);
    expect(app).toBe('/app');
    // Every directory variable whose development default is under .data/ (relative to the working directory, so
    // inside /app in the image) is written at run time: the image must point it elsewhere.
    const written = new Set<string>();
    for (const service of ALL_SERVICES) {
      const config = readFileSync(join(ROOT, 'apps', service, 'src/config.ts'), 'utf8');
      for (const m of config.matchAll(/(\w+_DIR): z\.string\(\)[^\n]*\.default\('\.data\//g)) written.add(m[1]!);
    }
    expect(written.size).toBeGreaterThan(0);
    for (const variable of written) {
      expect([variable, env[variable]?.startsWith('/')]).toEqual([variable, true]);
      expect(env[variable]!.startsWith(`${app}/`)).toBe(false);
    }
    // …and names no variable the services do not read.
    const dirs = Object.keys(env).filter((k) => k.endsWith('_DIR'));
    expect(dirs.sort()).toEqual([...written].sort());
  });

  it('listens on every interface of the container', () => {
    expect(stageEnv(runtime, {})['HOST']).toBe('0.0.0.0');
  });

  it('builds the one service with the npm build script, which every deployable app’s Nx build target runs', () => {
    expect(runs(build)).toContain('npm run build -- "$SERVICE"');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['build']).toBe('tsx tools/platform/src/build.cli.ts');
    for (const service of ALL_SERVICES) {
      const project = JSON.parse(readFileSync(join(ROOT, 'apps', service, 'project.json'), 'utf8')) as {
        targets: Record<string, { options?: { command?: string } }>;
      };
      expect([service, project.targets['build']?.options?.command]).toEqual([
        service,
        `tsx tools/platform/src/build.cli.ts ${service}`,
      ]);
    }
  });
});

describe('deploy/docker/README.md', () => {
  const readme = readFileSync(join(ROOT, 'deploy/docker/README.md'), 'utf8');

  it('gives every deployable service its default port (apps/<service>/src/config.ts)', () => {
    for (const service of ALL_SERVICES) {
      const config = readFileSync(join(ROOT, 'apps', service, 'src/config.ts'), 'utf8');
      const port = /\bPORT: port\.default\((\d+)\)/.exec(config)?.[1];
      expect([service, Number(port)]).toEqual([service, DEFAULT_PORTS[service]]);
      expect(readme).toMatch(new RegExp(`\\| \`${service}\`\\s*\\| ${port} \\|`));
    }
  });

  it('names every one-off command an image can run', () => {
    for (const service of ALL_SERVICES) {
      const project = JSON.parse(readFileSync(join(ROOT, 'apps', service, 'project.json'), 'utf8')) as {
        targets: Record<string, { options?: { command?: string } }>;
      };
      for (const [target, config] of Object.entries(project.targets)) {
        if (target === 'serve' || !/apps\/[\w-]+\/src\/\S+\.ts$/.test(config.options?.command ?? '')) continue;
        expect(readme).toContain(`node dist/services/${service}.${target}.js`);
      }
    }
  });
});

describe('.dockerignore', () => {
  const ignored = dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
  const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);

  it('keeps local state, installed or built trees and secrets out of the build context', () => {
    for (const path of ['node_modules/kafkajs/package.json', 'dist/services/register.js', '.data/otp/x.json', '.env']) {
      expect([path, ignored(path)]).toEqual([path, true]);
    }
    expect(ignored('apps/intake/.env.production')).toBe(true);
    expect(ignored('.git/config')).toBe(true);
  });

  it('keeps everything the build stage reads', () => {
    const needed = [
      'package.json',
      'package-lock.json',
      'nx.json',
      'tsconfig.base.json',
      'tools/platform/src/build.cli.ts',
      'tools/platform/src/build.ts',
      'apps/portal/index.html',
      'apps/portal/vite.config.ts',
      ...readdirSync(join(ROOT, 'patches')).map((p) => `patches/${p}`),
      ...ALL_SERVICES.flatMap((s) => [`apps/${s}/project.json`, `apps/${s}/src/main.ts`]),
    ];
    for (const path of needed) expect([path, ignored(path)]).toEqual([path, false]);
    // Every tracked source of the apps and libraries, tests aside, is in the context.
    const sources = tracked.filter(
      (p) => /^(apps|libs)\/[^/]+\/src\/.+\.tsx?$/.test(p) && !/\.(int-)?spec\.tsx?$/.test(p),
    );
    expect(sources.filter(ignored)).toEqual([]);
  });

  it('leaves tests out', () => {
    expect(ignored('apps/intake/src/config.spec.ts')).toBe(true);
    expect(ignored('libs/messaging/src/flush.int-spec.ts')).toBe(true);
    expect(ignored('test/e2e/citizen-flow.int-spec.ts')).toBe(true);
  });
});
