import {
  bucketsFor,
  CHALLENGE_LIMITS,
  EXCHANGE_FAILURE_LIMITS,
  limitedReason,
  parseDeviceId,
  SignInLimited,
  signInOrigin,
} from './sign-in-limits';

describe('citizen sign-in limits', () => {
  const device = 'Zr2c9VJ0bQhS1mK8xT4yWg';

  it('reads a device id only in its format; none or an empty header is "no device"', () => {
    expect(parseDeviceId(device)).toBe(device);
    expect(parseDeviceId('3f0c8a2e-6a8b-4d9e-9a43-1b2c3d4e5f60')).toBe('3f0c8a2e-6a8b-4d9e-9a43-1b2c3d4e5f60');
    expect(parseDeviceId(undefined)).toBeNull();
    expect(parseDeviceId('')).toBeNull();
    for (const bad of ['short', 'a'.repeat(129), `${device} `, `${device}, ${device}`, 'with/slash-0123456789']) {
      expect(parseDeviceId(bad)).toBeUndefined();
    }
    expect(parseDeviceId([device, device])).toBeUndefined();
  });

  it('keeps only a hash of the device id', () => {
    const from = signInOrigin(device, '203.0.113.7');
    expect(from.device).toMatch(/^[0-9a-f]{64}$/);
    expect(from.device).not.toContain(device);
    expect(signInOrigin(device, '198.51.100.1').device).toBe(from.device);
    expect(signInOrigin(null, '203.0.113.7')).toEqual({ device: null, address: '203.0.113.7' });
  });

  it('draws on the (ID, device), ID, device and address buckets; a known device skips the ID bucket', () => {
    const from = signInOrigin(device, '203.0.113.7');
    const keys = (known: boolean) => bucketsFor('challenge', '079123456789', from, known).map((b) => b.key);
    expect(keys(false)).toEqual([
      `c:pair:079123456789|d:${from.device}`,
      'c:id:079123456789',
      `c:device:${from.device}`,
      'c:address:203.0.113.7',
    ]);
    expect(keys(true)).toEqual([
      `c:pair:079123456789|d:${from.device}`,
      `c:device:${from.device}`,
      'c:address:203.0.113.7',
    ]);
  });

  it('counts a client without a device id by (ID, address) and address only', () => {
    const buckets = bucketsFor('challenge', '079123456789', signInOrigin(null, '203.0.113.7'), false);
    expect(buckets.map((b) => [b.scope, b.key])).toEqual([
      ['pair', 'c:pair:079123456789|a:203.0.113.7'],
      ['personalId', 'c:id:079123456789'],
      ['address', 'c:address:203.0.113.7'],
    ]);
  });

  it('keeps failed exchanges apart from codes requested, and an unknown challenge has no ID buckets', () => {
    const from = signInOrigin(device, '203.0.113.7');
    const exchange = bucketsFor('exchange', '079123456789', from, false);
    expect(exchange.every((b) => b.key.startsWith('x:'))).toBe(true);
    expect(exchange.map((b) => b.rule)).toEqual([
      EXCHANGE_FAILURE_LIMITS.pair,
      EXCHANGE_FAILURE_LIMITS.personalId,
      EXCHANGE_FAILURE_LIMITS.device,
      EXCHANGE_FAILURE_LIMITS.address,
    ]);
    expect(bucketsFor('exchange', null, from, false).map((b) => b.scope)).toEqual(['device', 'address']);
  });

  it('ceilings grow from the ID to the address, and the per-ID wait stays short', () => {
    for (const rules of [CHALLENGE_LIMITS, EXCHANGE_FAILURE_LIMITS]) {
      const perHour = (r: { burst: number; everySec: number }) => 3600 / r.everySec;
      expect(rules.address.burst).toBeGreaterThan(rules.device.burst);
      expect(rules.device.burst).toBeGreaterThanOrEqual(rules.personalId.burst);
      expect(perHour(rules.address)).toBeGreaterThan(perHour(rules.device));
      for (const r of Object.values(rules)) {
        expect(Number.isInteger(r.burst) && r.burst >= 1).toBe(true);
        expect(r.everySec).toBeGreaterThan(0);
      }
    }
    // A new device of a citizen whose ID a stranger is hammering waits at most this long for a code.
    expect(CHALLENGE_LIMITS.personalId.everySec).toBeLessThanOrEqual(60);
    // One challenge's five attempts never meet the failure limits of one client.
    expect(EXCHANGE_FAILURE_LIMITS.pair.burst).toBeGreaterThanOrEqual(5);
  });

  it('refuses with one message and shape whatever limit was reached; the audit reason names the limits', () => {
    const refusal = new SignInLimited(42, 'challenge');
    expect(refusal.getStatus()).toBe(429);
    expect(refusal.getResponse()).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'too many codes requested; try again in 42 s',
      retryAfterSec: 42,
    });
    expect(new SignInLimited(7, 'exchange').message).toBe('too many wrong codes; try again in 7 s');
    expect(limitedReason(['pair', 'address'])).toBe('rate limited: personal ID on this device, address');
  });
});
