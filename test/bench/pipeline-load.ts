/**
 * The pipeline benchmark's load generator, through the services' public HTTP APIs as a browser would use them:
 *  - before any measured window, citizens of identity's registry sign in (challenge, one-time code from the
 *    development inbox, tokens) and fetch the prefill of each procedure, so a measured arrival is one request;
 *  - open-loop arrivals: each `POST /dossiers` is fired on its schedule whether or not earlier ones answered, with at
 *    most `maxInFlight` in flight (an arrival beyond is refused and counted, never queued);
 *  - a checkout bot pays every fee the platform requests (seen on Kafka by the flow tap): it reads the pending
 *    payment, opens the checkout, loads the payment platform's page and pays, as the simulator's citizen bot does.
 * Every request sent is counted.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { generateCitizens, type CitizenRecord, type PrefillSource } from '@hoso/population';
import type { FormField } from '@hoso/e-forms';
import { citizenOrigin } from '@hoso/simulator';
import type { DossierTimes } from './flow-tap';
import { arrivalsDue } from './pipeline-report';

export interface Endpoints {
  identity: string;
  intake: string;
  payment: string;
  paymentGateway: string;
  otpDir: string;
}

interface Procedure {
  code: string;
  agencyLevel: 'commune' | 'province' | 'ministry';
  ministryAgencyCode: string | null;
  feeVnd: number;
  requiredVneidLevel: number;
  form: FormField[];
}

interface Citizen {
  record: CitizenRecord;
  accessToken: string;
  refreshToken: string;
  signedInAt: number;
  /** Per procedure code: the submission body (form filled from the prefill, prefill token, agency). */
  bodies: Map<string, unknown>;
}

interface Answer {
  status: number;
  text: string;
  ms: number;
}

/** node:http with one keep-alive agent; `close()` leaves no socket behind. */
class Http {
  readonly agent: http.Agent;
  sent = 0;

