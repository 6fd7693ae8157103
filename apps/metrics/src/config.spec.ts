import { ConfigError } from '@hoso/config';
import { loadConfig } from './config';

const REDIS_URL = 'redis://metrics:a-long-redis-password@redis.internal:6379';
const KAFKA = {
  KAFKA_USERNAME: 'metrics',
  KAFKA_PASSWORD: 'a-long-kafka-password',
  KAFKA_OPERATOR_USERNAME: 'operator',
  KAFKA_OPERATOR_PASSWORD: 'another-long-kafka-password',
};

describe('metrics config', () => {
  it('refuses a REDIS_URL without a password outside development mode, naming REDIS_URL and HOSO_DEV_MODE', () => {
    for (const env of [{}, { REDIS_URL: 'redis://127.0.0.1:6379' }, { NODE_ENV: 'production' }]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(
        /REDIS_URL: must name the service's Redis user and password outside development mode \(HOSO_DEV_MODE=1\)/,
      );
    }
  });

  it("starts outside development mode with the service's Redis user and password", () => {
    const c = loadConfig({ REDIS_URL, ...KAFKA, NODE_ENV: 'production' });
    expect(c.REDIS_URL).toBe(REDIS_URL);
    expect(c.HOSO_DEV_MODE).toBe(false);
    expect(c.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/hoso_metrics');
  });

  it("refuses to start outside development mode without its own and the operator's Kafka users, naming both", () => {
    const { KAFKA_USERNAME: _u, KAFKA_PASSWORD: _p, KAFKA_OPERATOR_PASSWORD: _o, ...rest } = KAFKA;
    expect(() => loadConfig({ REDIS_URL, ...rest })).toThrow(ConfigError);
    try {
      loadConfig({ REDIS_URL, ...rest });
    } catch (e) {
      expect((e as ConfigError).problems).toEqual([
        expect.stringMatching(/^KAFKA_USERNAME: required, with KAFKA_PASSWORD .*HOSO_DEV_MODE=1/),
        'KAFKA_OPERATOR_PASSWORD: required with KAFKA_OPERATOR_USERNAME',
      ]);
    }
    const c = loadConfig({ REDIS_URL, ...KAFKA });
    expect(c.operatorKafkaSasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'operator',
      password: 'another-long-kafka-password',
    });
    expect(loadConfig({ HOSO_DEV_MODE: '1' }).operatorKafkaSasl.username).toBe('operator');
  });

  it('takes the local password-less REDIS_URL in development mode, but never with NODE_ENV=production', () => {
    expect(loadConfig({ HOSO_DEV_MODE: '1' }).REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(() => loadConfig({ HOSO_DEV_MODE: '1', NODE_ENV: 'production' })).toThrow(
      /HOSO_DEV_MODE: development mode is refused with NODE_ENV=production/,
    );
  });
});
