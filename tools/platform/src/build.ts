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
 * Compiles the entry points of `services` (and everything they import) into dist/services with tsc,
 * copies run-time assets, and writes `register.js`, which maps the `@hoso/*` aliases onto the compiled files.
 */
export async function buildServices(root: string, services: readonly ServiceName[]): Promise<BuildResult> {
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
    files: services.map((s) => relative(outDir, join(root, 'apps', s, 'src/main.ts'))),
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
  const paths = Object.fromEntries(
    Object.entries(base.compilerOptions.paths).map(([alias, targets]) => [
      alias,
      targets.map((t) => t.replace(/\.ts$/, '.js')),
    ]),
  );
  writeFileSync(
    join(outDir, 'register.js'),
    `// Written by tools/platform/src/build.ts: the @hoso/* path aliases of tsconfig.base.json, onto the compiled files.\n` +
      `require('tsconfig-paths').register({ baseUrl: __dirname, paths: ${JSON.stringify(paths)}, addMatchAll: false });\n`,
  );
  return { outDir, ms: Date.now() - started, typeErrors };
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
