import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

export const OTP_MAX_ATTEMPTS = 5;

/** A uniformly random 6-digit code (leading zeros kept). */
export function generateOtp(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/**
 * Keyed hash of a code, bound to its challenge: a leaked table cannot be brute-forced offline without the secret
 * (a bare hash of a 6-digit code falls to a million guesses), and a hash cannot be replayed on another challenge.
 */
export function hashOtp(secret: string, challengeId: string, code: string): string {
  return createHmac('sha256', secret).update(`${challengeId}:${code}`).digest('hex');
}

export function otpMatches(secret: string, challengeId: string, code: string, storedHash: string): boolean {
  const given = Buffer.from(hashOtp(secret, challengeId, code), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** "0791******56": enough for an operator to tell log lines apart, not enough to identify the citizen. */
export function maskPersonalId(personalId: string): string {
  return `${personalId.slice(0, 4)}${'*'.repeat(Math.max(0, personalId.length - 6))}${personalId.slice(-2)}`;
}
