import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { allTopicNames } from '@hoso/contracts';
import { createRedis } from '@hoso/nest-kit';
import { testEnv } from '@hoso/testing';
import { redisJobWarnings } from './redis-settings';

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

  it('status warns exactly when the Redis at REDIS_URL could evict or lose jobs (settings read, never changed)', async () => {
    const redis = createRedis(testEnv.REDIS_URL, 'infra-test');
    const expected = redisJobWarnings(await redis.info()).map((w) => `! redis       warning  ${w}`);
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
