import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { allTopicNames } from '@hoso/contracts';
import { createRedis } from '@hoso/nest-kit';
import { freePort } from '@hoso/platform';
import { testEnv } from '@hoso/testing';
import {
  devRedisPassword,
  REDIS_USERS,
  redisAclSettings,
  redisAclWarnings,
  redisPasswordVariable,
  redisUserUrl,
} from './redis-acl';
import { inspectRedis, redisJobWarnings } from './redis-settings';

const ROOT = resolve(__dirname, '../..');

function infra(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(
    process.execPath,
    [resolve(ROOT, 'node_modules/tsx/dist/cli.mjs'), resolve(__dirname, 'infra.ts'), ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 180_000,
    },
  );
  return { code: res.status, out: `${res.stdout}${res.stderr}` };
}

describe('npm run infra', () => {
  it('up is idempotent: a second run starts nothing and creates no topic', () => {
    const first = infra(['up']);
    expect(first.code).toBe(0);
    const second = infra(['up']);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/✔ kafka\s+up\s+127\.0\.0\.1:\d+/);
    expect(second.out).not.toMatch(/✔ \w+\s+started/);
    // Every contract topic and its DLQ.
    expect(second.out).toMatch(
      new RegExp(`✔ topics\\s+ready\\s+${allTopicNames().length} topics \\(0 created, 0 grown\\)`),
    );
    expect(second.out).toMatch(
      /✔ postgres\s+up .*hoso_intake, hoso_identity, hoso_payment, hoso_paygw, hoso_case, hoso_metrics$/m,
    );
  });

  it('status shows each component up and exits 0', () => {
    const status = infra(['status']);
    expect(status.code).toBe(0);
    for (const c of ['kafka', 'postgres', 'redis']) expect(status.out).toMatch(new RegExp(`✔ ${c}\\s+up`));
  });

  it('status warns exactly when the Redis at REDIS_URL could evict or lose jobs, or lacks the users (never changed)', async () => {
    const redis = createRedis(testEnv.REDIS_URL, 'infra-test');
    const acl = redisAclSettings();
    const access = await inspectRedis(testEnv.REDIS_URL, acl.passwords);
    const expected = [...redisJobWarnings(await redis.info()), ...redisAclWarnings(access!, acl)].map(
      (w) => `! redis       warning  ${w}`,
    );
    await redis.quit();
    const status = infra(['status']);
    expect(status.code).toBe(0);
    expect(status.out.split('\n').filter((l) => l.includes('warning'))).toEqual(expected);
  });

  it('status exits non-zero and says which component is down', () => {
    const status = infra(['status'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(status.code).toBe(1);
    expect(status.out).toMatch(/✘ redis\s+down\s+redis:\/\/127\.0\.0\.1:1/);
    expect(status.out).toMatch(/✔ kafka\s+up/);
  });

  describe('a Redis of its own', () => {
    let dataDir: string;
    let url: string;
    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'hoso-infra-redis-'));
      url = `redis://127.0.0.1:${await freePort()}`;
    });
    afterAll(() => {
      // Should a check fail before `down`, the Redis must not outlive the test.
      try {
        const state = JSON.parse(readFileSync(join(dataDir, 'infra-state.json'), 'utf8')) as {
          redis?: { pid: number };
        };
        if (state.redis) process.kill(state.redis.pid, 'SIGTERM');
      } catch {
        // never started, or stopped by `down`
      }
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("is not started outside development mode without the users' passwords, which the error names", () => {
      const up = infra(['up'], { REDIS_URL: url, HOSO_DATA_DIR: dataDir, HOSO_DEV_MODE: '0' });
      expect(up.code).toBe(1);
      expect(up.out).toMatch(
        /REDIS_PASSWORD_IDENTITY: required \(its development default applies only with HOSO_DEV_MODE=1\)/,
      );
      expect(up.out).toMatch(/REDIS_PASSWORD_ADMIN: required/);
      expect(up.out).not.toMatch(/redis\s+started/);
    });

    it('is started with the users and the default user off; down stops it', async () => {
      const env = {
        REDIS_URL: url,
        HOSO_DATA_DIR: dataDir,
        HOSO_DEV_MODE: '0',
        ...Object.fromEntries(REDIS_USERS.map((u) => [redisPasswordVariable(u), devRedisPassword(u)])),
      };
      const up = infra(['up'], env);
      expect(up.code).toBe(0);
      expect(up.out).toMatch(new RegExp(`✔ redis\\s+started\\s+${url}/? Redis [\\d.]+ \\(pid \\d+\\); users from `));
      // Its settings keep jobs; the only finding is the URL without a user.
      expect(up.out.split('\n').filter((l) => l.includes('warning'))).toEqual([
        '! redis       warning  REDIS_URL is refused (NOAUTH Authentication required.): give it a user and its password, redis://<user>:<password>@host:port',
      ]);
      const file = join(dataDir, 'redis', 'users.acl');
      expect(statSync(file).mode & 0o777).toBe(0o600);

      const payment = new Redis(redisUserUrl(url, 'payment', devRedisPassword('payment')), { lazyConnect: true });
      await payment.connect();
      expect(await payment.set('bull:payment-expiry:id', '1')).toBe('OK');
      await expect(payment.set('bull:case-sla:id', '1')).rejects.toThrow(/NOPERM/);
      payment.disconnect();

      const status = infra(['status'], { ...env, REDIS_URL: redisUserUrl(url, 'admin', devRedisPassword('admin')) });
      expect(status.code).toBe(0);
      expect(status.out).toMatch(/✔ redis\s+up\s+redis:\/\/admin:\*\*\*@127\.0\.0\.1:\d+/);
      expect(status.out).not.toMatch(/warning/);

      const down = infra(['down'], env);
      expect(down.code).toBe(0);
      expect(down.out).toMatch(/■ redis\s+stopped\s+pid \d+/);
      expect(await inspectRedis(url, {})).toBeNull();
    }, 300_000);

    it('redis-acl writes the same users to a file a container can read, and names what is missing', () => {
      const file = join(dataDir, 'compose.acl');
      const written = infra(['redis-acl', file], {
        HOSO_DEV_MODE: '0',
        ...Object.fromEntries(REDIS_USERS.map((u) => [redisPasswordVariable(u), devRedisPassword(u)])),
      });
      expect(written.code).toBe(0);
      expect(written.out).toContain(
        `✔ redis-acl   ready    ${file}: users ${REDIS_USERS.join(', ')}; the default user is off`,
      );
      expect(statSync(file).mode & 0o777).toBe(0o644);
      expect(readFileSync(file, 'utf8')).toMatch(/^user default off /);
      const refused = infra(['redis-acl', join(dataDir, 'not.acl')], { HOSO_DEV_MODE: '0' });
      expect(refused.code).toBe(1);
      expect(refused.out).toMatch(/REDIS_PASSWORD_GATEWAY: required/);
      // Development mode: the local stack's password-less REDIS_URL keeps working beside the users.
      const dev = infra(['redis-acl', join(dataDir, 'dev.acl')], { HOSO_DEV_MODE: '1' });
      expect(dev.code).toBe(0);
      expect(dev.out).toContain('the default user is open (development mode)');
      expect(readFileSync(join(dataDir, 'dev.acl'), 'utf8')).toMatch(/^user default on nopass /);
    }, 300_000);
  });

  it('a bad command or bad env prints a clear error and exits non-zero', () => {
    const bad = infra(['upp']);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/unknown command "upp"/);
    expect(bad.out).toMatch(/usage: npm run infra/);
    const badEnv = infra(['status'], { KAFKA_BROKERS: 'no-port' });
    expect(badEnv.code).toBe(1);
    expect(badEnv.out).toMatch(/KAFKA_BROKERS: expected host:port/);
  });
});
