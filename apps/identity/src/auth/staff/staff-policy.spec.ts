import { agencyCodeProblem, passwordProblem, seedStaffAccounts, USERNAME_PATTERN } from './staff-policy';

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
