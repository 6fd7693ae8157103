/** Pure rules for staff accounts: agency codes, usernames, password strength, the seeded accounts. */
import { randomInt } from 'node:crypto';
import { dictionary } from '@zxcvbn-ts/language-common';
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

/** Passwords of this project and local favourites the bundled list (English-language breaches) does not hold. */
const LOCAL_COMMON_PASSWORDS = ['hoso-dev-password', 'matkhau', 'matkhau123', 'administrator', 'hoso'];

let breached: Set<string> | null = null;

/**
 * The ~49,000 most frequent passwords of public breach corpora, bundled with zxcvbn-ts (no network lookup: sign-in
 * and account creation never depend on a third party, and no hash prefix of a staff password leaves the service).
 */
function breachedPasswords(): Set<string> {
  breached ??= new Set([...dictionary['passwords-common'], ...LOCAL_COMMON_PASSWORDS].map((p) => p.toLowerCase()));
  return breached;
}

/**
 * Whether a password is, or merely decorates, a breached one: as typed (case-insensitive), and with the digits and
 * symbols people add at either end to satisfy rules stripped ("Password2026!" is "password"), and with spaces,
 * dots, dashes and underscores between words removed.
 */
export function isBreachedPassword(password: string): boolean {
  const list = breachedPasswords();
  const lower = password.toLowerCase();
  const core = lower.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
  const joined = core.replace(/[\s._-]+/g, '');
  return [lower, core, joined].some((candidate) => candidate.length > 0 && list.has(candidate));
}

/**
 * Why a new staff password is too weak, or null. At least 12 characters and three of four character classes; not the
 * username, not a breached password (see `isBreachedPassword`). Length matters most; the classes stop "aaaaaaaaaaaa".
 */
export function passwordProblem(password: string, username: string): string | null {
  if (password.length < 12) return 'password must be at least 12 characters';
  if (password.length > 128) return 'password must be at most 128 characters';
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 3) return 'password must mix at least three of: lower-case, upper-case, digits, symbols';
  const lower = password.toLowerCase();
  if (lower.includes(username.toLowerCase())) return 'password must not contain the username';
  if (isBreachedPassword(password)) return 'password is too common: it appears in lists of breached passwords';
  return null;
}

/** Without look-alikes (0/O, 1/l/I), so a password read off a screen or paper is typed right the first time. */
const ONE_TIME_ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/**
 * A one-time password for a new or reset account: four groups of five characters (about 115 bits), separated by
 * dashes; it passes `passwordProblem` (redrawn in the rare case it does not), so the policy never refuses it.
 */
export function oneTimePassword(username: string): string {
  for (;;) {
    const groups = Array.from({ length: 4 }, () =>
      Array.from({ length: 5 }, () => ONE_TIME_ALPHABET[randomInt(ONE_TIME_ALPHABET.length)]).join(''),
    );
    const candidate = groups.join('-');
    if (passwordProblem(candidate, username) === null) return candidate;
  }
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
