import { redisCredentialProblems } from './redis-credentials';

const REFUSED = "REDIS_URL: must name the service's Redis user and password outside development mode (HOSO_DEV_MODE=1)";

describe('redisCredentialProblems', () => {
  it('refuses a REDIS_URL without a password outside development mode, naming REDIS_URL and HOSO_DEV_MODE', () => {
    for (const url of [
      'redis://127.0.0.1:6379',
      'rediss://redis.internal:6380',
      'redis://case-tracking@127.0.0.1:6379',
      'redis://case-tracking:@127.0.0.1:6379',
    ]) {
      expect(redisCredentialProblems({ HOSO_DEV_MODE: false, REDIS_URL: url })).toEqual([REFUSED]);
    }
  });

  it("accepts the service's user and password outside development mode, percent-encoded or over TLS", () => {
    for (const url of [
      'redis://case-tracking:a-long-redis-password@127.0.0.1:6379',
      'rediss://payment:p%40ss%3Aword-0123456789@redis.internal:6380/0',
    ]) {
      expect(redisCredentialProblems({ HOSO_DEV_MODE: false, REDIS_URL: url })).toEqual([]);
    }
  });

  it('accepts a password-less REDIS_URL in development mode', () => {
    expect(redisCredentialProblems({ HOSO_DEV_MODE: true, REDIS_URL: 'redis://127.0.0.1:6379' })).toEqual([]);
  });
});
