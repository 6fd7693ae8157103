import { hashRecoveryCode, newRecoveryCodes, newTotpSecret, totpCode, totpStep, TotpSecretBox } from './second-factor';
import { clientAddress } from './signin-throttle';

describe('staff second factor', () => {
  it('accepts the current code and the neighbouring steps only, telling which step it was', () => {
    const { secret, uri } = newTotpSecret('officer.p01');
    expect(uri).toMatch(/^otpauth:\/\/totp\/hoso:officer\.p01\?issuer=hoso&secret=[A-Z2-7]{32}&/);
    const now = new Date('2026-03-01T08:00:10Z');
    const step = Math.floor(now.getTime() / 30_000);
    expect(totpStep('officer.p01', secret, totpCode('officer.p01', secret, now), now)).toBe(step);
    const previous = new Date(now.getTime() - 30_000);
    expect(totpStep('officer.p01', secret, totpCode('officer.p01', secret, previous), now)).toBe(step - 1);
    const old = new Date(now.getTime() - 120_000);
    const oldCode = totpCode('officer.p01', secret, old);
    if (oldCode !== totpCode('officer.p01', secret, now))
      expect(totpStep('officer.p01', secret, oldCode, now)).toBeNull();
    expect(totpStep('officer.p01', secret, '12345', now)).toBeNull();
    expect(totpStep('officer.p01', secret, 'abcdef', now)).toBeNull();
  });

  it('seals secrets so that only the same key and the same account open them', () => {
    const box = new TotpSecretBox('k'.repeat(32));
    const sealed = box.seal('id-1', 'JBSWY3DPEHPK3PXP');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open('id-1', sealed)).toBe('JBSWY3DPEHPK3PXP');
    expect(box.seal('id-1', 'JBSWY3DPEHPK3PXP')).not.toBe(sealed);
    expect(() => box.open('id-2', sealed)).toThrow();
    expect(() => new TotpSecretBox('x'.repeat(32)).open('id-1', sealed)).toThrow();
  });

  it('makes ten distinct recovery codes, hashed without regard to case and dashes', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    const c = codes[0]!;
    expect(hashRecoveryCode(c.toUpperCase().replace(/-/g, ' '))).toBe(hashRecoveryCode(c));
    expect(hashRecoveryCode(c)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('client address for throttling', () => {
  it('believes only as many X-Forwarded-For entries as there are trusted proxies, from the right', () => {
    expect(clientAddress('10.0.0.5', undefined, 1)).toBe('10.0.0.5');
    expect(clientAddress('10.0.0.5', '203.0.113.9', 1)).toBe('203.0.113.9');
    // A client writing its own header gets its forgery ignored: the gateway appended the real address last.
    expect(clientAddress('10.0.0.5', '1.2.3.4, 203.0.113.9', 1)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.5', '1.2.3.4, 203.0.113.9', 0)).toBe('10.0.0.5');
    expect(clientAddress('10.0.0.5', ['1.2.3.4', '203.0.113.9, 10.0.0.1'], 2)).toBe('203.0.113.9');
    expect(clientAddress('::ffff:127.0.0.1', undefined, 1)).toBe('127.0.0.1');
  });
});
