/**
 * `npx nx run platform:compare-runtimes`: starts the six back-end services once from the tsc build and once
 * through ts-node (each an isolated run on free ports), and prints the time to ready and the resident memory of
 * each service after 15 s of idling: the numbers behind the supervisor's default runtime (docs/performance.md).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServices, type Runtime } from './build';
import { REPO_ROOT, runPrefix, startPlatform } from './platform';
import { readProc } from './proc-stats';
import { BACKEND_SERVICES } from './services';

async function measure(runtime: Runtime): Promise<{ readySec: number; rssMb: Record<string, number> }> {
  const started = Date.now();
  const platform = await startPlatform({
    runtime,
    build: false,
    infra: false,
    services: BACKEND_SERVICES,
    ports: 'free',
    isolate: { topicPrefix: runPrefix('rt'), cleanup: true },
    dataDir: mkdtempSync(join(tmpdir(), 'hoso-runtime-')),
    logLevel: 'warn',
    registrySeedCount: 1000,
  });
  const readySec = (Date.now() - started) / 1000;
  try {
    await new Promise((r) => setTimeout(r, 15_000));
    return {
      readySec,
      rssMb: Object.fromEntries(
        platform.processes.map((p) => [p.name, Math.round((readProc(p.pid)?.rssKb ?? 0) / 1024)]),
      ),
    };
  } finally {
    await platform.stop();
  }
}

async function main(): Promise<void> {
  const built = await buildServices(REPO_ROOT, BACKEND_SERVICES);
  console.log(`tsc build: ${(built.ms / 1000).toFixed(1)} s`);
  const build = await measure('build');
  const tsNode = await measure('ts-node');
  const sum = (r: Record<string, number>) => Object.values(r).reduce((s, v) => s + v, 0);
  console.log('| service | tsc build RSS (MB) | ts-node RSS (MB) |\n|---|---:|---:|');
  for (const s of BACKEND_SERVICES) console.log(`| ${s} | ${build.rssMb[s] ?? '?'} | ${tsNode.rssMb[s] ?? '?'} |`);
  console.log(`| **all six** | **${sum(build.rssMb)}** | **${sum(tsNode.rssMb)}** |`);
  console.log(`| time to all ready (s) | ${build.readySec.toFixed(1)} | ${tsNode.readySec.toFixed(1)} |`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
