import { signCallback, verifyCallbackSignature } from './signature';

const secret = 'whsec-test-0123456789';
const body = Buffer.from('{"paymentId":"p","status":"SUCCEEDED","amountVnd":8000}');
const now = 1_790_000_000;
const check = (header: string | undefined, over: { nowSeconds?: number; rawBody?: Buffer; secret?: string } = {}) =>
  verifyCallbackSignature({
    secret: over.secret ?? secret,
    header,
    rawBody: over.rawBody ?? body,
    nowSeconds: over.nowSeconds ?? now,
    toleranceSeconds: 300,
  });

describe('gateway callback signature', () => {
  it('accepts a good signature', () => {
    expect(check(signCallback(secret, body, now - 10))).toEqual({ ok: true, timestamp: now - 10 });
  });

  it('refuses a signature made with another secret or over another body', () => {
    expect(check(signCallback('another-secret-0000', body, now))).toEqual({ ok: false, reason: 'mismatch' });
    expect(check(signCallback(secret, body, now), { rawBody: Buffer.from(`${body.toString()} `) })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('refuses a timestamp outside ±300 s, even with a valid MAC', () => {
    expect(check(signCallback(secret, body, now - 301))).toEqual({ ok: false, reason: 'stale' });
    expect(check(signCallback(secret, body, now + 301))).toEqual({ ok: false, reason: 'stale' });
    expect(check(signCallback(secret, body, now - 300)).ok).toBe(true);
  });

  it('refuses a missing or malformed header, and a timestamp swapped under a valid MAC', () => {
    expect(check(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(check('garbage')).toEqual({ ok: false, reason: 'malformed' });
    expect(check(`t=${now},v1=abc`)).toEqual({ ok: false, reason: 'malformed' });
    const v1 = signCallback(secret, body, now - 5).split('v1=')[1];
    expect(check(`t=${now},v1=${v1}`)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('accepts any matching v1 (secret rotation)', () => {
    const good = signCallback(secret, body, now).split('v1=')[1];
    expect(check(`t=${now},v1=${'0'.repeat(64)},v1=${good}`).ok).toBe(true);
  });
});
