/**
 * The portal in a real browser (Debian's Chromium driven by playwright-core) against the whole platform: the
 * gateway serving the built portal and proxying to identity, intake, payment, the payment provider's simulator,
 * case-tracking and metrics, each its own process on an isolated run (own topics, consumer groups, databases).
 *
 * One story, in order: citizen A signs in with a one-time code, finds a fee-paying fully online procedure, fills the
 * prefilled e-form with an attachment, submits, pays on the provider's checkout page and comes back; the officer of
 * the receiving agency claims the case, asks for a supplement (which the citizen answers), approves, issues the
 * result and completes; the citizen downloads the result and rates; the operator's dashboard counts the dossier;
 * citizen B cannot see A's dossier. A failed step leaves a screenshot in .data/screenshots/ and names the page's
 * console errors and refused requests. `UPDATE_SCREENSHOTS=1` also refreshes the pictures in docs/screenshots/.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { generateCitizens, type CitizenRecord } from '@hoso/population';
import { eventually } from '@hoso/testing';
import {
  ALL_SERVICES,
  freePort,
  REPO_ROOT,
  runPrefix,
  startPlatform,
  type Platform,
  type ServiceName,
} from '@hoso/platform';
import { Actor, step } from './support/actor';
import { ensureChromium, launchChromium } from './support/chromium';
import { ensurePortalBuilt, snapshotPortal } from './support/portal-build';

/** Citizens in the identity registry of this run; `generateCitizens` with the same seed is its exact content. */
const REGISTRY_SEED_COUNT = 3000;
/** Set in the browser's environment (inherited by all its processes), so the end can check none is left. */
const BROWSER_MARKER = 'HOSO_BROWSER_RUN';
const PASSWORD = 'hoso-dev-password';
const UPDATE_SCREENSHOTS = process.env['UPDATE_SCREENSHOTS'] === '1';
const DOC_SCREENSHOTS = join(REPO_ROOT, 'docs/screenshots');
/** Each service's output of the last run (kept for a failure's post-mortem; rewritten by the next run). */
const LOG_DIR = '.data/browser-logs';

/** A PDF as small as intake accepts (it checks the leading bytes, not the whole structure). */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
/** A 1×1 transparent PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

interface FormField {
  name: string;
  type: string;
  required: boolean;
  options?: string[];
  prefill?: string;
  min?: number;
}

interface Procedure {
  code: string;
  name: string;
  feeVnd: number;
  agencyLevel: string;
  serviceLevel: string;
  requiredVneidLevel: number;
  requiredDocuments: { name: string; required: boolean }[];
  form: FormField[];
}

/** What the steps hand on to the next ones; a missing piece means an earlier step failed. */
interface Story {
  procedure?: Procedure;
  dossierId?: string;
  receiptCode?: string;
  agencyCode?: string;
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`an earlier step failed: no ${what}`);
  return value;
}

/**
 * Live processes whose environment holds one of `markers` (`NAME=value`): the services of this run carry its topic
 * prefix, the browser and all its helpers (even those re-parented when it exits) the run's browser marker.
 */
