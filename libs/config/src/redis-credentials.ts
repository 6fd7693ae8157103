import { DEV_MODE_VAR } from './dev-mode';

/**
 * REDIS_URL's refusal outside development mode, in parseEnv's `NAME: message` form: a URL that carries no password.
 * A Redis with the users of deploy/local/redis-acl.ts has its default user off, so such a URL would start a service
 * that is never ready (NOAUTH on its first command); and a Redis that does serve it lets anyone who reaches it read
 * and rewrite every queue. Only development mode's local stack hands its services one password-less URL.
 */
export function redisCredentialProblems(c: { HOSO_DEV_MODE: boolean; REDIS_URL: string }): string[] {
  if (c.HOSO_DEV_MODE || hasPassword(c.REDIS_URL)) return [];
  return [`REDIS_URL: must name the service's Redis user and password outside development mode (${DEV_MODE_VAR}=1)`];
}

function hasPassword(url: string): boolean {
  return URL.canParse(url) && new URL(url).password !== '';
}
