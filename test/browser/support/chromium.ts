/**
 * Debian's Chromium for the browser tests: installed with apt when missing, launched headless through
 * playwright-core (which bundles no browser of its own).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT, run } from '@hoso/platform';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * No sandbox (the tests may run as root, where Chromium refuses its sandbox), no GPU, and none of the background
 * traffic a fresh profile starts (updates, sync, safe-browsing lists): the tests must not depend on the internet.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
];

/**
 * Makes sure `/usr/bin/chromium` exists: when it does not, `apt-get update` then `apt-get install -y chromium`.
 * Resolves with whether it had to install and how long that took; rejects with what apt said and what to do.
 */
export async function ensureChromium(): Promise<{ installed: boolean; ms: number }> {
  if (existsSync(CHROMIUM_PATH)) return { installed: false, ms: 0 };
  const started = Date.now();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update'], REPO_ROOT, env);
    await run('apt-get', ['install', '-y', 'chromium'], REPO_ROOT, env);
  } catch (e) {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM_PATH}; installing it with apt-get failed ` +
        `(apt needs root and the Debian mirrors). Install it yourself: sudo apt-get install chromium\n` +
        (e instanceof Error ? e.message : String(e)),
    );
  }
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`apt-get install chromium succeeded but ${CHROMIUM_PATH} still does not exist`);
  }
  return { installed: true, ms: Date.now() - started };
}

/**
 * Headless Chromium with a fresh temporary profile (playwright-core makes one per launch and removes it); `env` is
 * added to the browser's environment.
 */
export function launchChromium(env: Record<string, string> = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    env: { ...process.env, ...env },
    // A slow start on a busy machine is not a failure.
    timeout: 120_000,
  });
}
