import { ConfigError } from '@hoso/config';
import { loadConfig } from './config';

/** Outside development mode the one setting without a usable default: the gateway's Redis user. */
const REDIS = { REDIS_URL: 'redis://gateway:a-long-redis-password@redis.internal:6379' };

describe('gateway config', () => {
  it('has working local defaults', () => {
    const c = loadConfig(REDIS);
    expect(c.PORT).toBe(3000);
    expect(c.upstreams).toEqual({
      identity: ['http://127.0.0.1:3002'],
      intake: ['http://127.0.0.1:3001'],
      payment: ['http://127.0.0.1:3003'],
      cases: ['http://127.0.0.1:3004'],
      metrics: ['http://127.0.0.1:3005'],
    });
    expect(c.AUTH_JWKS_URL).toBe('http://127.0.0.1:3002/.well-known/jwks.json');
    expect(c.PORTAL_DIR).toBe('dist/apps/portal');
    expect(c.CORS_ORIGINS).toEqual([]);
    expect(c.TRUST_PROXY).toBe(0);
    // Development mode is an explicit opt-in: without it, production behaviour.
    expect(c.devMode).toBe(false);
    expect(c.production).toBe(true);
    expect(c.rateLimits['sign-in']).toEqual({ points: 20, durationSec: 60 });
    expect(c.rateLimits.read).toEqual({ points: 300, durationSec: 60 });
    expect(c.JSON_BODY_LIMIT_BYTES).toBe(256 * 1024);
    expect(c.UPLOAD_BODY_LIMIT_BYTES).toBeGreaterThan(10 * 1024 * 1024);
    expect(c.rateLimitKeyPrefix).toBe('gateway:rate-limit');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads upstreams, limits, origins and the key prefix from the environment', () => {
    const c = loadConfig({
      ...REDIS,
      INTAKE_URL: 'http://intake.hoso.svc:3001',
      RATE_LIMIT_SIGN_IN: '5/300',
      RATE_LIMIT_READ: ' 1000/1 ',
      CORS_ORIGINS: 'https://portal.example.vn, http://localhost:5173',
      TRUST_PROXY: '1',
      QUEUE_PREFIX: 'stack-a',
    });
    expect(c.upstreams.intake).toEqual(['http://intake.hoso.svc:3001']);
    expect(c.rateLimits['sign-in']).toEqual({ points: 5, durationSec: 300 });
    expect(c.rateLimits.read).toEqual({ points: 1000, durationSec: 1 });
    expect(c.CORS_ORIGINS).toEqual(['https://portal.example.vn', 'http://localhost:5173']);
    expect(c.TRUST_PROXY).toBe(1);
    expect(c.rateLimitKeyPrefix).toBe('stack-a:gateway:rate-limit');
  });

  it("reads a service's replicas as a comma-separated list, and refuses a bad or repeated one", () => {
    const c = loadConfig({ ...REDIS, PAYMENT_URL: ' http://127.0.0.1:3003, http://127.0.0.1:3103 ,' });
    expect(c.upstreams.payment).toEqual(['http://127.0.0.1:3003', 'http://127.0.0.1:3103']);
    expect(c.upstreams.intake).toEqual(['http://127.0.0.1:3001']);
    expect(() => loadConfig({ ...REDIS, PAYMENT_URL: 'http://a:1,http://a:1' })).toThrow(/PAYMENT_URL: the same URL/);
    expect(() => loadConfig({ ...REDIS, INTAKE_URL: 'http://a:1,ftp://b' })).toThrow(/INTAKE_URL/);
    expect(() => loadConfig({ ...REDIS, INTAKE_URL: ' , ' })).toThrow(/INTAKE_URL: expected at least one base URL/);
  });

  it('names every bad variable at once', () => {
    const bad = {
      RATE_LIMIT_SUBMIT: 'lots',
      RATE_LIMIT_WRITE: '0/60',
      CORS_ORIGINS: 'https://portal.example.vn/path',
      INTAKE_URL: 'not a url',
      REDIS_URL: 'http://redis:6379',
      QUEUE_PREFIX: 'a:b',
      JSON_BODY_LIMIT_BYTES: '-1',
    };
    expect(() => loadConfig(bad)).toThrow(ConfigError);
    try {
      loadConfig(bad);
    } catch (e) {
      const problems = (e as ConfigError).problems.join('\n');
      for (const name of Object.keys(bad)) expect(problems).toContain(name);
      expect(problems).toMatch(/RATE_LIMIT_SUBMIT: expected <requests>\/<seconds>/);
    }
  });

  it('takes TRUST_PROXY as a hop count only, and refuses `true` saying why', () => {
    expect(loadConfig({ ...REDIS, TRUST_PROXY: '0' }).TRUST_PROXY).toBe(0);
    expect(loadConfig({ ...REDIS, TRUST_PROXY: ' 2 ' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ ...REDIS, TRUST_PROXY: '' }).TRUST_PROXY).toBe(0);
    for (const value of ['true', 'TRUE']) {
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(
        /TRUST_PROXY: `true` would believe any X-Forwarded-For a client sends; give the number of proxies/,
      );
    }
    for (const value of ['false', '-1', '1.5', 'loopback, 10.0.0.0/8']) {
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(
        /TRUST_PROXY: expected the number of proxies in front of the gateway, a non-negative integer/,
      );
    }
  });

  it('forwards development-only routes and leaves HSTS off in development mode only', () => {
    const dev = loadConfig({ HOSO_DEV_MODE: '1' });
    expect(dev.devMode).toBe(true);
    expect(dev.production).toBe(false);
    for (const nodeEnv of ['development', 'test']) {
      expect(loadConfig({ ...REDIS, NODE_ENV: nodeEnv }).devMode).toBe(false);
    }
    expect(() => loadConfig({ HOSO_DEV_MODE: '1', NODE_ENV: 'production' })).toThrow(
      /HOSO_DEV_MODE: development mode is refused with NODE_ENV=production/,
    );
  });

  it('refuses a REDIS_URL without a password outside development mode, and takes it in development mode', () => {
    for (const env of [{}, { REDIS_URL: 'redis://127.0.0.1:6379' }, { REDIS_URL: 'redis://gateway@127.0.0.1:6379' }]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(
        /REDIS_URL: must name the service's Redis user and password outside development mode \(HOSO_DEV_MODE=1\)/,
      );
    }
    expect(loadConfig(REDIS).REDIS_URL).toBe(REDIS.REDIS_URL);
    expect(loadConfig({ HOSO_DEV_MODE: '1' }).REDIS_URL).toBe('redis://127.0.0.1:6379');
  });
});
