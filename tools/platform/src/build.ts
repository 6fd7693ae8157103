/**
 * How the services run. Two runtimes:
 *
 * - `build` (default): one incremental `tsc` emit of every service into dist/services (NestJS needs
 *   emitDecoratorMetadata, which tsc emits and esbuild cannot), then plain `node`. Starts faster and holds
 *   much less memory than compiling in memory; see docs/performance.md for the measured numbers.
 * - `ts-node`: what `nx serve` does (`ts-node/register/transpile-only`), no build step; the end-to-end test uses it.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { ServiceName } from './services';

export type Runtime = 'build' | 'ts-node';

export const BUILD_DIR = 'dist/services';

/** Files under a source tree that the compiled code reads at run time (e.g. the holiday calendars). */
function copyAssets(root: string, outDir: string): number {
  let copied = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!/\.(ts|tsx|md)$/.test(entry.name)) {
        const target = join(outDir, relative(root, path));
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(path, target);
        copied++;
      }
    }
  };
  for (const top of ['apps', 'libs']) {
    for (const project of readdirSync(join(root, top), { withFileTypes: true })) {
      if (!project.isDirectory()) continue;
      const src = join(root, top, project.name, 'src');
      try {
        walk(src);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }
  return copied;
}

/** Runs a command to completion, collecting its output; rejects with the output on an exit code not in `ok`. */
export function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
  ok: readonly number[] = [0],
) {
  return new Promise<{ code: number; output: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code !== null && ok.includes(code)) resolve({ code, output: out });
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${out.trim()}`));
    });
  });
}

export interface BuildResult {
  outDir: string;
  ms: number;
  /** Type errors tsc reported while still emitting (the services run as `nx serve` would run them). */
  typeErrors: string[];
}

/**
 * Compiles the entry points of `services` and the `scripts` given (workspace paths such as
 * `apps/identity/src/seed.ts`), with everything they import, into dist/services with tsc, copies run-time assets,
 * and writes `register.js`, which maps the `@hoso/*` aliases onto the compiled files.
 */
export async function buildServices(
  root: string,
  services: readonly ServiceName[],
  scripts: readonly string[] = [],
): Promise<BuildResult> {
  const started = Date.now();
  const outDir = join(root, BUILD_DIR);
  mkdirSync(outDir, { recursive: true });
  const base = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  const tsconfig = {
    extends: relative(outDir, join(root, 'tsconfig.base.json')),
    compilerOptions: {
      outDir: '.',
      noEmit: false,
      incremental: true,
      tsBuildInfoFile: './.tsbuildinfo',
      declaration: false,
      sourceMap: true,
      types: ['node'],
    },
    files: [...services.map((s) => join('apps', s, 'src/main.ts')), ...scripts].map((f) =>
      relative(outDir, join(root, f)),
    ),
  };
  writeFileSync(join(outDir, 'tsconfig.build.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  // Exit code 2 is "errors, outputs generated": like ts-node's transpile-only, a type error elsewhere in the
  // tree does not stop the services from running (type checking is `npm test`'s job); the caller shows them.
  const tsc = await run(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(outDir, 'tsconfig.build.json')],
    root,
    process.env,
    [0, 2],
  );
  const typeErrors = tsc.output.split('\n').filter((l) => /error TS\d+/.test(l));
  copyAssets(root, outDir);
  writeFileSync(join(outDir, 'register.js'), registerSource(base.compilerOptions.paths));
  return { outDir, ms: Date.now() - started, typeErrors };
}

/**
 * register.js: the @hoso/* aliases onto the compiled files, through Node's own resolver. Self-contained on purpose:
 * tsconfig-paths is a development dependency, and an image installs production dependencies only.
 */
export function registerSource(paths: Record<string, string[]>): string {
  const aliases = Object.fromEntries(
    Object.entries(paths).map(([alias, targets]) => {
      const [target, ...rest] = targets;
      if (target === undefined || rest.length > 0 || `${alias}${target}`.includes('*')) {
        throw new Error(`tsconfig.base.json: "${alias}" must map to exactly one file (no wildcard, no fallbacks)`);
      }
      return [alias, target.replace(/\.ts$/, '.js')];
    }),
  );
  return [
    '// Written by tools/platform/src/build.ts: the @hoso/* path aliases of tsconfig.base.json, onto the compiled files.',
    "const Module = require('node:module');",
    "const { join } = require('node:path');",
    `const aliases = new Map(Object.entries(${JSON.stringify(aliases)}));`,
    'const resolveFilename = Module._resolveFilename;',
    'Module._resolveFilename = function (request, ...rest) {',
    '  const target = aliases.get(request);',
    '  return resolveFilename.call(this, target === undefined ? request : join(__dirname, target), ...rest);',
    '};',
    '',
  ].join('\n');
}

/** The `serve` target starts the service itself; every other target of this shape is one of its one-off commands. */
const SCRIPT_TARGET =
  /^node -r ts-node\/register\/transpile-only -r tsconfig-paths\/register (apps\/[\w-]+\/src\/\S+\.ts)$/;

/**
 * A service's one-off commands, by Nx target name (`identity` → `{ seed: 'apps/identity/src/seed.ts', … }`): the
 * targets of apps/<service>/project.json that run a script of the service's own sources, as `serve` runs main.ts.
 */
export function serviceScripts(root: string, service: ServiceName): Record<string, string> {
  const project = JSON.parse(readFileSync(join(root, 'apps', service, 'project.json'), 'utf8')) as {
    targets?: Record<string, { options?: { command?: unknown } }>;
  };
  const scripts: Record<string, string> = {};
  for (const [target, config] of Object.entries(project.targets ?? {})) {
    const command = config.options?.command;
    const script = typeof command === 'string' ? SCRIPT_TARGET.exec(command)?.[1] : undefined;
    if (target !== 'serve' && script?.startsWith(`apps/${service}/src/`)) scripts[target] = script;
  }
  return scripts;
}

/**
 * Plain-node entry points in dist/services, each loading register.js first: `<service>.js` starts the service and
 * `<service>.<target>.js` runs one of its one-off commands (`node dist/services/identity.seed.js` is
 * `nx run identity:seed`). An image runs these; no path alias or preload flag is needed on its command line.
 */
export function writeLaunchers(root: string, service: ServiceName, scripts: Record<string, string>): string[] {
  const outDir = join(root, BUILD_DIR);
  const entries: [string, string][] = [
    [`${service}.js`, join('apps', service, 'src/main.ts')],
    ...Object.entries(scripts).map(([target, script]): [string, string] => [`${service}.${target}.js`, script]),
  ];
  return entries.map(([file, source]) => {
    const compiled = `./${source.replace(/\.ts$/, '.js')}`;
    writeFileSync(
      join(outDir, file),
      `// Written by tools/platform/src/build.ts: ${source} as plain node.\n` +
        `require('./register.js');\nrequire(${JSON.stringify(compiled)});\n`,
    );
    return join(BUILD_DIR, file);
  });
}

/** `npx nx run portal:build` (Vite) into dist/apps/portal. */
export async function buildPortal(root: string): Promise<number> {
  const started = Date.now();
  await run(join(root, 'node_modules/.bin/nx'), ['run', 'portal:build', '--outputStyle=static'], root, {
    ...process.env,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
  });
  return Date.now() - started;
}

/** The node command line that runs `service` in `runtime`, with optional extra node flags / preloads. */
export function serviceCommand(
  root: string,
  service: ServiceName,
  runtime: Runtime,
  nodeArgs: readonly string[] = [],
): { command: string; args: string[]; env: Record<string, string> } {
  if (runtime === 'build') {
    return {
      command: process.execPath,
      args: [
        ...nodeArgs,
        '-r',
        join(root, BUILD_DIR, 'register.js'),
        join(root, BUILD_DIR, 'apps', service, 'src/main.js'),
      ],
      env: {},
    };
  }
  return {
    command: process.execPath,
    args: [
      ...nodeArgs,
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      `apps/${service}/src/main.ts`,
    ],
    env: { TS_NODE_PROJECT: 'tsconfig.json' },
  };
}
