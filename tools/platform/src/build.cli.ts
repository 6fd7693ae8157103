/**
 * `npm run build -- [service …]` (each app's `nx run <service>:build`): what a deployable service runs from, built
 * the way its image builds it (deploy/docker/Dockerfile). For each service: tsc of main.ts and of its one-off
 * commands into dist/services, the launchers `dist/services/<service>.js` and `<service>.<command>.js`, and for the
 * gateway the portal (Vite) into dist/apps/portal. No service named: all seven.
 *
 * Unlike the platform's build for local runs, a type error fails it: what it produces is shipped.
 */
import { resolve } from 'node:path';
import { buildPortal, buildServices, serviceScripts, writeLaunchers } from './build';
import { ALL_SERVICES, portalPresent, type ServiceName } from './services';

const REPO_ROOT = resolve(__dirname, '../../..');
const USAGE = `usage: npm run build -- [service …]   (services: ${ALL_SERVICES.join(', ')}; none: all)`;

function isService(name: string): name is ServiceName {
  return (ALL_SERVICES as readonly string[]).includes(name);
}

async function main(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const unknown = args.filter((a) => !isService(a));
  if (unknown.length) {
    console.error(`unknown service(s): ${unknown.join(', ')}\n${USAGE}`);
    return 2;
  }
  const services = args.length ? [...new Set(args.filter(isService))] : [...ALL_SERVICES];
  const scripts = Object.fromEntries(services.map((s) => [s, serviceScripts(REPO_ROOT, s)]));
  const built = await buildServices(
    REPO_ROOT,
    services,
    services.flatMap((s) => Object.values(scripts[s] ?? {})),
  );
  if (built.typeErrors.length) {
    console.error(`tsc reported ${built.typeErrors.length} type error(s):\n${built.typeErrors.join('\n')}`);
    return 1;
  }
  console.log(`compiled ${services.join(', ')} into ${built.outDir} in ${(built.ms / 1000).toFixed(1)} s`);
  for (const s of services) console.log(`  ${writeLaunchers(REPO_ROOT, s, scripts[s] ?? {}).join('  ')}`);
  if (services.includes('gateway') && portalPresent(REPO_ROOT)) {
    const ms = await buildPortal(REPO_ROOT);
    console.log(`built the portal into dist/apps/portal in ${(ms / 1000).toFixed(1)} s`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
