/**
 * The replicas of one service behind the gateway: which one the next request goes to, and which are down. Pure
 * state (the clock is passed in), so the choice is tested without sockets.
 *
 * A replica is down when its last active check (its `/health/ready`) failed, or for `downForMs` after a request
 * could not reach it (passive: the gateway learns of a killed replica from the first request that hits it, not
 * seconds later at the next check). A successful check ends a passive mark early: the replica is back.
 */
export interface BalancerOptions {
  /** How long a replica a request could not reach is skipped. Default 10 s. */
  downForMs?: number;
  now?: () => number;
}

export interface ReplicaHealth {
  url: string;
  healthy: boolean;
  /** Why it is down (null when healthy). */
  reason: string | null;
  /** Requests it is answering now. */
  inFlight: number;
}

interface Replica {
  url: string;
  /** Result of the last active check; null before the first one (taken as up: the gateway starts serving at once). */
  checkedOk: boolean | null;
  checkReason: string | null;
  downUntil: number;
  failReason: string | null;
  inFlight: number;
}

export class Balancer {
  private readonly replicas: Replica[];
  private cursor = 0;
  private readonly downForMs: number;
  private readonly now: () => number;

  constructor(urls: readonly string[], opts: BalancerOptions = {}) {
    if (urls.length === 0) throw new Error('a balancer needs at least one upstream URL');
    if (new Set(urls).size !== urls.length) throw new Error(`the same upstream URL twice: ${urls.join(', ')}`);
    this.replicas = urls.map((url) => ({
      url,
      checkedOk: null,
      checkReason: null,
      downUntil: 0,
      failReason: null,
      inFlight: 0,
    }));
    this.downForMs = opts.downForMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  get urls(): string[] {
    return this.replicas.map((r) => r.url);
  }

  /**
   * The replica for the next request, round-robin over the healthy ones not in `exclude` (the ones this request
   * already failed on). When none of them is healthy, still one not excluded, in turn: a request tried on a replica
   * that may be back is better than a certain refusal, and its failure or success updates the marks. null only when
   * every replica is excluded.
   */
  pick(exclude: ReadonlySet<string> = new Set()): string | null {
    const candidates = this.replicas.filter((r) => !exclude.has(r.url));
    if (candidates.length === 0) return null;
    const healthy = candidates.filter((r) => this.isHealthy(r));
    const pool = healthy.length > 0 ? healthy : candidates;
    // The cursor walks the whole list, so the turn of a replica that comes back does not shift the others'.
    for (let i = 0; i < this.replicas.length; i++) {
      const r = this.replicas[(this.cursor + i) % this.replicas.length] as Replica;
      if (pool.includes(r)) {
        this.cursor = (this.cursor + i + 1) % this.replicas.length;
        return r.url;
      }
    }
    return (pool[0] as Replica).url;
  }

  /** A request could not reach `url` (refused, reset, timed out before an answer): skip it for a while. */
  failed(url: string, reason: string): void {
    const r = this.find(url);
    if (!r) return;
    r.downUntil = this.now() + this.downForMs;
    r.failReason = reason;
  }

  /** The result of an active check of `url`. */
  checked(url: string, ok: boolean, reason: string | null = null): void {
    const r = this.find(url);
    if (!r) return;
    r.checkedOk = ok;
    r.checkReason = ok ? null : (reason ?? 'not ready');
    if (ok) {
      r.downUntil = 0;
      r.failReason = null;
    }
  }

  /** Counts a request on `url` until the returned function is called. */
  begin(url: string): () => void {
    const r = this.find(url);
    if (!r) return () => undefined;
    r.inFlight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      r.inFlight--;
    };
  }

  healthy(url: string): boolean {
    const r = this.find(url);
    return r ? this.isHealthy(r) : false;
  }

  anyHealthy(): boolean {
    return this.replicas.some((r) => this.isHealthy(r));
  }

  status(): ReplicaHealth[] {
    return this.replicas.map((r) => {
      const healthy = this.isHealthy(r);
      return {
        url: r.url,
        healthy,
        reason: healthy ? null : r.checkedOk === false ? r.checkReason : r.failReason,
        inFlight: r.inFlight,
      };
    });
  }

  private isHealthy(r: Replica): boolean {
    return r.checkedOk !== false && this.now() >= r.downUntil;
  }

  private find(url: string): Replica | undefined {
    return this.replicas.find((r) => r.url === url);
  }
}

/**
 * Whether a request that failed on one replica may be sent once more to another. Only when doing so cannot do
 * anything twice: the connection was never made (refused, unreachable: not one byte reached a replica), with the
 * whole body still in hand; or, when no answer began, the method is safe and idempotent (GET, HEAD, OPTIONS) or the
 * route declares that a repeat does nothing more (`replayable`: an Idempotency-Key, a pure read sent as a POST).
 */
export function retryable(o: {
  method: string;
  /** The route may arrive twice without acting twice. */
  replayable?: boolean;
  /** The failure happened while connecting (ECONNREFUSED and the like). */
  connectFailed: boolean;
  /** The request has no body, or the gateway holds all of it (so it can be sent again). */
  bodyReplayable: boolean;
  /** Part of an answer was already sent to the client. */
  answerStarted: boolean;
}): boolean {
  if (o.answerStarted || !o.bodyReplayable) return false;
  if (o.connectFailed || o.replayable === true) return true;
  return ['GET', 'HEAD', 'OPTIONS'].includes(o.method.toUpperCase());
}
