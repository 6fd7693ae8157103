/** TOTP (RFC 6238) for staff, the encryption of its secrets at rest, and single-use recovery codes. */
import { createHash, randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { SecretBox, type KekRing, type KekSecret } from '@hoso/nest-kit';

export const TOTP_ISSUER = 'hoso';
const TOTP_PERIOD_SEC = 30;
/** One step either side: a phone clock 30 s off still works; a code lives at most 90 s. */
const TOTP_WINDOW = 1;

/**
 * Encrypts TOTP secrets with AES-256-GCM under STAFF_TOTP_KEY, bound to the account (a ciphertext copied to another
 * row will not open); during a rotation it also opens what STAFF_TOTP_KEY_PREVIOUS sealed.
 */
export class TotpSecretBox {
  readonly box: SecretBox;

  constructor(secret: KekSecret | KekRing) {
    this.box = new SecretBox(secret, { salt: 'hoso-identity', info: 'staff totp secret v1' });
  }

  seal(staffId: string, base32Secret: string): string {
    return this.box.seal(staffId, base32Secret);
  }

  open(staffId: string, sealed: string): string {
    return this.box.open(staffId, sealed).toString('utf8');
  }
}

/** STAFF_TOTP_REQUIRED: who must have TOTP before a session is opened. */
export type TotpRequirement = 'all' | 'operator' | 'none';

export const totpRequiredFor = (setting: TotpRequirement, role: 'officer' | 'operator'): boolean =>
  setting === 'all' || (setting === 'operator' && role === 'operator');

const totpOf = (username: string, base32Secret: string) =>
  new TOTP({
    issuer: TOTP_ISSUER,
    label: username,
    algorithm: 'SHA1',
    digits: 6,
    period: TOTP_PERIOD_SEC,
    secret: Secret.fromBase32(base32Secret),
  });

/** A new secret (160 bits, the RFC 4226 recommendation) and the otpauth:// URI authenticator apps read. */
export function newTotpSecret(username: string): { secret: string; uri: string } {
  const secret = new Secret({ size: 20 }).base32;
  return { secret, uri: totpOf(username, secret).toString() };
}

/** The time step the code belongs to (so it is accepted once only), or null when it is wrong. */
export function totpStep(username: string, base32Secret: string, code: string, now: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totpOf(username, base32Secret).validate({ token: code, timestamp: now.getTime(), window: TOTP_WINDOW });
  if (delta === null) return null;
  return Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SEC) + delta;
}

/** The current code: tests, and development bots that know their secret. */
export function totpCode(username: string, base32Secret: string, now: Date): string {
  return totpOf(username, base32Secret).generate({ timestamp: now.getTime() });
}

export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** Ten codes of 16 characters (about 79 bits each), shown as xxxx-xxxx-xxxx-xxxx. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    Array.from({ length: 4 }, () =>
      Array.from({ length: 4 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join(''),
    ).join('-'),
  );
}

/**
 * What is stored of a recovery code. The codes are long and random, so a plain SHA-256 makes a stolen table useless
 * (no guessing from a list helps); dashes, spaces and case are ignored, as people copy codes loosely.
 */
export const hashRecoveryCode = (code: string): string =>
  createHash('sha256').update(code.toLowerCase().replace(/[\s-]/g, '')).digest('hex');
