import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Gateway callback signatures: header `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.rawBody")>`.
 * The MAC covers the timestamp, and a timestamp outside the tolerance is refused, so a captured callback
 * cannot be replayed later. Several v1 values are accepted (the gateway sends two while rotating secrets).
 */

export function signCallback(secret: string, rawBody: string | Buffer, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${mac(secret, rawBody, unixSeconds)}`;
}

export type SignatureCheck =
  { ok: true; timestamp: number } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

export function verifyCallbackSignature(opts: {
  secret: string;
  header: string | undefined;
  rawBody: Buffer;
  nowSeconds: number;
  toleranceSeconds: number;
}): SignatureCheck {
  if (!opts.header) return { ok: false, reason: 'missing' };
  let timestamp: number | null = null;
  const candidates: string[] = [];
  for (const part of opts.header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && value && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestamp === null || candidates.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(opts.nowSeconds - timestamp) > opts.toleranceSeconds) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(mac(opts.secret, opts.rawBody, timestamp), 'hex');
  // Every candidate is compared in constant time (all are 32 bytes, checked by the pattern above).
  const match = candidates.reduce((found, c) => timingSafeEqual(Buffer.from(c, 'hex'), expected) || found, false);
  return match ? { ok: true, timestamp } : { ok: false, reason: 'mismatch' };
}

function mac(secret: string, rawBody: string | Buffer, t: number): string {
  return createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex');
}
