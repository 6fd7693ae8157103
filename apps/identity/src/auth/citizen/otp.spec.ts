import { generateOtp, hashOtp, maskPersonalId, otpMatches } from './otp';

describe('one-time codes', () => {
  it('are 6 digits, and not all the same', () => {
    const codes = Array.from({ length: 200 }, generateOtp);
    expect(codes.every((c) => /^\d{6}$/.test(c))).toBe(true);
    expect(new Set(codes).size).toBeGreaterThan(190);
  });

  it('match only the right code, on the right challenge, with the right secret', () => {
    const secret = 'x'.repeat(32);
    const h = hashOtp(secret, 'challenge-1', '012345');
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).not.toContain('012345');
    expect(otpMatches(secret, 'challenge-1', '012345', h)).toBe(true);
    expect(otpMatches(secret, 'challenge-1', '012346', h)).toBe(false);
    expect(otpMatches(secret, 'challenge-2', '012345', h)).toBe(false);
    expect(otpMatches('y'.repeat(32), 'challenge-1', '012345', h)).toBe(false);
    expect(otpMatches(secret, 'challenge-1', '012345', 'abc')).toBe(false);
  });

  it('masks personal IDs in logs', () => {
    expect(maskPersonalId('079123456789')).toBe('0791******89');
  });
});
