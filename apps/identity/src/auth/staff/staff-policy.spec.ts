import {
  agencyCodeProblem,
  isBreachedPassword,
  oneTimePassword,
  passwordProblem,
  seedStaffAccounts,
  USERNAME_PATTERN,
} from './staff-policy';

describe('staff policy', () => {
  it('accepts province centres, communes and ministries, and nothing else', () => {
    for (const ok of ['P01', 'P79', 'C00004', 'BCA', 'BNNMT', 'BHXH']) expect(agencyCodeProblem(ok)).toBeNull();
    expect(agencyCodeProblem('P02')).toMatch(/no current province/); // Hà Giang merged into Tuyên Quang (08)
    for (const bad of ['P1', 'C1234', 'bca', 'XYZ', '', 'P01 ']) expect(agencyCodeProblem(bad)).not.toBeNull();
  });

  it('refuses weak passwords with a reason', () => {
    expect(passwordProblem('Short1!', 'officer.x')).toMatch(/12 characters/);
    expect(passwordProblem('alllowercaseletters', 'officer.x')).toMatch(/three/);
    expect(passwordProblem('Xofficer.c12345!', 'officer.c12345')).toMatch(/username/);
    expect(passwordProblem('Password1234', 'officer.x')).toMatch(/common/);
    expect(passwordProblem('Cán-bộ-xã-2026', 'officer.c00004')).toBeNull();
    // Breached passwords, decorated to pass the other rules, are still breached.
    expect(passwordProblem('Qwerty123456!', 'officer.x')).toMatch(/breached/);
    expect(passwordProblem('!!Sunshine2026', 'officer.x')).toMatch(/breached/);
    expect(passwordProblem('Iloveyou-2026', 'officer.x')).toMatch(/breached/);
  });

  it('recognises breached passwords from the bundled list, however they are dressed up', () => {
    for (const p of [
      'password',
      'PASSWORD',
      'Password2026!',
      '1qaz2wsx3edc',
      'dragon',
      'I.love.you',
      'hoso-dev-password',
    ]) {
      expect(isBreachedPassword(p)).toBe(true);
    }
    for (const p of ['Cán-bộ-xã-2026', 'tram-kiem-soat-7-Huong-Son', 'V9#kq2!Lm7x@']) {
      expect(isBreachedPassword(p)).toBe(false);
    }
  });

  it('makes one-time passwords that pass the policy, all different', () => {
    const made = Array.from({ length: 200 }, () => oneTimePassword('officer.p01'));
    expect(new Set(made).size).toBe(200);
    for (const p of made) {
      expect(p).toMatch(/^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3}$/);
      expect(passwordProblem(p, 'officer.p01')).toBeNull();
    }
  });

  it('validates usernames', () => {
    expect(USERNAME_PATTERN.test('officer.c00004')).toBe(true);
    expect(USERNAME_PATTERN.test('Officer')).toBe(false);
    expect(USERNAME_PATTERN.test('a')).toBe(false);
    expect(USERNAME_PATTERN.test('officer.')).toBe(false);
  });

  it('seeds 34 province officers, 6 ministry officers and one operator, all unique', () => {
    const seeded = seedStaffAccounts();
    expect(seeded).toHaveLength(41);
    expect(new Set(seeded.map((s) => s.username)).size).toBe(41);
    expect(seeded.filter((s) => s.role === 'officer' && s.agencyCode?.startsWith('P'))).toHaveLength(34);
    expect(seeded.find((s) => s.username === 'officer.p01')?.agencyCode).toBe('P01');
    expect(seeded.find((s) => s.username === 'operator')).toMatchObject({ role: 'operator', agencyCode: null });
    for (const s of seeded) {
      expect(USERNAME_PATTERN.test(s.username)).toBe(true);
      if (s.agencyCode) expect(agencyCodeProblem(s.agencyCode)).toBeNull();
    }
  });
});
