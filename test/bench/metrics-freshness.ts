/**
 * How fresh the metrics API is while dossiers flow: every half second, the national `submitted` count of
 * `GET /rates/summary` (as the operator) against the dossier.submitted events the flow tap has seen. If the API counts
 * N dossiers, every dossier submitted after the N-th earliest is not reflected yet: the staleness of that sample is
 * the age of the (N+1)-th earliest submission (0 when the API counts all the tap has seen). Metrics consume the
 * partitions in parallel, so the N it counts are not exactly the N earliest: the figure is the age of the oldest
 * submission the count could be missing, a close upper estimate of the real one.
 */
import type { FlowTap } from './flow-tap';

/** The staleness of one sample (ms): `counted` dossiers in the API, `submittedAt` every submission's time seen. */
export function staleness(counted: number, submittedAt: readonly number[], now: number): number {
  if (counted >= submittedAt.length) return 0;
  const sorted = [...submittedAt].sort((a, b) => a - b);
  return Math.max(0, now - (sorted[counted] ?? now));
}

export class MetricsFreshness {
  private samples: number[] = [];
  private errors = 0;
  private token: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly identityUrl: string,
    private readonly metricsUrl: string,
    private readonly tap: FlowTap,
    private readonly password = 'hoso-dev-password',
  ) {}

  start(everyMs = 500): this {
    this.running = true;
    const tick = () => {
      void this.sample().finally(() => {
        if (this.running) this.timer = setTimeout(tick, everyMs);
      });
    };
    tick();
    return this;
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The samples since the last call (staleness in ms) and how many reads failed. */
  window(): { samples: number[]; errors: number } {
    const out = { samples: this.samples, errors: this.errors };
    this.samples = [];
    this.errors = 0;
    return out;
  }

  private async sample(): Promise<void> {
    try {
      const seen = this.tap.submittedAt.slice();
      const counted = await this.counted();
      // After the answer: a submission the tap saw while the request was in flight may be counted already.
      this.samples.push(staleness(counted, seen, Date.now()));
    } catch {
      this.errors++;
    }
  }

  private async counted(): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      this.token ??= await this.signIn();
      const res = await fetch(`${this.metricsUrl}/rates/summary`, {
        headers: { authorization: `Bearer ${this.token}` },
        signal: AbortSignal.timeout(5_000),
      });
      if (res.status === 401 && attempt === 1) {
        await res.body?.cancel();
        this.token = null;
        continue;
      }
      if (!res.ok) throw new Error(`GET /rates/summary: ${String(res.status)}`);
      const body = (await res.json()) as { counts?: { submitted?: number } };
      return body.counts?.submitted ?? 0;
    }
  }

  private async signIn(): Promise<string> {
    const res = await fetch(`${this.identityUrl}/auth/staff/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'operator', password: this.password }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`operator sign-in: ${String(res.status)}`);
    return ((await res.json()) as { accessToken: string }).accessToken;
  }
}
