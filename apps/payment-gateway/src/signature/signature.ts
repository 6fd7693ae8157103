import { createHmac } from 'node:crypto';

/** Name of the header that carries the callback signature. */
export const SIGNATURE_HEADER = 'X-Gateway-Signature';

/**
 * Signs a callback body the way the payment service verifies it: `t=<unix seconds>,v1=<hex HMAC-SHA256>`
 * over `${t}.${rawBody}`. The timestamp is inside the MAC so a captured callback cannot be replayed later.
 */
export function signCallback(secret: string, rawBody: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}