function processesMarked(markers: string[]): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${e}/environ`, 'latin1');
      if (!markers.some((m) => environ.includes(`${m}\0`))) continue;
      out.push({ pid: Number(e), cmd: readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 160) });
    } catch {
      // gone while we looked, or not ours to read
    }
  }
  return out;
}

/** Fills a form field the registry did not prefill with a value its type accepts. */
async function fillField(page: Page, f: FormField, citizen: CitizenRecord): Promise<void> {
  const input = page.getByTestId(`field-${f.name}`);
  switch (f.type) {
    case 'boolean':
      await input.check();
      return;
    case 'select':
      await input.selectOption(f.options?.[0] ?? '');
      return;
    case 'date':
      await input.fill('2020-05-01');
      return;
    case 'number':
      await input.fill(String(f.min ?? 1));
      return;
    case 'email':
      await input.fill('citizen@example.vn');
      return;
    case 'phone':
      await input.fill('0912345678');
      return;
    case 'personalId':
      await input.fill(citizen.personalId);
      return;
    default:
      await input.fill('Nội dung kê khai');
  }
}

/** True when the page is no wider than the window (no horizontal scrolling). */
function fitsWidth(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
}

describe('the portal in a browser: citizen, officer and operator (Chromium)', () => {
  /** This run's topic prefix, also the mark on the browser's environment. */
  const runId = runPrefix('b');
  let platform: Platform | undefined;
  const leftovers = () => processesMarked([`KAFKA_TOPIC_PREFIX=${runId}`, `${BROWSER_MARKER}=${runId}`]);
  let browser: Browser | undefined;
  let base = '';
  /** The run's attachments, results, one-time codes and portal copy (removed at the end). */
  let dataDir = '';
  const actors: Actor[] = [];
  const story: Story = {};
  const timings: string[] = [];
  const adults = [...generateCitizens({ count: REGISTRY_SEED_COUNT, seed: 20251 })].filter(
    (c) => c.vneidLevel === 2 && !c.deceased && c.birthDate < '2000-01-01',
  );
  // A resident of Hồ Chí Minh City: its online-fee exemption ended in 2025 (payment's fee_exemptions), so its
  // province centre charges the fee online; in half of the provinces the fee would be waived and nothing paid.
  const citizenA = adults.find((c) => c.currentProvinceCode === '79') as CitizenRecord;
  const citizenB = adults.find((c) => c.fullName !== citizenA.fullName) as CitizenRecord;
  let a: Actor;

  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const value = await fn();
    timings.push(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return value;
  };

  const openActor = async (name: string) => {
    const actor = await Actor.open(need(browser, 'browser'), name, { baseUrl: base });
    actors.push(actor);
    return actor;
  };

  const run = <T>(actor: Actor, name: string, fn: () => Promise<T>) =>
    step(REPO_ROOT, actor, name, fn, `service logs: ${LOG_DIR}/<service>.log`);

  /**
   * One chapter of the story. They depend on each other: once one has failed (or timed out), the later ones fail
   * at once naming it, instead of each waiting for what will never come.
   */
  let broken: string | null = null;
  const chapter = (name: string, fn: () => Promise<void>, o: { standalone?: boolean } = {}) => {
    it(
      name,
      async () => {
        // A standalone chapter needs only what it asks for (need()), not every chapter before it.
        if (!o.standalone) {
          if (broken) throw new Error(`not run: the earlier chapter "${broken}" failed`);
          broken = name;
        }
        const seen = new Map(actors.map((actor) => [actor, actor.cspViolations().length]));
        await timed(`chapter: ${name}`, fn);
        // The pages rendered as built: the gateway's Content-Security-Policy refused no style, script or call.
        for (const actor of actors) {
          const refused = actor.cspViolations().slice(seen.get(actor) ?? 0);
          expect({ [actor.name]: refused }).toEqual({ [actor.name]: [] });
        }
        if (!o.standalone) broken = null;
      },
      600_000,
    );
  };

  /** Saves a documentation picture of the page as it is now (only with UPDATE_SCREENSHOTS=1). */
  const docShot = async (page: Page, name: string) => {
    if (!UPDATE_SCREENSHOTS) return;
    mkdirSync(DOC_SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(DOC_SCREENSHOTS, `${name}.png`), fullPage: true });
  };

  /**
   * Refreshes until `check` holds: for what other services change in their own time (Kafka consumers), sooner than
   * the page's own polling would show it. Checked first, so a page that already follows on its own is not reloaded.
   */
  const until = async (
    page: Page,
    what: string,
    check: () => Promise<boolean>,
    refresh: () => Promise<unknown> = () => page.reload({ waitUntil: 'domcontentloaded' }),
    timeoutMs = 120_000,
  ) => {
    await eventually(
      what,
      async () => {
        if (await check()) return true;
        await refresh();
        return false;
      },
      timeoutMs,
      // A reload costs the (busy) browser the whole bundle again: not more often than this.
      4000,
    );
  };

  const dossierStatus = (page: Page) =>
    page
      .getByTestId('dossier')
      .getAttribute('data-status', { timeout: 20_000 })
      .catch(() => null);

  const caseStatus = (page: Page) =>
    page
      .getByTestId('case')
      .getAttribute('data-status', { timeout: 20_000 })
      .catch(() => null);

  /** The sign-in page of a citizen: personal ID, then the development inbox's code. */
  const citizenSignIn = async (actor: Actor, citizen: CitizenRecord) => {
    const page = actor.page;
    await page.getByTestId('personal-id-input').fill(citizen.personalId);
    await page.getByTestId('request-code').click();
    await page.getByTestId('dev-code').waitFor();
    await page.getByTestId('use-dev-code').click();
    const code = await page.getByTestId('dev-code').innerText();
    expect(await page.getByTestId('otp-input').inputValue()).toBe(code.trim());
    await page.getByTestId('verify-code').click();
    await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
    await page.getByTestId('signed-in-as').waitFor();
  };

  const staffSignIn = async (actor: Actor, username: string) => {
    const page = actor.page;
    await page.waitForURL((u) => u.pathname === '/staff/sign-in');
    await page.getByTestId('staff-username').fill(username);
    await page.getByTestId('staff-password').fill(PASSWORD);
    await page.getByTestId('staff-sign-in-submit').click();
    await page.waitForURL((u) => u.pathname !== '/staff/sign-in');
  };

  beforeAll(async () => {
    const chromium = await timed('chromium present', ensureChromium);
    if (chromium.installed) timings.push('  (installed with apt-get)');
    const build = await timed('portal build', () => ensurePortalBuilt(REPO_ROOT));
    timings.push(`  (${build.built ? `built: ${build.reason}` : build.reason})`);
    dataDir = mkdtempSync(join(tmpdir(), 'hoso-browser-'));
    const portalDir = snapshotPortal(REPO_ROOT, join(dataDir, 'portal'));
    const ports = Object.fromEntries(
      await Promise.all(ALL_SERVICES.map(async (s) => [s, await freePort()] as const)),
    ) as Record<ServiceName, number>;
    base = `http://127.0.0.1:${ports.gateway}`;
    platform = await timed('platform start (7 processes)', () =>
      startPlatform({
        runtime: 'ts-node',
        infra: false,
        ports,
        isolate: { topicPrefix: runId, cleanup: true },
        dataDir,
        logs: { dir: join(REPO_ROOT, LOG_DIR) },
        logLevel: 'info',
        registrySeedCount: REGISTRY_SEED_COUNT,
        // The platform wires the payment return origin to the gateway; the portal is a snapshot of this build.
        serviceEnv: { gateway: { PORTAL_DIR: portalDir } },
      }),
    );
    browser = await timed('chromium launch', () => launchChromium({ [BROWSER_MARKER]: runId }));
    // The marks are where the final check looks: it would see any of these left behind.
    expect(
      processesMarked([`KAFKA_TOPIC_PREFIX=${runId}`])
        .map((p) => p.pid)
        .sort(),
    ).toEqual(platform.processes.map((p) => p.pid).sort());
    expect(processesMarked([`${BROWSER_MARKER}=${runId}`]).length).toBeGreaterThan(0);
  }, 600_000);

  afterAll(async () => {
    for (const actor of actors) await actor.close().catch(() => undefined);
    await browser?.close();
    await platform?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    // The run's timings: what this suite costs on the machine at hand (printed, never asserted).
    console.log(`browser e2e timings:\n  ${timings.join('\n  ')}`);
    // Nothing this suite started may outlive it: the browser (and its helpers) and the seven services.
    await eventually('every process of the run to exit', () => Promise.resolve(leftovers().length === 0), 15_000, 250)
      // The assertion below names whatever is left.
      .catch(() => undefined);
    expect(leftovers()).toEqual([]);
  }, 120_000);

  chapter('an anonymous visit to /dossiers goes to sign-in; citizen A signs in with the one-time code', async () => {
    a = await openActor('citizen A');
    await run(a, 'anonymous-dossiers-redirect', async () => {
      await a.page.goto('/dossiers');
      await a.page.waitForURL((u) => u.pathname === '/sign-in' && u.searchParams.get('next') === '/dossiers');
      await a.page.getByTestId('sign-in-id-form').waitFor();
    });
    await run(a, 'citizen-a-sign-in', async () => {
      await citizenSignIn(a, citizenA);
      // Back where the sign-in started: the (empty) list of the citizen's dossiers.
      expect(new URL(a.page.url()).pathname).toBe('/dossiers');
    });
  });

  chapter(
    'citizen A finds a fee-paying fully online procedure and submits its prefilled e-form with an attachment',
    async () => {
      const page = a.page;
      const procedure = await run(a, 'choose-procedure', async () => {
        const res = await fetch(`${base}/api/intake/procedures?agencyLevel=province&serviceLevel=FULL&pageSize=100`);
        expect(res.status).toBe(200);
        const list = (await res.json()) as { items: Procedure[] };
        const summary = list.items.find((p) => p.feeVnd > 0 && p.requiredVneidLevel <= 2);
        if (!summary) throw new Error('no fee-paying, fully online, province-level procedure in the catalog');
        const one = await fetch(`${base}/api/intake/procedures/${summary.code}`);
        return (await one.json()) as Procedure;
      });
      story.procedure = procedure;

      await run(a, 'catalog-search', async () => {
        await page.goto('/');
        await page.getByTestId('catalog-search').fill(procedure.name);
        await page.getByTestId('catalog-search-submit').click();
        await page.waitForURL((u) => u.searchParams.get('q') === procedure.name);
        await page.getByTestId('filter-online').check();
        await page.waitForURL((u) => u.searchParams.get('online') === '1');
        const card = page.locator(`[data-testid="procedure-card"][data-code="${procedure.code}"]`);
        await card.waitFor();
        await card.getByRole('link').click();
      });

      await run(a, 'procedure-page', async () => {
        await page.locator(`[data-testid="procedure"][data-code="${procedure.code}"]`).waitFor();
        expect(await page.getByTestId('procedure-fee').innerText()).toMatch(/\d.*₫/);
        await page.getByTestId('apply-button').click();
        await page.waitForURL((u) => u.pathname === `/procedures/${procedure.code}/apply`);
      });

      await run(a, 'fill-e-form', async () => {
        await page.getByTestId('apply-form').waitFor({ timeout: 60_000 });
        await page.getByTestId('prefill-note').waitFor();
        let prefilled = 0;
        for (const f of procedure.form) {
          const mark = page.getByTestId(`prefilled-${f.name}`);
          if (f.prefill && (await mark.count()) > 0) {
            // Marked as coming from the registry, and holding the registry's value.
            expect(['prefilled', 'locked']).toContain(await mark.getAttribute('data-prefill-state'));
            if (f.type !== 'boolean') expect(await page.getByTestId(`field-${f.name}`).inputValue()).not.toBe('');
            prefilled++;
          } else if (f.required) {
            await fillField(page, f, citizenA);
          }
        }
        expect(prefilled).toBeGreaterThan(0);
        // The receiving agency: the province service centre, the citizen's own province by default.
        const province = page.getByTestId('agency-province');
        await page
          .locator('[data-testid="agency-province"] option:not([value=""])')
          .first()
          .waitFor({ state: 'attached' });
        if (!(await province.inputValue())) await province.selectOption(citizenA.currentProvinceCode);
        story.agencyCode = `P${await province.inputValue()}`;
      });

      await run(a, 'upload-attachments', async () => {
        const inputs = page.getByTestId('attachment-input');
        const required = procedure.requiredDocuments.filter((d) => d.required).length;
        // One file per required document, or one under "other" when none is required.
        const slots =
          required > 0
            ? procedure.requiredDocuments.flatMap((d, i) => (d.required ? [i] : []))
            : [procedure.requiredDocuments.length];
        for (const i of slots) {
          await inputs.nth(i).setInputFiles({ name: `giay-to-${i}.pdf`, mimeType: 'application/pdf', buffer: PDF });
        }
        await eventually(
          'every upload done',
          async () =>
            (await page.locator('[data-testid="upload"][data-state="done"]').count()) === slots.length &&
            (await page.locator('[data-testid="upload"]:not([data-state="done"])').count()) === 0,
          60_000,
          200,
        );
        expect(await page.getByTestId('missing-documents').count()).toBe(0);
        await docShot(page, 'citizen-form');
      });

      await run(a, 'submit-dossier', async () => {
        await page.getByTestId('submit-dossier').click();
        await page.waitForURL((u) => /^\/dossiers\/[0-9a-f-]{36}$/.test(u.pathname) && u.searchParams.has('submitted'));
        await page.getByTestId('submitted-banner').waitFor();
        const receipt = (await page.getByTestId('receipt-code').innerText()).trim();
        expect(receipt).toMatch(/^[A-Z0-9]+-\d{6}-\d{6}$/);
        expect(await page.getByTestId('submitted-banner').innerText()).toContain(receipt);
        story.receiptCode = receipt;
        story.dossierId = (await page.getByTestId('dossier').getAttribute('data-dossier-id')) ?? undefined;
      });

      await run(a, 'awaiting-payment', async () => {
        // Identity verifies, payment asks for the fee: the page follows on its own (it polls while things move).
        const settled = await eventually(
          'identity and payment to settle the dossier',
          async () => {
            const s = await dossierStatus(page);
            return s && !['SUBMITTED', 'IDENTITY_VERIFIED'].includes(s) ? s : undefined;
          },
          90_000,
          500,
        );
        expect(settled).toBe('AWAITING_PAYMENT');
        await page.getByTestId('pay-button').waitFor({ timeout: 30_000 });
        expect(await page.getByTestId('payment-amount').innerText()).toMatch(/\d.*₫/);
      });
    },
  );

  chapter("citizen A pays on the provider's checkout page and comes back to a RECEIVED dossier", async () => {
    const page = a.page;
    const dossierId = need(story.dossierId, 'dossier');
    await run(a, 'pay-at-checkout', async () => {
      const gatewayOrigin = need(platform, 'platform').urls['payment-gateway'] ?? '';
      await page.getByTestId('pay-button').click();
      await page.waitForURL((u) => u.origin === gatewayOrigin && u.pathname.startsWith('/checkout/'));
      await page.locator('button[data-outcome="success"]').click();
      // The provider sends the browser back to the dossier's page, which knows it comes back from paying.
      await page.waitForURL(
        (u) =>
          u.origin === base && u.pathname === `/dossiers/${dossierId}` && u.searchParams.get('payment') === 'return',
      );
    });
    await run(a, 'dossier-received', async () => {
      // The page follows the payment's confirmation and the case's opening on its own.
      await page.locator('[data-testid="dossier"][data-status="RECEIVED"]').waitFor({ timeout: 120_000 });
      await page.getByTestId('payment-paid').waitFor();
    });
  });

  chapter(
    'the officer claims the case, asks for a supplement the citizen answers, approves, issues the result and completes',
    async () => {
      const receipt = need(story.receiptCode, 'receipt code');
      const agency = need(story.agencyCode, 'agency');
      const officer = await openActor('officer');
      const page = officer.page;
      const row = page.locator('[data-testid="queue-row"]').filter({ hasText: receipt });

      await run(officer, 'officer-sign-in', async () => {
        await page.goto('/officer');
        await staffSignIn(officer, `officer.${agency.toLowerCase()}`);
        expect(new URL(page.url()).pathname).toBe('/officer');
      });

      await run(officer, 'officer-queue', async () => {
        await until(
          page,
          `the case ${receipt} in the queue`,
          async () => {
            await page.locator('[data-testid="queue"], [data-testid="queue-empty"]').first().waitFor();
            return (await row.count()) === 1;
          },
          () => page.getByTestId('queue-refresh').click(),
        );
        expect(await row.getAttribute('data-status')).toBe('RECEIVED');
        await docShot(page, 'officer-queue');
        await row.getByRole('link', { name: receipt }).click();
        await page.locator('[data-testid="case"][data-status="RECEIVED"]').waitFor();
        expect(await page.getByTestId('case-receipt-code').innerText()).toBe(receipt);
      });

      const act = async (button: string, status: string, reason?: string) => {
        await page.getByTestId(button).click();
        if (reason !== undefined) {
          await page.getByTestId('action-reason').fill(reason);
          await page.getByTestId('action-confirm').click();
        }
        await page.getByTestId('action-done').waitFor();
        await page.locator(`[data-testid="case"][data-status="${status}"]`).waitFor();
      };

      await run(officer, 'claim-and-ask-supplement', async () => {
        await act('action-claim', 'IN_PROCESS');
        await act('action-request-supplement', 'SUPPLEMENT_REQUESTED', 'Bổ sung bản sao giấy khai sinh');
      });

      await run(a, 'citizen-answers-supplement', async () => {
        const citizenPage = a.page;
        await until(citizenPage, 'the supplement request', async () => {
          await citizenPage.getByTestId('dossier').waitFor();
          return (await citizenPage.getByTestId('supplement-panel').count()) === 1;
        });
        expect(await citizenPage.getByTestId('supplement-request').innerText()).toContain('giấy khai sinh');
        await citizenPage
          .getByTestId('supplement-panel')
          .getByTestId('attachment-input')
          .setInputFiles({ name: 'giay-khai-sinh.png', mimeType: 'image/png', buffer: PNG });
        await citizenPage
          .locator('[data-testid="supplement-panel"] [data-testid="upload"][data-state="done"]')
          .waitFor();
        await citizenPage.getByTestId('supplement-note').fill('Đã bổ sung bản sao giấy khai sinh');
        await citizenPage.getByTestId('supplement-submit').click();
        await citizenPage.getByTestId('supplement-panel').waitFor({ state: 'detached' });
      });

      await run(officer, 'approve-issue-complete', async () => {
        await until(page, 'the case back IN_PROCESS', async () => (await caseStatus(page)) === 'IN_PROCESS');
        // The file the citizen supplied is part of the dossier: listed as a supplement, and the officer downloads it.
        const supplied = page.getByTestId('supplement-attachment');
        await supplied.waitFor();
        expect(await supplied.count()).toBe(1);
        expect(await supplied.innerText()).toContain('giay-khai-sinh.png');
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          supplied.getByTestId('supplement-attachment-download').click(),
        ]);
        expect(readFileSync(await download.path()).equals(PNG)).toBe(true);
        await act('action-approve', 'APPROVED', 'Hồ sơ hợp lệ');
        await act('action-issue-result', 'RESULT_ISSUED');
        await act('action-complete', 'COMPLETED');
        await page.getByTestId('case-download-result').waitFor();
      });
    },
  );

  chapter(
    'citizen A sees the dossier COMPLETED, downloads the result PDF and rates; the pages fit a phone',
    async () => {
      const page = a.page;
      const dossierId = need(story.dossierId, 'dossier');
      await run(a, 'citizen-sees-completed', async () => {
        await until(page, 'the dossier COMPLETED with its result', async () => {
          return (
            (await dossierStatus(page)) === 'COMPLETED' && (await page.getByTestId('download-result').count()) === 1
          );
        });
        expect(await page.getByTestId('result-outcome').innerText()).toBeTruthy();
      });

      await run(a, 'download-result', async () => {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByTestId('download-result').click(),
        ]);
        const file = await download.path();
        expect(readFileSync(file).subarray(0, 5).toString('latin1')).toBe('%PDF-');
        expect(download.suggestedFilename()).toMatch(/\.pdf$/);
      });

      await run(a, 'rate-service', async () => {
        await page.getByTestId('rating-5').check();
        await page.getByTestId('rate-submit').click();
        await page.getByTestId('rating-done').waitFor();
        const kinds = await page
          .locator('[data-testid="timeline-entry"]')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind') ?? ''));
        expect(kinds.length).toBeGreaterThanOrEqual(6);
        await docShot(page, 'citizen-dossier');
      });

      await run(a, 'phone-width', async () => {
        await page.setViewportSize({ width: 390, height: 844 });
        try {
          await page.goto('/');
          await page.getByTestId('catalog-results').waitFor();
          const catalog = await fitsWidth(page);
          expect(catalog.scrollWidth).toBeLessThanOrEqual(catalog.innerWidth);
          await page.goto(`/dossiers/${dossierId}`);
          await page.getByTestId('timeline').waitFor();
          await page.getByTestId('rating-done').waitFor();
          const dossier = await fitsWidth(page);
          expect(dossier.scrollWidth).toBeLessThanOrEqual(dossier.innerWidth);
        } finally {
          await page.setViewportSize({ width: 1280, height: 800 });
        }
      });
    },
  );

  chapter("the operator's dashboard counts the dossier", async () => {
    need(story.receiptCode, 'completed dossier');
    const operator = await openActor('operator');
    const page = operator.page;
    await run(operator, 'operator-sign-in', async () => {
      await page.goto('/operator/rates');
      await staffSignIn(operator, 'operator');
      expect(new URL(page.url()).pathname).toBe('/operator/rates');
    });
    await run(operator, 'operator-rates', async () => {
      const total = page.getByTestId('rates-total-row');
      // The metrics service counts from the events; the dashboard shows what it has counted so far.
      await until(page, 'the completed dossier counted', async () => {
        await page
          .locator('[data-testid="operator-rates-table"], [data-testid="operator-rates-empty"]')
          .first()
          .waitFor();
        if ((await total.count()) === 0) return false;
        return (await total.getByTestId('rate-completion').getAttribute('data-value')) === '1';
      });
      expect(Number(await page.getByTestId('operator-total-submitted').innerText())).toBeGreaterThanOrEqual(1);
      const completion = total.getByTestId('rate-completion');
      // Shown as a percentage with the counts behind it: one received dossier, one completed.
      expect(await completion.innerText()).toMatch(/100\s?%/);
      expect(await completion.innerText()).toContain('1/1');
      await docShot(page, 'operator-dashboard');
    });
  });

  chapter(
    "citizen B cannot open citizen A's dossier",
    async () => {
      const dossierId = need(story.dossierId, 'dossier');
      const receipt = need(story.receiptCode, 'receipt code');
      const b = await openActor('citizen B');
      const page = b.page;
      await run(b, 'citizen-b-opens-a-dossier', async () => {
        await page.goto(`/dossiers/${dossierId}`);
        await page.waitForURL((u) => u.pathname === '/sign-in');
        await citizenSignIn(b, citizenB);
        await page.waitForURL((u) => u.pathname === `/dossiers/${dossierId}`);
        await page
          .locator('[data-testid="error"], [data-testid="not-found"], [data-testid="forbidden"]')
          .first()
          .waitFor();
        expect(await page.getByTestId('dossier').count()).toBe(0);
        const text = await page.locator('body').innerText();
        expect(text).not.toContain(receipt);
        expect(text).not.toContain(citizenA.fullName);
        expect(text).not.toContain(citizenA.personalId);
      });
    },
    { standalone: true },
  );
});
