import { z } from 'zod';
import { ConfigError } from './env';

/** The one switch for development behaviour (secret defaults, development one-time codes, simulators). */
export const DEV_MODE_VAR = 'HOSO_DEV_MODE';

/**
 * `HOSO_DEV_MODE`: `1` (or `true`/`yes`) turns development mode on; unset, empty, `0`, `false` or `no` leave it off.
 * Anything else is refused rather than read as "off", so a typo is noticed at start-up.
 */
export const devModeFlag = z
  .string()
  .trim()
  .transform((raw, ctx) => {
    const v = raw.toLowerCase();
    if (v === '1' || v === 'true' || v === 'yes') return true;
    if (v === '' || v === '0' || v === 'false' || v === 'no') return false;
    ctx.addIssue({ code: 'custom', message: 'expected 1 (development mode) or 0' });
    return z.NEVER;
  })
  .default(false);

/**
 * Spread into a service's schema. Development mode is off unless asked for: a process started without the variable
 * behaves as in production (no default secrets, no development one-time codes), whatever NODE_ENV says.
 */
export const devModeShape = {
  NODE_ENV: z.string().default('development'),
  [DEV_MODE_VAR]: devModeFlag,
} as const;

/**
 * Problems (in parseEnv's `NAME: message` form) of a config whose development-only settings are missing outside
 * development mode: each variable of `required` that is unset, and a development mode combined with
 * NODE_ENV=production (a production deployment that asks for development defaults is a mistake, not a choice).
 */
export function devModeProblems(
  c: { NODE_ENV: string; HOSO_DEV_MODE: boolean },
  required: Readonly<Record<string, unknown>>,
): string[] {
  if (c.HOSO_DEV_MODE) {
    return c.NODE_ENV === 'production' ? [`${DEV_MODE_VAR}: development mode is refused with NODE_ENV=production`] : [];
  }
  return Object.entries(required)
    .filter(([, value]) => value === undefined || value === '')
    .map(([name]) => `${name}: required (its development default applies only with ${DEV_MODE_VAR}=1)`);
}

/** Throws one ConfigError naming every problem of `devModeProblems`, with any others the caller found. */
export function assertDevModeSettings(
  c: { NODE_ENV: string; HOSO_DEV_MODE: boolean },
  required: Readonly<Record<string, unknown>>,
  otherProblems: readonly string[] = [],
): void {
  const problems = [...devModeProblems(c, required), ...otherProblems];
  if (problems.length) throw new ConfigError(problems);
}
