import { Injectable } from '@nestjs/common';
import { z } from 'zod';

export const RefundFaultBody = z.strictObject({
  paymentId: z.uuid(),
  /** How many of the next refund requests of this payment fail with 503 (0 clears the fault). */
  count: z.number().int().min(0).max(1000),
  /**
   * `before-commit`: the platform is down, nothing is refunded. `after-commit`: the refund is recorded but the answer
   * is lost (503), the case an idempotency key exists for.
   */
  when: z.enum(['before-commit', 'after-commit']),
});
export type RefundFault = z.output<typeof RefundFaultBody>;

/**
 * Refund failures on demand, per payment (tests of a merchant's retries). The simulator keeps them in memory: they
 * are a testing aid, not part of the platform's behaviour.
 */
@Injectable()
export class RefundFaults {
  private readonly faults = new Map<string, { remaining: number; when: RefundFault['when']; failed: number }>();

  set(f: RefundFault): void {
    const failed = this.faults.get(f.paymentId)?.failed ?? 0;
    this.faults.set(f.paymentId, { remaining: f.count, when: f.when, failed });
  }

  view(paymentId: string) {
    const f = this.faults.get(paymentId);
    return { paymentId, remaining: f?.remaining ?? 0, when: f?.when ?? null, failed: f?.failed ?? 0 };
  }

  /** Whether this request of the payment fails, and when; counts it as failed. */
  take(paymentId: string): RefundFault['when'] | null {
    const f = this.faults.get(paymentId);
    if (!f || f.remaining === 0) return null;
    f.remaining -= 1;
    f.failed += 1;
    return f.when;
  }
}
