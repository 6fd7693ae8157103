/**
 * The demo's live status: the simulator's counts of dossiers by stage, and the rates and consumer lag the metrics
 * service reports (read through its operator API, as an operator would).
 */
import type { SimulatorCounts } from '@hoso/simulator';

export interface MetricsView {
  counts: Record<string, number>;
  rates: { completion: number | null; onTime: number | null; endToEnd: number | null };
}

export interface StatusInput {
  elapsedSec: number;
  /** The simulator's counts; null without a simulator. */
  counts: SimulatorCounts | null;
  metrics: MetricsView | null;
  /** Sum of every consumer group's lag; null until first read. */
  lag: number | null;
  /** Dossiers submitted per second over the last seconds. */
  submitRate: number | null;
  /** The supervisor's view of each service (only those restarted, restarting or given up are shown). */
  services?: readonly { name: string; state: string; restarts: number }[];
  /** Every replica of every service (`Platform.replicas()`): shown when a service runs more than one. */
  replicas?: readonly { service: string; name: string; state: string }[];
}

/** `replicas 12/12 running` (or `replicas 11/12 running, intake.1 restarting`); empty when each service runs one. */
export function formatReplicas(replicas: StatusInput['replicas']): string {
  const all = replicas ?? [];
  if (new Set(all.map((r) => r.service)).size === all.length) return '';
  const running = all.filter((r) => r.state === 'running');
  const others = all.filter((r) => r.state !== 'running').map((r) => `${r.name} ${r.state}`);
  return `replicas ${running.length}/${all.length} running${others.length ? `, ${others.join(', ')}` : ''}`;
}

/** `restarts intake 2, metrics 1 (restarting), payment ✘ given up`; empty when every service runs as started. */
export function formatServices(services: StatusInput['services']): string {
  const shown = (services ?? []).filter((s) => s.restarts > 0 || s.state === 'restarting' || s.state === 'given-up');
  if (shown.length === 0) return '';
  const one = (s: { name: string; state: string; restarts: number }) =>
    s.state === 'given-up'
      ? `${s.name} ✘ given up`
      : `${s.name} ${s.restarts}${s.state === 'restarting' ? ' (restarting)' : ''}`;
  return `restarts ${shown.map(one).join(', ')}`;
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);

function clock(sec: number): string {
  const s = Math.floor(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h ? `${h}:` : ''}${String(m).padStart(h ? 2 : 1, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** One line: `0:42 │ 84 submitted (2.0/s) │ identity 1 │ payment 3 │ queues 6 (+2 at work, 1 supplement) │ …`. */
export function formatStatus(s: StatusInput): string {
  const parts = [clock(s.elapsedSec)];
  if (s.counts) {
    const c = s.counts;
    parts.push(`${c.submitted} submitted${s.submitRate === null ? '' : ` (${s.submitRate.toFixed(1)}/s)`}`);
    parts.push(`identity ${c.inIdentity}`);
    parts.push(`awaiting payment ${c.awaitingPayment}`);
    const extra = [
      c.inProgress ? `+${c.inProgress} at work` : '',
      c.awaitingSupplement ? `${c.awaitingSupplement} supplement` : '',
    ].filter(Boolean);
    parts.push(`in queues ${c.inQueue}${extra.length ? ` (${extra.join(', ')})` : ''}`);
    const ended = [
      c.rejected ? `${c.rejected} rejected` : '',
      c.identityRejected ? `${c.identityRejected} not verified` : '',
      c.abandoned + c.withdrawn ? `${c.abandoned + c.withdrawn} unpaid/withdrawn` : '',
    ].filter(Boolean);
    parts.push(`completed ${c.completed}${ended.length ? ` (+${ended.join(', ')})` : ''}`);
    if (c.errors) parts.push(`errors ${c.errors}`);
  } else if (s.metrics) {
    const m = s.metrics.counts;
    parts.push(
      `${m['submitted'] ?? 0} submitted`,
      `received ${m['received'] ?? 0}`,
      `completed ${m['completed'] ?? 0}`,
    );
  }
  const r = s.metrics?.rates;
  parts.push(`completion ${pct(r?.completion)} · on-time ${pct(r?.onTime)} · end-to-end ${pct(r?.endToEnd)}`);
  parts.push(`lag ${s.lag === null ? '—' : s.lag}`);
  const replicas = formatReplicas(s.replicas);
  if (replicas) parts.push(replicas);
  const services = formatServices(s.services);
  if (services) parts.push(services);
  return parts.join(' │ ');
}

/** Cuts a line to the terminal width (counted in characters; the line has no colour codes). */
export function fit(line: string, columns: number | undefined): string {
  if (!columns || line.length < columns) return line;
  return `${line.slice(0, Math.max(0, columns - 2))}…`;
}

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.url} answered ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

/**
 * Polls the metrics service as the operator: rates every `ratesEveryMs`, consumer lag (a heavier read: offsets of
 * every group) every `lagEveryMs`. Failures keep the last values and are remembered in `lastError`.
 */
export class MetricsReader {
  metrics: MetricsView | null = null;
  lag: number | null = null;
  lastError: string | null = null;
  private token: string | null = null;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly identityUrl: string,
    private readonly metricsUrl: string,
    private readonly password = 'hoso-dev-password',
  ) {}

  start(ratesEveryMs = 2000, lagEveryMs = 5000): this {
    const loop = (everyMs: number, read: () => Promise<void>) => {
      const tick = () => {
        read()
          .then(() => {
            this.lastError = null;
          })
          .catch((e: unknown) => {
            this.lastError = e instanceof Error ? e.message : String(e);
          })
          .finally(() => {
            if (this.timers.length) this.timers.push(setTimeout(tick, everyMs));
          });
      };
      this.timers.push(setTimeout(tick, 0));
    };
    loop(ratesEveryMs, () => this.readRates());
    loop(lagEveryMs, () => this.readLag());
    return this;
  }

  stop(): void {
    const timers = this.timers;
    this.timers = [];
    for (const t of timers) clearTimeout(t);
  }

  private async signIn(): Promise<string> {
    const res = await fetch(`${this.identityUrl}/auth/staff/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'operator', password: this.password }),
      signal: AbortSignal.timeout(10_000),
    });
    this.token = (await json<{ accessToken: string }>(res)).accessToken;
    return this.token;
  }

  /** GET as the operator; one new sign-in when the token has expired. */
  private async get<T>(path: string): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const token = this.token ?? (await this.signIn());
      const res = await fetch(`${this.metricsUrl}${path}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status === 401 && attempt === 1) {
        await res.body?.cancel();
        this.token = null;
        continue;
      }
      return json<T>(res);
    }
  }

  private async readRates(): Promise<void> {
    this.metrics = await this.get<MetricsView>('/rates/summary');
  }

  private async readLag(): Promise<void> {
    const lag = await this.get<{ groups: { totalLag: number }[] }>('/operations/lag');
    this.lag = lag.groups.reduce((s, g) => s + g.totalLag, 0);
  }
}
