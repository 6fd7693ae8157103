import { ConfigError } from '@hoso/config';
import { loadConfig } from './config';

describe('payment-gateway simulator config', () => {
  it('starts in development mode, with the development key and secret unless given others', () => {
    const c = loadConfig({ HOSO_DEV_MODE: '1' });
    expect(c.apiKey).toBe('dev-payment-gateway-api-key');
    expect(c.webhookSecret).toBe('dev-payment-gateway-webhook-secret');
    expect(c.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/hoso_paygw');
    expect(loadConfig({ HOSO_DEV_MODE: '1', PAYMENT_GATEWAY_API_KEY: 'another-api-key-0123' }).apiKey).toBe(
      'another-api-key-0123',
    );
  });

  it('refuses to start outside development mode, secrets or not, naming HOSO_DEV_MODE', () => {
    const secrets = {
      PAYMENT_GATEWAY_API_KEY: 'a-real-merchant-api-key',
      PAYMENT_GATEWAY_WEBHOOK_SECRET: 'a-real-webhook-secret-0123',
    };
    for (const env of [{}, { NODE_ENV: 'development' }, secrets, { ...secrets, HOSO_DEV_MODE: '0' }]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(
        /HOSO_DEV_MODE: the payment-gateway simulator starts only in development mode \(HOSO_DEV_MODE=1\)/,
      );
    }
    expect(() => loadConfig({ HOSO_DEV_MODE: '1', NODE_ENV: 'production' })).toThrow(
      /HOSO_DEV_MODE: development mode is refused with NODE_ENV=production/,
    );
  });
});
