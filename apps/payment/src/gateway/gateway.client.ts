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

  refund(body: { paymentId: string; amountVnd: number; reason: string }) {
    return this.call<GatewayRefund>('POST', '/refunds', body);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.config.PAYMENT_GATEWAY_URL.replace(/\/$/, '')}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.config.gatewayApiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.config.PAYMENT_GATEWAY_TIMEOUT_MS),
      });
    } catch (e) {
      throw new BadGatewayException(`payment gateway unreachable: ${e instanceof Error ? e.message : String(e)}`);
    }
    const text = await res.text();
    if (!res.ok)
      throw new BadGatewayException(
        `payment gateway answered ${res.status} to ${method} ${path.split('?')[0] ?? ''}: ${text.slice(0, 200)}`,
      );
    return JSON.parse(text) as T;
  }
}
