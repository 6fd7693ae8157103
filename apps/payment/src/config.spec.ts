import { ConfigError } from '@hoso/config';
import { loadConfig } from './config';

const SECRETS = {
  PAYMENT_GATEWAY_API_KEY: 'a-real-merchant-api-key',
  PAYMENT_GATEWAY_WEBHOOK_SECRET: 'a-real-webhook-secret-0123',
  REDIS_URL: 'redis://payment:a-long-redis-password@redis.internal:6379',
  KAFKA_USERNAME: 'payment',
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
        REDIS_REFUSED,
        KAFKA_REFUSED,
      ]);
    }
    const { PAYMENT_GATEWAY_WEBHOOK_SECRET: _, ...noWebhookSecret } = SECRETS;
    expect(problemsOf(noWebhookSecret)).toEqual([
      expect.stringMatching(/^PAYMENT_GATEWAY_WEBHOOK_SECRET: required .*HOSO_DEV_MODE=1/),
    ]);
  });

  it('starts outside development mode with its own secrets', () => {
    const c = loadConfig({ ...SECRETS, NODE_ENV: 'production' });
    expect(c.gatewayApiKey).toBe(SECRETS.PAYMENT_GATEWAY_API_KEY);
    expect(c.webhookSecret).toBe(SECRETS.PAYMENT_GATEWAY_WEBHOOK_SECRET);
  });

  it('refuses a REDIS_URL without a password outside development mode, and takes it in development mode', () => {
    expect(problemsOf({ ...SECRETS, REDIS_URL: 'redis://127.0.0.1:6379' })).toEqual([REDIS_REFUSED]);
    expect(loadConfig(SECRETS).REDIS_URL).toBe(SECRETS.REDIS_URL);
    expect(loadConfig({ HOSO_DEV_MODE: '1', REDIS_URL: 'redis://127.0.0.1:6379' }).REDIS_URL).toBe(
      'redis://127.0.0.1:6379',
    );
  });

  it('refuses development mode with NODE_ENV=production', () => {
    expect(problemsOf({ ...SECRETS, HOSO_DEV_MODE: '1', NODE_ENV: 'production' })).toEqual([
      'HOSO_DEV_MODE: development mode is refused with NODE_ENV=production',
    ]);
  });
});
