import { BadGatewayException, Inject, Injectable } from '@nestjs/common';
import type { Config } from '../config';
import { PAYMENT_CONFIG } from '../tokens';

export interface GatewaySession {
  sessionId: string;
  checkoutUrl: string;
}

export interface LedgerEntry {
  kind: 'PAYMENT' | 'REFUND';
  sessionId: string | null;
  paymentId: string;
  status: string;
  amountVnd: number;
  gatewayReference: string;
  method: string | null;
  occurredAt: string;
  recordedAt: string;
}

export interface GatewayRefund {
  refundId: string;
  paymentId: string;
  amountVnd: number;
}

/**
 * The gateway refused a request for good (a 4xx other than 408/429): asking again with the same body gets the same
 * answer. Anything else (unreachable, timeout, 5xx) may succeed on a retry.
 */
export class GatewayRefused extends BadGatewayException {
  constructor(
    message: string,
    readonly gatewayStatus: number,
  ) {
    super(message);
  }
}

/** Server-to-server calls to the national payment platform (the simulator in development and tests). */
@Injectable()
export class GatewayClient {
  constructor(@Inject(PAYMENT_CONFIG) private readonly config: Config) {}

  openSession(body: { paymentId: string; amountVnd: number; callbackUrl: string; returnUrl?: string }) {
    return this.call<GatewaySession>('POST', '/sessions', body);
  }

  /** Reads every ledger entry recorded since `since`, following the gateway's paging. */
  async ledgerSince(since: Date): Promise<LedgerEntry[]> {
    const all: LedgerEntry[] = [];
    let cursor: string | null = since.toISOString();
    const seen = new Set<string>();
    while (cursor) {
      const page: { entries: LedgerEntry[]; next: string | null } = await this.call(
        'GET',
        `/ledger?since=${encodeURIComponent(cursor)}`,
      );
      // Pages overlap on the boundary timestamp; references are unique, so duplicates are dropped here.
      const fresh = page.entries.filter((e) => !seen.has(e.gatewayReference));
      for (const e of fresh) seen.add(e.gatewayReference);
      all.push(...fresh);
      cursor = fresh.length > 0 ? page.next : null;
    }
    return all;
  }

  /** Idempotent per key: a retry after a lost answer gets the first refund back, money moves once. */
  refund(body: { paymentId: string; amountVnd: number; reason: string }, idempotencyKey: string) {
    return this.call<GatewayRefund>('POST', '/refunds', body, { 'idempotency-key': idempotencyKey });
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.config.PAYMENT_GATEWAY_URL.replace(/\/$/, '')}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.config.gatewayApiKey}`,
          ...extraHeaders,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.config.PAYMENT_GATEWAY_TIMEOUT_MS),
      });
    } catch (e) {
      throw new BadGatewayException(`payment gateway unreachable: ${e instanceof Error ? e.message : String(e)}`);
    }
    const text = await res.text();
    if (!res.ok) {
      const message = `payment gateway answered ${res.status} to ${method} ${path.split('?')[0] ?? ''}: ${text.slice(0, 200)}`;
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        throw new GatewayRefused(message, res.status);
      }
      throw new BadGatewayException(message);
    }
    return JSON.parse(text) as T;
  }
}
