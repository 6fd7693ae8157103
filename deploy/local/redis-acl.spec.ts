import { createHash } from 'node:crypto';
import { ConfigError } from '@hoso/config';
import {
  devRedisPassword,
  REDIS_USERS,
  redisAclFile,
  redisAclRules,
  redisAclSettings,
  redisAclWarnings,
  redisPasswordVariable,
  redisUserUrl,
} from './redis-acl';

const passwords = Object.fromEntries(REDIS_USERS.map((u) => [redisPasswordVariable(u), `${u}-password-0123456789`]));
const lineOf = (file: string, user: string) => file.split('\n').find((l) => l.startsWith(`user ${user} `)) ?? '';

describe('the Redis users of an environment', () => {
  it('has one password variable per user', () => {
    expect(REDIS_USERS.map(redisPasswordVariable)).toEqual([
      'REDIS_PASSWORD_IDENTITY',
      'REDIS_PASSWORD_INTAKE',
      'REDIS_PASSWORD_PAYMENT',
      'REDIS_PASSWORD_CASE_TRACKING',
      'REDIS_PASSWORD_METRICS',
      'REDIS_PASSWORD_GATEWAY',
      'REDIS_PASSWORD_ADMIN',
    ]);
  });

  it('derives the key prefixes the way the services do', () => {
    // QUEUE_PREFIX unset: queues take the topic prefix (':' as '-'); the gateway's counters have no prefix.
    expect(redisAclSettings({ KAFKA_TOPIC_PREFIX: 'stage:a.' }).environment).toEqual({
      queuePrefix: 'stage-a.',
      timerNamespace: 'stage:a.',
      counterPrefix: 'gateway:rate-limit:',
      readoutPrefixes: ['stage-a.'],
    });
    expect(
      redisAclSettings({ KAFKA_TOPIC_PREFIX: 'x.', QUEUE_PREFIX: 'x', OPS_QUEUE_PREFIXES: 'x, y' }).environment,
    ).toEqual({
      queuePrefix: 'x',
      timerNamespace: 'x.',
      counterPrefix: 'x:gateway:rate-limit:',
      readoutPrefixes: ['x', 'y'],
    });
    // Set but empty: every queue of the server, as the metrics service reads it.
    expect(redisAclSettings({ OPS_QUEUE_PREFIXES: ' ' }).environment.readoutPrefixes).toEqual(['']);
    expect(redisAclSettings({}).environment).toEqual({
      queuePrefix: '',
      timerNamespace: '',
      counterPrefix: 'gateway:rate-limit:',
      readoutPrefixes: [''],
    });
  });

  it('gives each user only its own keys, and metrics a read-only view of every queue', () => {
    const rules = redisAclRules(
      redisAclSettings({ KAFKA_TOPIC_PREFIX: 'x.', QUEUE_PREFIX: 'x', OPS_QUEUE_PREFIXES: 'x,y' }).environment,
    );
    const keys = (user: keyof typeof rules) => rules[user].filter((r) => /^(%R)?~/.test(r));
    expect(keys('identity')).toEqual(['~hoso:timers:x.identity']);
    expect(keys('intake')).toEqual(['~hoso:timers:x.intake']);
    expect(keys('payment')).toEqual(['~bull:xpayment-*', '~hoso:timers:x.payment']);
    expect(keys('case-tracking')).toEqual(['~bull:xcase-*', '~hoso:timers:x.case-tracking']);
    expect(keys('metrics')).toEqual(['~bull:xmetrics-*', '~hoso:timers:x.metrics', '%R~bull:x*', '%R~bull:y*']);
    expect(keys('gateway')).toEqual(['~x:gateway:rate-limit:*']);
    expect(rules.metrics.at(-1)).toBe('(~bull:x* ~bull:y* +evalsha +eval)');
    expect(rules.admin).toEqual(['~*', '&*', '+@all']);
    for (const user of REDIS_USERS.filter((u) => u !== 'admin')) {
      expect(rules[user]).toContain('resetchannels');
      expect(rules[user]).not.toContain('&*');
      // The server-wide commands are taken away after the categories that include them.
      expect(rules[user].indexOf('-@dangerous')).toBeGreaterThan(rules[user].indexOf('+@write'));
      expect(rules[user].indexOf('+info')).toBeGreaterThan(rules[user].indexOf('-@dangerous'));
      expect(rules[user].includes('+scan')).toBe(user === 'metrics');
      expect(rules[user].includes('+evalsha')).toBe(!['identity', 'intake'].includes(user));
    }
  });

  it('writes the file with the default user off and password hashes only', () => {
    const file = redisAclFile(redisAclSettings({ ...passwords, KAFKA_TOPIC_PREFIX: 'x.' }));
    const lines = file.trimEnd().split('\n');
    expect(lines[0]).toBe('user default off resetpass resetkeys resetchannels -@all');
    expect(lines.slice(1).map((l) => l.split(' ')[1])).toEqual([...REDIS_USERS]);
    for (const user of REDIS_USERS) {
      const sha = createHash('sha256').update(`${user}-password-0123456789`).digest('hex');
      expect(lineOf(file, user)).toMatch(new RegExp(`^user ${user} on #${sha} `));
    }
    expect(file).not.toContain('password-0123456789');
    // Every line is `user <name> …`: Redis refuses a file with any other line, comments included.
    for (const l of lines) expect(l).toMatch(/^user [a-z-]+ \S/);
  });

  it('keeps the default user open in development mode only (the local stack has one password-less REDIS_URL)', () => {
    const dev = redisAclFile(redisAclSettings({ HOSO_DEV_MODE: '1' }));
    expect(dev.split('\n')[0]).toBe('user default on nopass ~* &* +@all');
    expect(lineOf(dev, 'payment')).toMatch(/^user payment on #/);
    const prod = redisAclFile(redisAclSettings({ ...passwords }));
    expect(prod.split('\n')[0]).toBe('user default off resetpass resetkeys resetchannels -@all');
  });

  it('has development passwords in development mode only', () => {
    const dev = redisAclSettings({ HOSO_DEV_MODE: '1', REDIS_PASSWORD_PAYMENT: 'a-payment-password-from-env' });
    expect(dev.problems).toEqual([]);
    expect(dev.passwords.payment).toBe('a-payment-password-from-env');
    expect(dev.passwords.gateway).toBe(devRedisPassword('gateway'));
    expect(lineOf(redisAclFile(dev), 'gateway')).toContain(
      `#${createHash('sha256').update('hoso-dev-redis-gateway').digest('hex')}`,
    );

    const prod = redisAclSettings({ REDIS_PASSWORD_PAYMENT: 'a-payment-password-from-env' });
    expect(prod.passwords).toEqual({ payment: 'a-payment-password-from-env' });
    expect(prod.problems).toEqual(
      REDIS_USERS.filter((u) => u !== 'payment').map(
        (u) => `${redisPasswordVariable(u)}: required (its development default applies only with HOSO_DEV_MODE=1)`,
      ),
    );
    expect(() => redisAclFile(prod)).toThrow(ConfigError);
    expect(() => redisAclFile(prod)).toThrow(/REDIS_PASSWORD_GATEWAY: required/);
    expect(() => redisAclFile(redisAclSettings({ ...passwords, HOSO_DEV_MODE: '1', NODE_ENV: 'production' }))).toThrow(
      /HOSO_DEV_MODE: development mode is refused with NODE_ENV=production/,
    );
  });

  it('refuses values that would widen a key pattern or break the file, naming the variable', () => {
    expect(() => redisAclSettings({ QUEUE_PREFIX: 'a*' })).toThrow(/QUEUE_PREFIX: only letters/);
    expect(() => redisAclSettings({ KAFKA_TOPIC_PREFIX: 'a b' })).toThrow(/KAFKA_TOPIC_PREFIX: only letters/);
    expect(() => redisAclSettings({ OPS_QUEUE_PREFIXES: 'x,"y' })).toThrow(/OPS_QUEUE_PREFIXES: only letters/);
    expect(() => redisAclSettings({ REDIS_PASSWORD_METRICS: 'short' })).toThrow(
      /REDIS_PASSWORD_METRICS: must be at least 16 characters/,
    );
  });

  it('puts a user and password into a REDIS_URL, percent-encoded', () => {
    expect(redisUserUrl('redis://127.0.0.1:6379', 'case-tracking', 'p@ss/w:rd')).toBe(
      'redis://case-tracking:p%40ss%2Fw%3Ard@127.0.0.1:6379',
    );
  });

  it('warns about a Redis without the users, and about nothing when it has them', () => {
    const dev = redisAclSettings({ HOSO_DEV_MODE: '1' });
    const all = (ok: boolean) => Object.fromEntries(REDIS_USERS.map((u) => [u, ok]));
    expect(redisAclWarnings({ defaultOpen: false, urlRefused: null, users: null, logins: all(true) }, dev)).toEqual([]);
    expect(
      redisAclWarnings({ defaultOpen: true, urlRefused: null, users: ['default', 'payment'], logins: {} }, dev),
    ).toEqual([
      "the default user needs no password: any client may read and delete every key, other services' queues included",
      'users missing: identity, intake, case-tracking, metrics, gateway, admin (start Redis with the file of npm run infra -- redis-acl)',
    ]);
    expect(
      redisAclWarnings(
        { defaultOpen: false, urlRefused: 'NOAUTH Authentication required.', users: null, logins: { payment: true } },
        redisAclSettings({ REDIS_PASSWORD_PAYMENT: 'a-payment-password-from-env' }),
      ),
    ).toEqual([
      'users not checked, their passwords are unset: REDIS_PASSWORD_IDENTITY, REDIS_PASSWORD_INTAKE, ' +
        'REDIS_PASSWORD_CASE_TRACKING, REDIS_PASSWORD_METRICS, REDIS_PASSWORD_GATEWAY, REDIS_PASSWORD_ADMIN',
      'REDIS_URL is refused (NOAUTH Authentication required.): give it a user and its password, ' +
        'redis://<user>:<password>@host:port',
    ]);
  });
});
