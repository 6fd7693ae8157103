import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceUnavailableException } from '@nestjs/common';
import type { Logger } from 'pino';
import { maskPersonalId } from './otp';
import type { OtpDelivery, OtpMessage } from './otp-delivery';

export interface SmsGatewaySettings {
  /** Endpoint that accepts one message per POST. */
  url: string;
  /** Sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** One attempt's limit, from connecting to the last byte of the answer. */
  timeoutMs: number;
  /** Attempts per message, the first included. */
  maxAttempts: number;
  /** Wait before the second attempt; doubled before each further one (with jitter). */
  backoffMs: number;
}

/**
 * A one-time code that could not be handed to the channel. The caller sees a 503 without details (try again);
 * the log line carries `message`, which says why.
 */
export class OtpDeliveryError extends ServiceUnavailableException {
  constructor(detail: string) {
    super('the one-time code could not be sent; try again in a moment');
    this.name = 'OtpDeliveryError';
    // After super(): the answer's body keeps the generic text, logs get the reason.
    this.message = detail;
  }
}

/** The registry keeps national numbers (`0912345678`); gateways take E.164 (`+84912345678`). */
export function toE164(phone: string): string {
  return phone.startsWith('0') ? `+84${phone.slice(1)}` : phone;
}

const EXPIRY_TIME = new Intl.DateTimeFormat('vi-VN', {
  timeZone: 'Asia/Ho_Chi_Minh',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** Unaccented Vietnamese: fits the GSM 7-bit alphabet, so the message stays one SMS on every network. */
export function smsText(code: string, expiresAt: Date): string {
  return `hoso: ma xac thuc cua ban la ${code}, hieu luc den ${EXPIRY_TIME.format(expiresAt)}. Khong chia se ma nay.`;
}

/** Statuses worth another attempt: the gateway is overloaded or failing, not refusing this message. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

type Attempt = { ok: true } | { ok: false; retry: boolean; reason: string };

/**
 * Production delivery through an HTTP SMS gateway: one JSON POST per code (`{to, text, reference}`), the API key as
 * a bearer token, the challenge id as `Idempotency-Key` so a retried request never texts the citizen twice at a
 * gateway that deduplicates. Attempts are bounded; each has a timeout; between them the wait doubles, with jitter
 * so instances that failed together do not retry together.
 */
export class HttpSmsOtpDelivery implements OtpDelivery {
  constructor(
    private readonly settings: SmsGatewaySettings,
    private readonly logger: Logger,
  ) {}

  async deliver(m: OtpMessage): Promise<void> {
    const citizen = maskPersonalId(m.personalId);
    if (!m.phone) throw new OtpDeliveryError(`no phone number on record for citizen ${citizen}: no SMS can be sent`);
    const body = JSON.stringify({
      to: toE164(m.phone),
      text: smsText(m.code, m.expiresAt),
      reference: m.challengeId,
    });
    const { maxAttempts } = this.settings;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(body, m.challengeId);
      if (outcome.ok) {
        this.logger.info({ challengeId: m.challengeId, citizen, channel: 'sms', attempt }, 'one-time code delivered');
        return;
      }
      if (!outcome.retry) {
        throw new OtpDeliveryError(
          `SMS gateway refused the one-time code of challenge ${m.challengeId}: ${outcome.reason}`,
        );
      }
      if (attempt >= maxAttempts) {
        throw new OtpDeliveryError(
          `SMS gateway did not take the one-time code of challenge ${m.challengeId} after ${attempt} attempt(s); ` +
            `last: ${outcome.reason}`,
        );
      }
      const waitMs = this.backoff(attempt);
      this.logger.warn(
        { challengeId: m.challengeId, citizen, channel: 'sms', attempt, maxAttempts, waitMs, reason: outcome.reason },
        'SMS gateway attempt failed; retrying',
      );
      await sleep(waitMs);
    }
  }

  private async attempt(body: string, challengeId: string): Promise<Attempt> {
    const { url, apiKey, timeoutMs } = this.settings;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': challengeId,
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Read (or drop) the answer within the same timeout, so the connection can be reused.
      if (res.ok) {
        await res.body?.cancel();
        return { ok: true };
      }
      // Only the status is kept: an error body may echo the phone number or the message, which logs must not hold.
      await res.body?.cancel();
      return { ok: false, retry: retryable(res.status), reason: `HTTP ${res.status}` };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      const reason =
        err.name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : `${err.message}${err.cause?.code ? ` (${err.cause.code})` : ''}`;
      return { ok: false, retry: true, reason };
    }
  }

  /** base·2^(n−1), between half and all of it. */
  private backoff(attempt: number): number {
    const full = this.settings.backoffMs * 2 ** (attempt - 1);
    return Math.round(full / 2 + Math.random() * (full / 2));
  }
}
