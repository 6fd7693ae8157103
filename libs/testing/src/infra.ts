import { infraEnvSchema, parseEnv } from '@hoso/config';

/**
 * A REDIS_URL that names a user and a password. Services outside development mode refuse one without
 * (libs/config redis-credentials.ts), and tests start services that way; a test server whose default user has no
 * password (`on nopass`) accepts any password for it, so a URL without credentials gets a throwaway one. A URL that
 * has credentials is kept as it is.
 */
export function withTestRedisCredentials(url: string): string {
  const u = new URL(url);
  if (u.password) return url;
  u.username ||= 'default';
  u.password = 'hoso-test-password';
  return u.toString();
}

const parsed = parseEnv(infraEnvSchema);

/** The servers the global set-up made sure of. */
export const testEnv = Object.freeze({ ...parsed, REDIS_URL: withTestRedisCredentials(parsed.REDIS_URL) });
