/**
 * One person at a browser (a citizen, an officer, the operator): an own browser context (own session storage,
 * so several people are signed in at once), one tab, and what went wrong in it — console errors, uncaught
 * exceptions, failed and refused requests — for the message of a failed step, with a full-page screenshot.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Lines kept per kind: the last ones are the ones that explain a failure. */
const KEEP = 25;

export interface ActorOptions {
  baseUrl: string;
  viewport?: { width: number; height: number };
}

export class Actor {
  readonly consoleErrors: string[] = [];
  readonly networkFailures: string[] = [];

  private constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on('console', (m) => {
      if (m.type() === 'error') this.keep(this.consoleErrors, `console: ${m.text()}`);
    });
    page.on('pageerror', (e) => {
      this.keep(this.consoleErrors, `uncaught: ${e.message}`);
    });
    page.on('requestfailed', (r) => {
      const reason = r.failure()?.errorText ?? 'failed';
      // Requests a navigation cut short (the page left) explain nothing.
      if (reason !== 'net::ERR_ABORTED') this.keep(this.networkFailures, `${r.method()} ${r.url()} → ${reason}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) this.keep(this.networkFailures, `${r.request().method()} ${r.url()} → ${r.status()}`);
    });
  }

  static async open(browser: Browser, name: string, o: ActorOptions): Promise<Actor> {
    const context = await browser.newContext({
      baseURL: o.baseUrl,
      viewport: o.viewport ?? { width: 1280, height: 800 },
      acceptDownloads: true,
      locale: 'vi-VN',
      timezoneId: 'Asia/Ho_Chi_Minh',
    });
    // Generous: every click reaches services sharing two busy cores with Kafka and PostgreSQL.
    context.setDefaultTimeout(60_000);
    context.setDefaultNavigationTimeout(90_000);
    return new Actor(name, context, await context.newPage());
  }

  private keep(list: string[], line: string): void {
    list.push(line);
    if (list.length > KEEP) list.shift();
  }

  /** What the page's Content-Security-Policy refused (a style, a script, a connection): always a bug. */
  cspViolations(): string[] {
    return this.consoleErrors.filter((e) => e.includes('Content Security Policy'));
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

export const SCREENSHOT_DIR = '.data/screenshots';

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * Runs one step of a scenario as `actor`. When it fails: a full-page screenshot at
 * `<root>/.data/screenshots/<step>.png`, and an error naming the step, the page's address, the screenshot, and the
 * page's recent console errors and failed requests, with the original error's message.
 */
export async function step<T>(
  root: string,
  actor: Actor,
  name: string,
  fn: () => Promise<T>,
  /** A last line for the message (where else to look). */
  hint?: string,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const dir = join(root, SCREENSHOT_DIR);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${slug(name)}.png`);
    let shot: string;
    try {
      await actor.page.screenshot({ path: file, fullPage: true, timeout: 30_000 });
      shot = file;
    } catch (se) {
      shot = `(none: ${se instanceof Error ? se.message.split('\n')[0] : String(se)})`;
    }
    const list = (l: string[]) => (l.length ? l.map((x) => `  ${x}`).join('\n') : '  (none)');
    const err = new Error(
      [
        `step "${name}" (${actor.name}) failed at ${actor.page.url()}:`,
        e instanceof Error ? e.message : String(e),
        `screenshot: ${shot}`,
        `console errors:\n${list(actor.consoleErrors)}`,
        `failed or refused requests:\n${list(actor.networkFailures)}`,
        ...(hint ? [hint] : []),
      ].join('\n'),
    );
    if (e instanceof Error && e.stack) err.stack = `${err.message}\n${e.stack.split('\n').slice(1).join('\n')}`;
    throw err;
  }
}