  constructor(maxSockets: number) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  request(method: string, url: string, o: { token?: string; json?: unknown; headers?: Record<string, string> } = {}) {
    this.sent++;
    const payload = o.json === undefined ? undefined : Buffer.from(JSON.stringify(o.json));
    const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
    if (o.token) headers['authorization'] = `Bearer ${o.token}`;
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const sent = performance.now();
    return new Promise<Answer>((resolve, reject) => {
      const req = http.request(url, { method, headers, agent: this.agent, timeout: 60_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - sent,
          });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within 60 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  async json<T>(method: string, url: string, o: Parameters<Http['request']>[2] = {}): Promise<T> {
    const res = await this.request(method, url, o);
    if (res.status < 200 || res.status >= 300) {
      throw new Error(`${method} ${url} answered ${res.status}: ${res.text.slice(0, 200)}`);
    }
    return JSON.parse(res.text) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A value the catalog's simple patterns accept (digits of a fixed length). */
function fromPattern(pattern: string): string {
  const digits = /^\^\\d\{(\d+)\}/.exec(pattern);
  const v = digits ? '1'.padEnd(Number(digits[1]), '0') : '1';
  if (!new RegExp(pattern).test(v)) throw new Error(`no value for the form pattern ${pattern}`);
  return v;
}

/** The e-form as the citizen fills it: prefillable fields from the prefill, every other required field plausibly. */
export function fillForm(
  fields: readonly FormField[],
  values: Partial<Record<PrefillSource, string>>,
  c: CitizenRecord,
): Record<string, unknown> {
  const form: Record<string, unknown> = {};
  for (const f of fields) {
    const pre = f.prefill ? values[f.prefill] : undefined;
    if (pre !== undefined) {
      form[f.name] = pre;
      continue;
    }
    if (!f.required) continue;
    switch (f.type) {
      case 'text': {
        let v = f.pattern ? fromPattern(f.pattern) : 'Hồ sơ đề nghị giải quyết theo quy định';
        while (!f.pattern && f.min !== undefined && v.length < f.min) v += ' theo quy định';
        form[f.name] = v.slice(0, f.max ?? 255);
        break;
      }
      case 'date':
        form[f.name] = '2020-06-15';
        break;
      case 'number':
        form[f.name] = f.min ?? 1;
        break;
      case 'select':
        form[f.name] = f.options?.[0];
        break;
      case 'boolean':
        form[f.name] = true;
        break;
      case 'email':
        form[f.name] = `cong.dan.${c.personalId.slice(-6)}@example.vn`;
        break;
      case 'phone':
        form[f.name] = c.phone && new RegExp(f.pattern ?? '^0\\d{9}$').test(c.phone) ? c.phone : '0912345678';
        break;
      case 'personalId':
        form[f.name] = c.personalId;
        break;
    }
  }
  return form;
}

export interface StepLoad {
  scheduled: number;
  fired: number;
  refused: number;
  late: number;
  accepted: number;
  httpErrors: number;
  /** dossier id → when its POST /dossiers was sent (epoch ms). */
  sentAt: Map<string, number>;
  submitMs: number[];
  errors: string[];
  /** Fee dossiers the bot paid, and payments that failed. */
  paid: number;
  paymentErrors: number;
}

export class LoadGenerator {
  private readonly http: Http;
  private citizens: Citizen[] = [];
  private next = 0;
  private inFlight = 0;
  /** Fee dossiers waiting for the platform's payment request; then paid. */
  private toPay = new Map<string, Citizen>();
  private paying = 0;
  private payTimer: NodeJS.Timeout | null = null;
  private current: StepLoad | null = null;
  submitRequests = 0;
  paymentRequests = 0;

  constructor(
    private readonly endpoints: Endpoints,
    private readonly maxInFlight: number,
    private readonly dossiers: Map<string, DossierTimes>,
  ) {
    this.http = new Http(maxInFlight + 64);
  }

  /** Living adults with a level-2 VNeID account from identity's registry (its default seed and size). */
  static registryCitizens(n: number, registrySize = 200_000, seed = 20251): CitizenRecord[] {
    const out: CitizenRecord[] = [];
    for (const c of generateCitizens({ count: registrySize, seed })) {
      if (!c.deceased && c.vneidLevel >= 2 && c.birthDate <= '2008-01-01') out.push(c);
      if (out.length >= n) break;
    }
    return out;
  }

  /** Signs `records` in and prepares one submission body per procedure for each (not measured). */
  async prepare(records: CitizenRecord[], codes: string[]): Promise<void> {
    const procedures = await Promise.all(
      codes.map((code) => this.http.json<Procedure>('GET', `${this.endpoints.intake}/procedures/${code}`)),
    );
    const communes = await this.http.json<
      { code: string; provinceCode: string | null; successorCode: string | null }[]
    >('GET', `${this.endpoints.intake}/agencies?level=commune`);
    const communeOf = new Map<string, string>();
    for (const a of [...communes].sort((x, y) => (x.code < y.code ? -1 : 1))) {
      if (!a.successorCode && a.provinceCode && !communeOf.has(a.provinceCode)) communeOf.set(a.provinceCode, a.code);
    }
    const queue = [...records];
    const ready: Citizen[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let r = queue.shift(); r; r = queue.shift()) {
          const c = await this.signIn(r);
          for (const p of procedures) {
            const agencyCode =
              p.agencyLevel === 'ministry'
                ? (p.ministryAgencyCode ?? '')
                : p.agencyLevel === 'province'
                  ? `P${r.currentProvinceCode}`
                  : communeOf.get(r.currentProvinceCode);
            if (!agencyCode) throw new Error(`no commune agency in province ${r.currentProvinceCode}`);
            const sources = [
              ...new Set<PrefillSource>([
                ...p.form.flatMap((f) => (f.prefill ? [f.prefill] : [])),
                'fullName',
                'birthDate',
              ]),
            ];
            const prefill = await this.http.json<{
              values: Partial<Record<PrefillSource, string>>;
              prefillToken: string;
            }>('POST', `${this.endpoints.identity}/prefill`, { token: c.accessToken, json: { sources } });
            c.bodies.set(p.code, {
              procedureCode: p.code,
              agencyCode,
              form: fillForm(p.form, prefill.values, r),
              attachmentIds: [],
              prefillToken: prefill.prefillToken,
            });
          }
          ready.push(c);
        }
      }),
    );
    this.citizens = ready.sort((a, b) => (a.record.personalId < b.record.personalId ? -1 : 1));
  }

  private async signIn(r: CitizenRecord): Promise<Citizen> {
    // Each citizen from a device and an address of their own, as the simulator's citizens sign in.
    const headers = citizenOrigin(r.personalId, randomUUID());
    const { challengeId } = await this.http.json<{ challengeId: string }>(
      'POST',
      `${this.endpoints.identity}/auth/citizen/challenges`,
      { json: { personalId: r.personalId }, headers },
    );
    const file = join(this.endpoints.otpDir, `${r.personalId}.json`);
    const deadline = Date.now() + 15_000;
    let code: string | null = null;
    while (!code) {
      try {
        const m = JSON.parse(await readFile(file, 'utf8')) as { challengeId?: string; code?: string };
        if (m.challengeId === challengeId && m.code) code = m.code;
      } catch {
        // not delivered yet
      }
      if (!code) {
        if (Date.now() > deadline) throw new Error(`no one-time code for ${r.personalId} in ${file}`);
        await sleep(50);
      }
    }
    const t = await this.http.json<{ accessToken: string; refreshToken: string }>(
      'POST',
      `${this.endpoints.identity}/auth/citizen/tokens`,
      { json: { challengeId, code }, headers },
    );
    return { record: r, ...t, signedInAt: Date.now(), bodies: new Map() };
  }

  /** Renews the access tokens older than `maxAgeMs` (between steps, so never inside a measured window). */
  async refreshTokens(maxAgeMs = 10 * 60_000): Promise<void> {
    for (const c of this.citizens) {
      if (Date.now() - c.signedInAt < maxAgeMs) continue;
      const t = await this.http.json<{ accessToken: string; refreshToken: string }>(
        'POST',
        `${this.endpoints.identity}/auth/refresh`,
        { json: { refreshToken: c.refreshToken } },
      );
      Object.assign(c, t, { signedInAt: Date.now() });
    }
  }

  /** Fires arrivals at `rate`/s for `seconds`, each submitting `procedure`; resolves at the end of the schedule. */
  async arrivals(rate: number, seconds: number, procedure: string, payFees: boolean): Promise<StepLoad> {
    const load: StepLoad = {
      scheduled: 0,
      fired: 0,
      refused: 0,
      late: 0,
      accepted: 0,
      httpErrors: 0,
      sentAt: new Map(),
      submitMs: [],
      errors: [],
      paid: 0,
      paymentErrors: 0,
    };
    this.current = load;
    if (payFees) this.startPaying();
    const t0 = Date.now();
    const total = Math.round(rate * seconds);
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = Date.now();
        const due = Math.min(total, arrivalsDue(now - t0, rate));
        while (load.scheduled < due) {
          const at = t0 + (load.scheduled * 1000) / rate;
          load.scheduled++;
          if (this.inFlight >= this.maxInFlight) {
            load.refused++;
            continue;
          }
          if (now - at > 100) load.late++;
          load.fired++;
          void this.submit(load, procedure, payFees);
        }
        if (load.scheduled >= total) resolve();
        else setTimeout(tick, Math.max(1, Math.min(20, t0 + (load.scheduled * 1000) / rate - Date.now())));
      };
      tick();
    });
    return load;
  }

  private async submit(load: StepLoad, procedure: string, payFees: boolean): Promise<void> {
    const c = this.citizens[this.next++ % this.citizens.length];
    if (!c) throw new Error('no citizen is prepared');
    this.inFlight++;
    const sentAt = Date.now();
    try {
      this.submitRequests++;
      const res = await this.http.request('POST', `${this.endpoints.intake}/dossiers`, {
        token: c.accessToken,
        json: c.bodies.get(procedure),
        headers: { 'idempotency-key': `bench-${randomUUID()}` },
      });
      if (res.status !== 202) {
        load.httpErrors++;
        load.errors.push(`POST /dossiers ${res.status}: ${res.text.slice(0, 200)}`);
        return;
      }
      const { id } = JSON.parse(res.text) as { id: string };
      load.accepted++;
      load.submitMs.push(res.ms);
      load.sentAt.set(id, sentAt);
      if (payFees) this.toPay.set(id, c);
    } catch (e) {
      load.httpErrors++;
      load.errors.push(e instanceof Error ? e.message.slice(0, 200) : String(e));
    } finally {
      this.inFlight--;
    }
  }

  /** Every 50 ms: the fee dossiers the tap saw a payment request for are paid (at most 64 payments at once). */
  private startPaying(): void {
    if (this.payTimer) return;
    this.payTimer = setInterval(() => {
      for (const [id, c] of this.toPay) {
        if (this.paying >= 64) break;
        const d = this.dossiers.get(id);
        if (!d?.feeDecided) continue;
        this.toPay.delete(id);
        // A waived fee needs nothing from the citizen.
        if (!d.feeRequested) continue;
        this.paying++;
        const load = this.current;
        void this.pay(id, c)
          .then(() => {
            if (load) load.paid++;
          })
          .catch((e: unknown) => {
            if (load) {
              load.paymentErrors++;
              load.errors.push(`payment ${id}: ${e instanceof Error ? e.message.slice(0, 200) : String(e)}`);
            }
          })
          .finally(() => this.paying--);
      }
    }, 50);
  }

  private async payRequest(method: string, url: string, o: Parameters<Http['request']>[2] = {}): Promise<Answer> {
    this.paymentRequests++;
    return this.http.request(method, url, o);
  }

  private async pay(dossierId: string, c: Citizen): Promise<void> {
    const e = this.endpoints;
    let paymentId: string | null = null;
    for (let attempt = 0; !paymentId; attempt++) {
      const res = await this.payRequest('GET', `${e.payment}/payments?dossierId=${dossierId}`, {
        token: c.accessToken,
      });
      if (res.status === 200) {
        const view = JSON.parse(res.text) as { items: { paymentId: string; status: string }[] };
        paymentId = view.items.find((i) => i.status === 'PENDING')?.paymentId ?? null;
      } else if (res.status !== 404) throw new Error(`GET /payments answered ${res.status}: ${res.text.slice(0, 200)}`);
      if (!paymentId) {
        if (attempt >= 50) throw new Error('no pending payment after 50 reads');
        await sleep(100);
      }
    }
    const opened = await this.payRequest('POST', `${e.payment}/payments/${paymentId}/checkout`, {
      token: c.accessToken,
    });
    if (opened.status !== 200) throw new Error(`checkout answered ${opened.status}: ${opened.text.slice(0, 200)}`);
    const { sessionId } = JSON.parse(opened.text) as { sessionId: string };
    const page = `${e.paymentGateway}/checkout/${sessionId}`;
    const shown = await this.payRequest('GET', page, { headers: { accept: 'text/html' } });
    if (shown.status !== 200) throw new Error(`checkout page answered ${shown.status}`);
    const paid = await this.payRequest('POST', `${page}/pay`, { json: { outcome: 'success', method: 'CARD' } });
    if (paid.status !== 200) throw new Error(`pay answered ${paid.status}: ${paid.text.slice(0, 200)}`);
  }

  /** Fee dossiers not paid yet, payments under way and submissions in flight. */
  pending(): number {
    return this.toPay.size + this.paying + this.inFlight;
  }

  stop(): void {
    if (this.payTimer) clearInterval(this.payTimer);
    this.payTimer = null;
    this.http.close();
  }
}
