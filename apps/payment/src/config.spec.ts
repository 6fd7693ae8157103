import { ConfigError } from '@hoso/config';
import { loadConfig } from './config';

const SECRETS = {
  PAYMENT_GATEWAY_API_KEY: 'a-real-merchant-api-key',
  PAYMENT_GATEWAY_WEBHOOK_SECRET: 'a-real-webhook-secret-0123',
};

const problemsOf = (env: Record<string, string | undefined>): string[] => {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
};

describe('payment config', () => {
  it('uses the simulator’s development key and secret in development mode only', () => {
    const c = loadConfig({ HOSO_DEV_MODE: '1' });
    expect(c.gatewayApiKey).toBe('dev-payment-gateway-api-key');
    expect(c.webhookSecret).toBe('dev-payment-gateway-webhook-secret');
    expect(c.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/hoso_payment');
  });

  it('refuses to start outside development mode without its secrets, naming each and HOSO_DEV_MODE', () => {
    for (const env of [{}, { NODE_ENV: 'development' }, { NODE_ENV: 'production' }]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(problemsOf(env)).toEqual([
        'PAYMENT_GATEWAY_API_KEY: required (its development default applies only with HOSO_DEV_MODE=1)',
        'PAYMENT_GATEWAY_WEBHOOK_SECRET: required (its development default applies only with HOSO_DEV_MODE=1)',
      ]);
    }
    expect(problemsOf({ PAYMENT_GATEWAY_API_KEY: SECRETS.PAYMENT_GATEWAY_API_KEY })).toEqual([
      expect.stringMatching(/^PAYMENT_GATEWAY_WEBHOOK_SECRET: required .*HOSO_DEV_MODE=1/),
    ]);
  });

  it('starts outside development mode with its own secrets', () => {
    const c = loadConfig({ ...SECRETS, NODE_ENV: 'production' });
    expect(c.gatewayApiKey).toBe(SECRETS.PAYMENT_GATEWAY_API_KEY);
    expect(c.webhookSecret).toBe(SECRETS.PAYMENT_GATEWAY_WEBHOOK_SECRET);
  });

  it('refuses development mode with NODE_ENV=production', () => {
    expect(problemsOf({ ...SECRETS, HOSO_DEV_MODE: '1', NODE_ENV: 'production' })).toEqual([
      'HOSO_DEV_MODE: development mode is refused with NODE_ENV=production',
    ]);
  });
});
