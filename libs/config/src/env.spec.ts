import { z } from 'zod';
import { ConfigError, booleanFlag, hostPortList, infraEnvSchema, parseEnv, port, withDatabase } from './env';

describe('parseEnv', () => {
  it('applies the local defaults when nothing is set', () => {
    const env = parseEnv(infraEnvSchema, {});
    expect(env.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(env.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/postgres');
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env.KAFKA_FETCH_MIN_BYTES).toBe(1);
    expect(env.KAFKA_FETCH_MAX_WAIT_MS).toBe(500);
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('reads the consumer fetch tuning and refuses a zero or an hour-long wait', () => {
    expect(parseEnv(infraEnvSchema, { KAFKA_FETCH_MIN_BYTES: '32768', KAFKA_FETCH_MAX_WAIT_MS: '100' })).toMatchObject({
      KAFKA_FETCH_MIN_BYTES: 32768,
      KAFKA_FETCH_MAX_WAIT_MS: 100,
    });
    expect(() => parseEnv(infraEnvSchema, { KAFKA_FETCH_MIN_BYTES: '0' })).toThrow(/KAFKA_FETCH_MIN_BYTES/);
    expect(() => parseEnv(infraEnvSchema, { KAFKA_FETCH_MAX_WAIT_MS: '3600000' })).toThrow(/KAFKA_FETCH_MAX_WAIT_MS/);
  });

  it('binds to loopback and migrates on start unless told otherwise, and refuses an unclear flag', () => {
    expect(parseEnv(infraEnvSchema, {})).toMatchObject({ HOST: '127.0.0.1', MIGRATE_ON_START: true });
    expect(parseEnv(infraEnvSchema, { HOST: '0.0.0.0', MIGRATE_ON_START: 'false' })).toMatchObject({
      HOST: '0.0.0.0',
      MIGRATE_ON_START: false,
    });
    expect(() => parseEnv(infraEnvSchema, { MIGRATE_ON_START: 'off' })).toThrow(/MIGRATE_ON_START/);
    expect(() => parseEnv(infraEnvSchema, { HOST: ' ' })).toThrow(/HOST/);
  });

  it('keeps the old generation near the live heap unless told otherwise, within what V8 reads', () => {
    expect(parseEnv(infraEnvSchema, {})).toMatchObject({ HEAP_GROWING_PERCENT: 25 });
    expect(parseEnv(infraEnvSchema, { HEAP_GROWING_PERCENT: '0' })).toMatchObject({ HEAP_GROWING_PERCENT: 0 });
    expect(() => parseEnv(infraEnvSchema, { HEAP_GROWING_PERCENT: '-5' })).toThrow(/HEAP_GROWING_PERCENT/);
    expect(() => parseEnv(infraEnvSchema, { HEAP_GROWING_PERCENT: '12.5' })).toThrow(/HEAP_GROWING_PERCENT/);
  });

  it('reads the group session, within what the broker accepts', () => {
    expect(parseEnv(infraEnvSchema, {})).toMatchObject({
      KAFKA_SESSION_TIMEOUT_MS: 30_000,
      KAFKA_HEARTBEAT_INTERVAL_MS: 3_000,
    });
    expect(
      parseEnv(infraEnvSchema, { KAFKA_SESSION_TIMEOUT_MS: '10000', KAFKA_HEARTBEAT_INTERVAL_MS: '1000' }),
    ).toMatchObject({
      KAFKA_SESSION_TIMEOUT_MS: 10_000,
      KAFKA_HEARTBEAT_INTERVAL_MS: 1_000,
    });
    expect(() => parseEnv(infraEnvSchema, { KAFKA_SESSION_TIMEOUT_MS: '5000' })).toThrow(/KAFKA_SESSION_TIMEOUT_MS/);
  });

  it('names every bad variable and its value', () => {
    const run = () =>
      parseEnv(infraEnvSchema, { KAFKA_BROKERS: 'nope', DATABASE_URL: 'mysql://x', REDIS_URL: 'redis://ok:1' });
    expect(run).toThrow(ConfigError);
    try {
      run();
    } catch (e) {
      const err = e as ConfigError;
      expect(err.problems).toHaveLength(2);
      expect(err.message).toMatch(/KAFKA_BROKERS.*"nope"/);
      expect(err.message).toMatch(/DATABASE_URL: expected a postgres:\/\/ URL \(got "mysql:\/\/x"\)/);
    }
  });

  it('parses lists, ports and flags', () => {
    const schema = z.object({ B: hostPortList, P: port, F: booleanFlag });
    expect(parseEnv(schema, { B: 'a:1, b:2', P: '8080', F: 'false' })).toEqual({
      B: ['a:1', 'b:2'],
      P: 8080,
      F: false,
    });
    expect(() => parseEnv(schema, { B: 'a:1', P: '70000', F: 'true' })).toThrow(/P:/);
    expect(() => parseEnv(schema, { B: 'a:1', P: '1', F: 'maybe' })).toThrow(/F:/);
  });
});

describe('withDatabase', () => {
  it('swaps only the database name', () => {
    expect(withDatabase('postgres://u:p@h:5433/postgres?sslmode=disable', 'hoso_case')).toBe(
      'postgres://u:p@h:5433/hoso_case?sslmode=disable',
    );
  });
});
