/** Pure rules for staff accounts: agency codes, usernames, password strength, the seeded accounts. */
import { CURRENT_PROVINCES } from '@hoso/population';

export const MINISTRY_AGENCIES = ['BCA', 'BTP', 'BXD', 'BTC', 'BNNMT', 'BHXH'] as const;

const CURRENT_PROVINCE_CODES = new Set(CURRENT_PROVINCES.map((p) => p.code));

/**
 * Agency codes: province centre `P<current province code>`, commune People's Committee `C<5-digit commune code>`, or
 * a ministry. Returns an error message, or null when the code is valid.
 */
export function agencyCodeProblem(code: string): string | null {
  if ((MINISTRY_AGENCIES as readonly string[]).includes(code)) return null;
  const province = /^P(\d{2})$/.exec(code);
  if (province) {
    return CURRENT_PROVINCE_CODES.has(province[1] ?? '') ? null : `no current province has code ${province[1] ?? ''}`;
  }
  if (/^C\d{5}$/.test(code)) return null;
  return `agency code must be P<2-digit province code>, C<5-digit commune code> or one of ${MINISTRY_AGENCIES.join(', ')}`;
}

export const USERNAME_PATTERN = /^[a-z0-9](?:[a-z0-9._-]{1,62})[a-z0-9]$/;

const COMMON_PASSWORDS = new Set([
  'password1234',
  'password12345',
  '123456789012',
  'qwertyuiop12',
  'matkhau12345',
  'hoso-dev-password',
  'administrator',
]);

/**
 * Why a new staff password is too weak, or null. At least 12 characters and three of four character classes; not the
 * username, not a well-known password. Length matters most; the classes stop "aaaaaaaaaaaa".
 */
export function passwordProblem(password: string, username: string): string | null {
  if (password.length < 12) return 'password must be at least 12 characters';
  if (password.length > 128) return 'password must be at most 128 characters';
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 3) return 'password must mix at least three of: lower-case, upper-case, digits, symbols';
  const lower = password.toLowerCase();
  if (lower.includes(username.toLowerCase())) return 'password must not contain the username';
  if (COMMON_PASSWORDS.has(lower)) return 'password is too common';
  return null;
}

export interface SeedStaff {
  username: string;
  role: 'officer' | 'operator';
  agencyCode: string | null;
  displayName: string;
}

/** One officer per current province centre and per ministry, and one operator. */
export function seedStaffAccounts(): SeedStaff[] {
  return [
    ...CURRENT_PROVINCES.map((p) => ({
      username: `officer.p${p.code}`,
      role: 'officer' as const,
      agencyCode: `P${p.code}`,
      displayName: `Cán bộ Trung tâm Phục vụ hành chính công ${p.name}`,
    })),
    ...MINISTRY_AGENCIES.map((code) => ({
      username: `officer.${code.toLowerCase()}`,
      role: 'officer' as const,
      agencyCode: code,
      displayName: `Cán bộ ${code}`,
    })),
    { username: 'operator', role: 'operator', agencyCode: null, displayName: 'Vận hành hệ thống' },
  ];
}
