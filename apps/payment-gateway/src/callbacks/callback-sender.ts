import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import type { CallbackMode, Config } from '../config';
import { SIGNATURE_HEADER, signCallback } from '../signature/signature';
import { GATEWAY_CONFIG } from '../tokens';

export interface CallbackPayload {
  sessionId: string;
  paymentId: string;
  status: 'SUCCEEDED' | 'FAILED';
  amountVnd: number;
  gatewayReference: string;
  method: string;
  occurredAt: string;
}

export interface CallbackTarget {
  sessionId: string;
  callbackUrl: string;
  /** Session override; null → GATEWAY_CALLBACK_MODE. */
  callbackMode: CallbackMode | null;
}

/** 5xx, 408, 429 and network errors are worth another try; other 4xx mean the merchant refused it for good. */
const retriable = (status: number) => status >= 500 || status === 408 || status === 429;

/**
 * Sends the signed result callback to the merchant, the way real gateways do: at-least-once, with bounded
 * retries and exponential backoff, and — for tests of the merchant's robustness — delayed, duplicated or
 * dropped on request. A dropped or undelivered callback is what the merchant's reconciliation must repair.
 */
@Injectable()
export class CallbackSender implements BeforeApplicationShutdown {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: Config,
    private readonly ds: DataSource,
    private readonly log: PinoLogger,
  ) {
    this.log.setContext('CallbackSender');
  }

  dispatch(target: CallbackTarget, payload: CallbackPayload): void {
    const mode = target.callbackMode ?? this.config.GATEWAY_CALLBACK_MODE;
    switch (mode) {
      case 'drop':
        this.log.info({ sessionId: target.sessionId }, 'callback dropped (mode drop)');
        return;
      case 'delay':
        this.track(this.sleep(this.config.GATEWAY_CALLBACK_DELAY_MS).then(() => this.deliver(target, payload)));
        return;
      case 'duplicate':
        // Both at once: the merchant must cope with concurrent copies, not only with sequential ones.
        this.track(this.deliver(target, payload));
        this.track(this.deliver(target, payload));
        return;
      case 'normal':
        this.track(this.deliver(target, payload));
        return;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((e: unknown) => {
      this.log.error({ err: e }, 'callback delivery crashed');
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private async deliver(target: CallbackTarget, payload: CallbackPayload): Promise<void> {
    const body = JSON.stringify(payload);
    for (let attempt = 1; attempt <= this.config.GATEWAY_CALLBACK_MAX_ATTEMPTS; attempt++) {
      if (this.abort.signal.aborted) return;
      let status: number | null = null;
      let error: string | null = null;
      try {
        const res = await fetch(target.callbackUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: signCallback(this.config.webhookSecret, body, Math.floor(Date.now() / 1000)),
          },
          body,
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.config.GATEWAY_CALLBACK_TIMEOUT_MS)]),
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      await this.ds
        .query(
          'INSERT INTO gateway_callback_deliveries (session_id, attempt, status_code, error) VALUES ($1, $2, $3, $4)',
          [target.sessionId, attempt, status, error],
        )
        .catch(() => undefined);
      if (status !== null && status < 300) return;
      const again = status === null || retriable(status);
      this.log.warn({ sessionId: target.sessionId, attempt, status, error, again }, 'callback not accepted');
      if (!again) return;
      await this.sleep(this.config.GATEWAY_CALLBACK_BACKOFF_MS * 2 ** (attempt - 1));
    }
    this.log.error({ sessionId: target.sessionId }, 'callback undelivered after all attempts');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.abort.signal.aborted) {
        resolve();
        return;
      }
      const t = setTimeout(resolve, ms);
      this.abort.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
