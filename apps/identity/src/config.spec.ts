import { ConfigError } from '@hoso/config';
import { loadConfig } from './config';

describe('identity config', () => {
  it('has development defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 3002,
      KAFKA_GROUP_ID: 'identity',
      REGISTRY_SEED_COUNT: 200_000,
      OTP_TTL_SEC: 300,
      ACCESS_TOKEN_TTL_SEC: 900,
      OTP_DEV_DIR: '.data/otp',
      seedStaffPassword: 'hoso-dev-password',
    });
    expect(c.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/hoso_identity');
  });

  it('refuses to start in production without its secrets, naming them', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/OTP_SECRET.*\n.*SEED_STAFF_PASSWORD/s);
    const c = loadConfig({
      NODE_ENV: 'production',
      OTP_SECRET: 's'.repeat(32),
      SEED_STAFF_PASSWORD: 'Long-enough-2026',
    });
    expect(c.otpSecret).toBe('s'.repeat(32));
    expect(c.production).toBe(true);
  });

  it('names bad values', () => {
    expect(() => loadConfig({ OTP_SECRET: 'short' })).toThrow(/OTP_SECRET/);
    expect(() => loadConfig({ REGISTRY_SEED_COUNT: '-1' })).toThrow(/REGISTRY_SEED_COUNT/);
  });
});
