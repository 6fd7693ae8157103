/**
 * The built portal the gateway serves (dist/apps/portal): rebuilt only when a source is newer than the build,
 * since a Vite build takes minutes on a busy machine.
 */
import { cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildPortal } from '@hoso/platform';

export const PORTAL_DIST = 'dist/apps/portal';

/**
 * What the bundle is made of: the portal's sources and config, and the shared libraries it bundles (the e-form rules,
 * the rate names). @hoso/api-types is types only: no change of it changes the bundle.
 */
const SOURCES = [
  'apps/portal/src',
  'apps/portal/index.html',
  'apps/portal/vite.config.ts',
  'apps/portal/tsconfig.json',
  'libs/e-forms/src',
  'libs/rates/src',
];

/** Tests are not in the bundle: editing one must not cost a rebuild. */
const NOT_BUNDLED = /\.spec\.tsx?$/;

function newest(path: string): { mtimeMs: number; path: string } {
  const s = statSync(path);
  if (!s.isDirectory()) return { mtimeMs: s.mtimeMs, path };
  let best = { mtimeMs: 0, path };
  for (const entry of readdirSync(path)) {
    if (NOT_BUNDLED.test(entry)) continue;
    const n = newest(join(path, entry));
    if (n.mtimeMs > best.mtimeMs) best = n;
  }
  return best;
}

/** Builds the portal (`nx run portal:build`) unless its index.html is newer than every source. */
export async function ensurePortalBuilt(root: string): Promise<{ built: boolean; ms: number; reason: string }> {
  const index = join(root, PORTAL_DIST, 'index.html');
  const builtAt = existsSync(index) ? statSync(index).mtimeMs : 0;
  const source = SOURCES.map((s) => join(root, s))
    .filter((p) => existsSync(p))
    .map(newest)
    .reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
  if (builtAt > source.mtimeMs) return { built: false, ms: 0, reason: 'up to date' };
  const reason = builtAt === 0 ? 'not built yet' : `${source.path.slice(root.length + 1)} is newer than the build`;
  const ms = await buildPortal(root);
  if (!existsSync(index)) throw new Error(`the portal build finished but ${index} does not exist`);
  return { built: true, ms, reason };
}

/**
 * A private copy of the build for one run (source maps left out): a rebuild during the run (Vite empties its output
 * folder first) must not leave the gateway without a portal half-way through. Checks that every script and
 * stylesheet index.html names is there, so a copy taken in the middle of someone else's build fails here, clearly.
 */
export function snapshotPortal(root: string, dest: string): string {
  const source = join(root, PORTAL_DIST);
  cpSync(source, dest, { recursive: true, filter: (path) => !path.endsWith('.map') });
  const index = readFileSync(join(dest, 'index.html'), 'utf8');
  const missing = [...index.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)]
    .map((m) => m[1] ?? '')
    .filter((asset) => !existsSync(join(dest, asset)));
  if (missing.length) {
    throw new Error(`${source} is incomplete (a build in progress?): index.html names ${missing.join(', ')}`);
  }
  return dest;
}
