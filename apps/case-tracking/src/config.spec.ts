import { randomBytes } from 'node:crypto';
import { ConfigError } from '@hoso/config';
import { loadConfig } from './config';

const KEK = randomBytes(32);
const OWN = {
  RESULT_SIGNING_KEK: KEK.toString('base64'),
  PORTAL_PUBLIC_URL: 'https://dichvucong.example.vn/',
  REDIS_URL: 'redis://case-tracking:a-long-redis-password@redis.internal:6379',
  KAFKA_USERNAME: 'case-tracking',
  KAFKA_PASSWORD: 'a-long-kafka-password',
};
const KAFKA_REFUSED =
  'KAFKA_USERNAME: required, with KAFKA_PASSWORD (the Kafka user; its development default applies only with HOSO_DEV_MODE=1)';

const REDIS_REFUSED =
  "REDIS_URL: must name the service's Redis user and password outside development mode (HOSO_DEV_MODE=1)";

const problemsOf = (env: Record<string, string | undefined>): string[] => {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
};

describe('case-tracking config', () => {
  it('uses the development signing KEK and portal address in development mode only', () => {
    const c = loadConfig({ HOSO_DEV_MODE: '1' });
    expect(c.resultSigningKek).toHaveLength(32);
    expect(c.portalPublicUrl).toBe('http://127.0.0.1:3000');
    expect(c.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/hoso_case');
  });

  it('refuses to start outside development mode without its KEK and portal address, naming each and HOSO_DEV_MODE', () => {
    for (const env of [{}, { NODE_ENV: 'development' }, { NODE_ENV: 'production' }]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(problemsOf(env)).toEqual([
        'RESULT_SIGNING_KEK: required (its development default applies only with HOSO_DEV_MODE=1)',
        'PORTAL_PUBLIC_URL: required (its development default applies only with HOSO_DEV_MODE=1)',
        REDIS_REFUSED,
        KAFKA_REFUSED,
      ]);
    }
    expect(problemsOf({ ...OWN, RESULT_SIGNING_KEK: undefined })).toEqual([
      expect.stringMatching(/^RESULT_SIGNING_KEK: required .*HOSO_DEV_MODE=1/),
    ]);
  });

  it('starts outside development mode with its own KEK and address (trailing slash dropped)', () => {
    const c = loadConfig({ ...OWN, NODE_ENV: 'production' });
    expect(c.resultSigningKek.equals(KEK)).toBe(true);
    expect(c.portalPublicUrl).toBe('https://dichvucong.example.vn');
  });

  it('refuses a KEK that is not 32 bytes of base64, and a portal address that is not http(s)', () => {
    for (const bad of [randomBytes(16).toString('base64'), 'not base64 at all!', randomBytes(33).toString('base64')]) {
      expect(problemsOf({ ...OWN, RESULT_SIGNING_KEK: bad })).toEqual([
        expect.stringMatching(/^RESULT_SIGNING_KEK: expected 32 random bytes, base64/),
      ]);
    }
    expect(problemsOf({ ...OWN, PORTAL_PUBLIC_URL: 'ftp://portal.example.vn' })).toEqual([
      expect.stringMatching(/^PORTAL_PUBLIC_URL: /),
    ]);
  });

  it('takes the previous KEK of a rotation, with the same check', () => {
    const previous = randomBytes(32);
    const c = loadConfig({ ...OWN, RESULT_SIGNING_KEK_PREVIOUS: previous.toString('base64') });
    expect(c.resultSigningKekPrevious?.equals(previous)).toBe(true);
    expect(loadConfig(OWN).resultSigningKekPrevious).toBeNull();
    expect(problemsOf({ ...OWN, RESULT_SIGNING_KEK_PREVIOUS: 'not base64 at all!' })).toEqual([
      expect.stringMatching(/^RESULT_SIGNING_KEK_PREVIOUS: expected 32 random bytes, base64/),
    ]);
  });

  it('refuses a REDIS_URL without a password outside development mode, and takes it in development mode', () => {
    expect(problemsOf({ ...OWN, REDIS_URL: 'redis://127.0.0.1:6379' })).toEqual([REDIS_REFUSED]);
    expect(loadConfig(OWN).REDIS_URL).toBe(OWN.REDIS_URL);
    expect(loadConfig({ HOSO_DEV_MODE: '1', REDIS_URL: 'redis://127.0.0.1:6379' }).REDIS_URL).toBe(
      'redis://127.0.0.1:6379',
    );
  });

  it('refuses development mode with NODE_ENV=production', () => {
    expect(problemsOf({ ...OWN, HOSO_DEV_MODE: '1', NODE_ENV: 'production' })).toEqual([
      'HOSO_DEV_MODE: development mode is refused with NODE_ENV=production',
    ]);
  });
});
