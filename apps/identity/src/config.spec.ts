import { ConfigError } from '@hoso/config';
import { loadConfig } from './config';

const DEV = { HOSO_DEV_MODE: '1' };

/** Everything a process outside development mode must be given. */
const PRODUCTION = {
  OTP_SECRET: 's'.repeat(32),
  STAFF_TOTP_KEY: 't'.repeat(32),
  SIGNING_KEY_KEK: 'k'.repeat(32),
  SMS_GATEWAY_URL: 'https://sms.example.vn/v1/messages',
  SMS_GATEWAY_API_KEY: 'k'.repeat(24),
  REDIS_URL: 'redis://identity:a-long-redis-password@redis.internal:6379',
  KAFKA_USERNAME: 'identity',
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

describe('identity config', () => {
  it('has development defaults in development mode: secrets, and one-time codes written to files', () => {
    const c = loadConfig(DEV);
    expect(c).toMatchObject({
      PORT: 3002,
      KAFKA_GROUP_ID: 'identity',
      REGISTRY_SEED_COUNT: 200_000,
      OTP_TTL_SEC: 300,
      ACCESS_TOKEN_TTL_SEC: 900,
      REFRESH_TOKEN_TTL_SEC: 14 * 24 * 3600,
      SESSION_MAX_LIFETIME_SEC: 30 * 24 * 3600,
      devMode: true,
      seedStaffPassword: 'hoso-dev-password',
      otpDelivery: { kind: 'dev-file', dir: '.data/otp' },
    });
    expect(c.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/hoso_identity');
  });

  it('refuses to start outside development mode with any default secret, naming it and HOSO_DEV_MODE', () => {
    // NODE_ENV alone changes nothing: without HOSO_DEV_MODE=1 a development NODE_ENV is no excuse.
    for (const nodeEnv of [undefined, 'development', 'test', 'production']) {
      const env = nodeEnv ? { NODE_ENV: nodeEnv } : {};
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(problemsOf(env)).toEqual([
        'OTP_SECRET: required (its development default applies only with HOSO_DEV_MODE=1)',
        'STAFF_TOTP_KEY: required (its development default applies only with HOSO_DEV_MODE=1)',
        'SIGNING_KEY_KEK: required (its development default applies only with HOSO_DEV_MODE=1)',
        REDIS_REFUSED,
        KAFKA_REFUSED,
        expect.stringMatching(/^SMS_GATEWAY_URL: required; .*OTP_DEV_DIR.* only with HOSO_DEV_MODE=1$/),
      ]);
    }
    for (const name of Object.keys(PRODUCTION).filter((n) => n !== 'REDIS_URL')) {
      const env = Object.fromEntries(Object.entries(PRODUCTION).filter(([n]) => n !== name));
      expect(problemsOf(env).join('\n')).toContain(`${name}: required`);
    }
  });

  it('refuses the development file delivery outside development mode, even with every secret set', () => {
    const { SMS_GATEWAY_URL: _, ...noSms } = PRODUCTION;
    expect(problemsOf(noSms)).toEqual([expect.stringMatching(/^SMS_GATEWAY_URL: required.*HOSO_DEV_MODE=1/)]);
  });

  it('starts outside development mode with its secrets and the SMS gateway', () => {
    const c = loadConfig({ ...PRODUCTION, NODE_ENV: 'production' });
    expect(c.devMode).toBe(false);
    expect(c.otpSecret).toBe('s'.repeat(32));
    expect(c.staffTotpKey).toBe('t'.repeat(32));
    // No shared staff password outside development mode: the seed gives each account a one-time password.
    expect(c.seedStaffPassword).toBeNull();
    expect(c.TRUST_PROXY).toBe(1);
    expect(c.otpDelivery).toEqual({
      kind: 'sms',
      url: PRODUCTION.SMS_GATEWAY_URL,
      apiKey: PRODUCTION.SMS_GATEWAY_API_KEY,
      timeoutMs: 5000,
      maxAttempts: 3,
      backoffMs: 300,
    });
  });

  it('refuses a REDIS_URL without a password outside development mode, and takes it in development mode', () => {
    expect(problemsOf({ ...PRODUCTION, REDIS_URL: 'redis://127.0.0.1:6379' })).toEqual([REDIS_REFUSED]);
    expect(loadConfig(PRODUCTION).REDIS_URL).toBe(PRODUCTION.REDIS_URL);
    expect(loadConfig({ ...DEV, REDIS_URL: 'redis://127.0.0.1:6379' }).REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it('refuses a shared seeded staff password outside development mode', () => {
    expect(problemsOf({ ...PRODUCTION, SEED_STAFF_PASSWORD: 'Long-enough-2026' })).toEqual([
      expect.stringMatching(/^SEED_STAFF_PASSWORD: one shared staff password is allowed only with HOSO_DEV_MODE=1/),
    ]);
    expect(loadConfig({ ...DEV, SEED_STAFF_PASSWORD: 'Long-enough-2026' }).seedStaffPassword).toBe('Long-enough-2026');
  });

  it('uses the SMS gateway in development mode too when one is configured, and wants its key', () => {
    expect(loadConfig({ ...DEV, ...PRODUCTION }).otpDelivery.kind).toBe('sms');
    expect(problemsOf({ ...DEV, SMS_GATEWAY_URL: PRODUCTION.SMS_GATEWAY_URL })).toEqual([
      'SMS_GATEWAY_API_KEY: required with SMS_GATEWAY_URL',
    ]);
  });

  it('refuses development mode in a NODE_ENV=production process', () => {
    expect(problemsOf({ ...DEV, ...PRODUCTION, NODE_ENV: 'production' })).toEqual([
      'HOSO_DEV_MODE: development mode is refused with NODE_ENV=production',
    ]);
  });

  it('requires TOTP of all staff by default, of nobody by default in development mode; an explicit value wins', () => {
    expect(loadConfig(PRODUCTION).staffTotpRequired).toBe('all');
    expect(loadConfig(DEV).staffTotpRequired).toBe('none');
    expect(loadConfig({ ...PRODUCTION, STAFF_TOTP_REQUIRED: 'operator' }).staffTotpRequired).toBe('operator');
    expect(loadConfig({ ...DEV, STAFF_TOTP_REQUIRED: 'all' }).staffTotpRequired).toBe('all');
    expect(problemsOf({ ...PRODUCTION, STAFF_TOTP_REQUIRED: 'officers' })).toEqual([
      expect.stringMatching(/^STAFF_TOTP_REQUIRED: /),
    ]);
  });

  it('takes the previous key-encryption keys of a rotation, each at least 32 characters', () => {
    const c = loadConfig({
      ...PRODUCTION,
      SIGNING_KEY_KEK_PREVIOUS: 'p'.repeat(32),
      STAFF_TOTP_KEY_PREVIOUS: 'q'.repeat(32),
    });
    expect(c).toMatchObject({ signingKeyKekPrevious: 'p'.repeat(32), staffTotpKeyPrevious: 'q'.repeat(32) });
    expect(loadConfig(PRODUCTION)).toMatchObject({ signingKeyKekPrevious: null, staffTotpKeyPrevious: null });
    expect(problemsOf({ ...PRODUCTION, SIGNING_KEY_KEK_PREVIOUS: 'short', STAFF_TOTP_KEY_PREVIOUS: 'short' })).toEqual([
      expect.stringMatching(/^STAFF_TOTP_KEY_PREVIOUS: .*at least 32/),
      expect.stringMatching(/^SIGNING_KEY_KEK_PREVIOUS: .*at least 32/),
    ]);
  });

  it('names bad values', () => {
    expect(() => loadConfig({ ...DEV, OTP_SECRET: 'short' })).toThrow(/OTP_SECRET/);
    expect(() => loadConfig({ ...DEV, REGISTRY_SEED_COUNT: '-1' })).toThrow(/REGISTRY_SEED_COUNT/);
    expect(() => loadConfig({ ...DEV, SMS_GATEWAY_URL: 'ftp://sms.example.vn' })).toThrow(/SMS_GATEWAY_URL/);
    expect(() => loadConfig({ ...DEV, SMS_GATEWAY_MAX_ATTEMPTS: '0' })).toThrow(/SMS_GATEWAY_MAX_ATTEMPTS/);
  });
});
