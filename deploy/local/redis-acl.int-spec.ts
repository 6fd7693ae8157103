import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { createRedis, TimerKeeper } from '@hoso/nest-kit';
import { freePort } from '@hoso/platform';
import { eventually } from '@hoso/testing';
import {
  REDIS_SERVICE_USERS,
  REDIS_USERS,
  redisAclFile,
  redisAclSettings,
  redisAclWarnings,
  redisPasswordVariable,
  redisUserUrl,
  timerMarkerKey,
  type RedisUser,
} from './redis-acl';
import { inspectRedis, redisServerArgs } from './redis-settings';

/**
 * The users of redis-acl.ts on a Redis of this test's own (the shared one has no users and must stay as it is),
 * started with the arguments `infra up` uses: each service's user does its real BullMQ, TimerKeeper and rate-limit
 * work, and is refused everything else.
 */
describe('Redis users (redis-acl.ts) on a real Redis', () => {
  const run = randomBytes(4).toString('hex');
  // As the platform supervisor sets them for an isolated run; outside development mode, every password given.
  const env: Record<string, string> = {
    HOSO_DEV_MODE: '0',
    KAFKA_TOPIC_PREFIX: `acl${run}.`,
    QUEUE_PREFIX: `acl${run}`,
    ...Object.fromEntries(REDIS_USERS.map((u) => [redisPasswordVariable(u), randomBytes(18).toString('base64url')])),
  };
  const settings = redisAclSettings(env);
  const password = (user: RedisUser) => env[redisPasswordVariable(user)] as string;
  const qp = `acl${run}`;
  /** The services' queue names (the jobs folders of payment and case-tracking, metrics' snapshots folder). */
  const QUEUES: Partial<Record<RedisUser, string[]>> = {
    payment: [`${qp}payment-expiry`, `${qp}payment-reconcile`, `${qp}payment-refunds`],
    'case-tracking': [`${qp}case-sla`, `${qp}case-notifications`],
    metrics: [`${qp}metrics-snapshots`],
  };

  let dir: string;
  let pid: number;
  let base: string;
  let admin: Redis;
  const clients: Redis[] = [];
  const userUrl = (user: RedisUser) => redisUserUrl(base, user, password(user));
  /** A client as the service builds it (libs/nest-kit createRedis), closed after the test. */
  const client = (user: RedisUser, name: string, failFast = false) => {
    const r = createRedis(userUrl(user), name, { failFast });
    clients.push(r);
    return r;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hoso-redis-acl-'));
    const aclfile = join(dir, 'users.acl');
    writeFileSync(aclfile, redisAclFile(settings), { mode: 0o600 });
    const port = await freePort();
    base = `redis://127.0.0.1:${port}`;
    const pidfile = join(dir, 'redis.pid');
    const started = spawnSync(
      'redis-server',
      redisServerArgs({ port, dir, logfile: join(dir, 'redis.log'), pidfile, aclfile }),
      { encoding: 'utf8' },
    );
    expect(started.status).toBe(0);
    await eventually('the own Redis answers', async () => (await inspectRedis(base, {})) ?? undefined, 15_000);
    pid = Number(readFileSync(pidfile, 'utf8').trim());
    admin = client('admin', 'acl-test-admin');
  });

  // Every refusal is logged by Redis, also those a client swallows (ioredis' ready check, TimerKeeper's marker, a
  // BullMQ CLIENT SETNAME): the work that must be allowed is checked against an empty log.
  beforeEach(async () => {
    await admin.call('ACL', 'LOG', 'RESET');
  });
  const expectNothingRefused = async () => {
    expect(await admin.call('ACL', 'LOG')).toEqual([]);
  };

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    if (pid) {
      process.kill(pid, 'SIGTERM');
      await eventually(
        'the own Redis stopped',
        () => {
          try {
            process.kill(pid, 0);
            return Promise.resolve(false);
          } catch {
            return Promise.resolve(true);
          }
        },
        15_000,
      );
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('has the default user off: nothing runs without a password, and no password opens it', async () => {
    const anonymous = new Redis(base, {
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    anonymous.on('error', () => undefined);
    clients.push(anonymous);
    await anonymous.connect().catch(() => undefined);
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    await expect(anonymous.set('anything', '1')).rejects.toThrow(/NOAUTH/);
    await expect(anonymous.auth('default', 'anything')).rejects.toThrow(/WRONGPASS/);
    await expect(anonymous.auth('payment', 'not-its-password')).rejects.toThrow(/WRONGPASS/);
    expect(await admin.call('ACL', 'LIST')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^user default off (.* )?-@all$/)]),
    );
    expect(await admin.exists('anything')).toBe(0);
  });

  it('is what `up` and `status` check: every user accepted, REDIS_URL without a user refused', async () => {
    const found = await inspectRedis(base, settings.passwords);
    expect(found).toMatchObject({
      defaultOpen: false,
      urlRefused: expect.stringMatching(/^NOAUTH/) as unknown,
      users: null,
    });
    expect(found?.logins).toEqual(Object.fromEntries(REDIS_USERS.map((u) => [u, true])));
    // Read as a service user: INFO is one of the commands every user has.
    expect(found?.info).toMatch(/redis_version:/);
    expect(redisAclWarnings(found!, settings)).toEqual([
      expect.stringMatching(/^REDIS_URL is refused \(NOAUTH/) as unknown,
    ]);
    const asPayment = await inspectRedis(userUrl('payment'), { ...settings.passwords, gateway: 'another-password' });
    expect(asPayment).toMatchObject({ urlRefused: null, logins: { payment: true, gateway: false } });
    expect(redisAclWarnings(asPayment!, settings)).toEqual([
      'users refusing their REDIS_PASSWORD_<USER> (or missing): gateway',
    ]);
    // Listing users is the admin's: as admin, the check also knows which are missing, without trying them.
    const asAdmin = await inspectRedis(userUrl('admin'), settings.passwords);
    expect([...(asAdmin?.users ?? [])].sort()).toEqual([...REDIS_USERS, 'default'].sort());
    expect(redisAclWarnings(asAdmin!, settings)).toEqual([]);
  });

  it.each(REDIS_SERVICE_USERS)('connects %s as its own user through the URL (ioredis, createRedis)', async (user) => {
    const name = `${user}-${run}`;
    expect(await client(user, name).ping()).toBe('PONG');
    const connections = String(await admin.call('CLIENT', 'LIST')).split('\n');
    expect(connections.find((c) => c.includes(` name=${name} `))).toContain(` user=${user} `);
    await expectNothingRefused();
  });

  /**
   * Everything the services do with their queues (payment-queues.ts, payment-workers.ts, case-queues.ts,
   * case-workers.ts, snapshot-jobs.ts): delayed adds with fixed ids (again: a no-op), bulk adds, a removal, retries
   * with backoff, an unrecoverable failure, a repeatable schedule, and a worker on its own blocking connection.
   */
  async function queueWork(user: RedisUser, queueName: string): Promise<void> {
    const queue = new Queue(queueName, { connection: client(user, `${user}-queues`, true) });
    const errors: Error[] = [];
    queue.on('error', (e) => errors.push(e));
    const done: string[] = [];
    const attempts = new Map<string, number>();
    const worker = new Worker(
      queueName,
      (job: Job<{ n: string }>) => {
        const n = (attempts.get(job.data.n) ?? 0) + 1;
        attempts.set(job.data.n, n);
        if (job.data.n === 'retried' && n === 1) throw new Error('the first attempt fails');
        if (job.data.n === 'unrecoverable') throw new UnrecoverableError('nothing to do');
        done.push(job.data.n);
        return Promise.resolve();
      },
      { connection: client(user, `${user}-worker`), concurrency: 5 },
    );
    worker.on('error', (e) => errors.push(e));
    try {
      const delayed = {
        jobId: 'delayed-1',
        delay: 300,
        attempts: 5,
        backoff: { type: 'exponential', delay: 50 },
        removeOnComplete: { age: 3600 },
        removeOnFail: { age: 86_400 },
      };
      await queue.add('job', { n: 'delayed' }, delayed);
      await queue.add('job', { n: 'delayed' }, delayed);
      await queue.addBulk([
        { name: 'job', data: { n: 'bulk' }, opts: { jobId: 'bulk-1', removeOnComplete: true } },
        {
          name: 'job',
          data: { n: 'retried' },
          opts: { jobId: 'retried-1', attempts: 3, backoff: { type: 'fixed', delay: 50 }, removeOnFail: true },
        },
        { name: 'job', data: { n: 'unrecoverable' }, opts: { jobId: 'unrecoverable-1', attempts: 3 } },
      ]);
      await queue.add('job', { n: 'cancelled' }, { jobId: 'cancelled-1', delay: 60_000 });
      expect(await queue.remove('cancelled-1')).toBe(1);
      await queue.upsertJobScheduler(
        'every',
        { every: 200 },
        { name: 'job', data: { n: 'scheduled' }, opts: { removeOnComplete: 100, removeOnFail: 100 } },
      );
      await eventually(
        `${user} runs every job of ${queueName}`,
        async () =>
          ['delayed', 'bulk', 'retried', 'scheduled'].every((n) => done.includes(n)) &&
          (await queue.getJobState('unrecoverable-1')) === 'failed',
        15_000,
      );
      expect(done.filter((n) => n === 'delayed')).toEqual(['delayed']);
      expect(done).not.toContain('cancelled');
      expect(attempts.get('retried')).toBe(2);
      expect(attempts.get('unrecoverable')).toBe(1);
      expect(await queue.getJobCounts('failed')).toEqual({ failed: 1 });
      expect(errors).toEqual([]);
      await expectNothingRefused();
    } finally {
      await queue.removeJobScheduler('every');
      await worker.close();
      await queue.close();
    }
  }

  it.each(Object.entries(QUEUES).flatMap(([user, names]) => names.map((name) => [user as RedisUser, name] as const)))(
    'lets %s run its BullMQ queue %s',
    queueWork,
    60_000,
  );

  it.each(REDIS_SERVICE_USERS.filter((u) => u !== 'gateway'))(
    "lets %s keep its TimerKeeper's marker (set at start, a loss noticed, set again)",
    async (user) => {
      const logs: string[] = [];
      const logger = pino(
        { level: 'debug' },
        new Writable({
          write(chunk: Buffer, _enc, cb) {
            logs.push(chunk.toString());
            cb();
          },
        }),
      );
      const keeper = new TimerKeeper(client(user, user), logger, {
        service: user,
        namespace: settings.environment.timerNamespace,
        checkEveryMs: 60_000,
      });
      let ensured = 0;
      keeper.register({ name: 'acl-test', ensure: () => Promise.resolve(++ensured) });
      const marker = timerMarkerKey(settings.environment, user);
      await keeper.onApplicationBootstrap();
      try {
        await eventually(`${user}'s marker set`, async () => (await admin.exists(marker)) === 1, 10_000);
        await admin.del(marker);
        await keeper.check();
        expect(await admin.exists(marker)).toBe(1);
        expect(ensured).toBe(2);
        // Neither the settings check (INFO) nor the loss check (EXISTS, INFO server) was refused.
        expect(logs.filter((l) => /could not read|check failed|rebuild failed/.test(l))).toEqual([]);
        await expectNothingRefused();
      } finally {
        await keeper.onApplicationShutdown();
      }
    },
  );

  it("lets the gateway count rate limits under its prefix (the gateway's own connection options)", async () => {
    const redis = new Redis(userUrl('gateway'), {
      connectionName: 'gateway',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
    });
    clients.push(redis);
    await eventually('the gateway connection is ready', () => Promise.resolve(redis.status === 'ready'), 10_000);
    // apps/gateway/src/config.ts: `<QUEUE_PREFIX>:gateway:rate-limit`, then `:<group>` (rate-limits.ts).
    const limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${env['QUEUE_PREFIX']}:gateway:rate-limit:sign-in`,
      points: 2,
      duration: 60,
      rejectIfRedisNotReady: true,
    });
    await limiter.consume('ip:192.0.2.1');
    await limiter.consume('ip:192.0.2.1');
    await expect(limiter.consume('ip:192.0.2.1')).rejects.toBeInstanceOf(RateLimiterRes);
    expect(await admin.get(`${qp}:gateway:rate-limit:sign-in:ip:192.0.2.1`)).toBe('3');
    // The readiness probe (readiness.ts).
    expect(await redis.ping()).toBe('PONG');
    await expectNothingRefused();
  });

  it('gives metrics the operator readout of every queue of the environment, read-only', async () => {
    const expiry = new Queue(`${qp}payment-expiry`, { connection: client('payment', 'payment-queues', true) });
    await expiry.add('expire', { paymentId: 'readout' }, { jobId: 'expire-readout', delay: 60_000 });
    const sla = new Queue(`${qp}case-sla`, { connection: client('case-tracking', 'case-queues', true) });
    await sla.add('overdue', { caseId: 'readout' }, { jobId: 'overdue-readout', delay: 60_000 });
    await Promise.all([expiry.close(), sla.close()]);

    // apps/metrics/src/operations/queue-readout.ts on the service's shared client: SCAN for the queues' meta keys,
    // then each queue's counts through a Queue that writes nothing.
    const redis = client('metrics', 'metrics');
    const names: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `bull:${qp}*:meta`, 'COUNT', 1000);
      cursor = next;
      names.push(...keys.map((k) => k.slice('bull:'.length, -':meta'.length)));
    } while (cursor !== '0');
    expect(names).toEqual(expect.arrayContaining([`${qp}payment-expiry`, `${qp}case-sla`]));
    const queues = [`${qp}payment-expiry`, `${qp}case-sla`].map((name) => {
      const readout = new Queue(name, { connection: redis, skipMetasUpdate: true });
      readout.on('error', () => undefined);
      return readout;
    });
    for (const readout of queues) {
      const counts = await readout.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'paused');
      const truth = new Queue(readout.name, { connection: admin, skipMetasUpdate: true });
      expect(counts).toEqual(await truth.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'paused'));
      expect(counts['delayed']).toBeGreaterThanOrEqual(1);
      await truth.close();
    }
    await expectNothingRefused();
    // Writing is refused, by a plain command and by a script alike.
    for (const readout of queues) {
      const meta = `bull:${readout.name}:meta`;
      await expect(readout.add('x', {}, { jobId: 'from-metrics' })).rejects.toThrow(/NOPERM|can't access/);
      await expect(redis.del(meta)).rejects.toThrow(/NOPERM/);
      await expect(redis.eval("return redis.call('DEL', KEYS[1])", 1, meta)).rejects.toThrow(/can't access/);
      expect(await admin.exists(meta)).toBe(1);
      expect(await admin.exists(`bull:${readout.name}:from-metrics`)).toBe(0);
      await readout.close();
    }
  });

  /** One key of each other user's, and whether `user` may read it (metrics reads every queue of the environment). */
  const othersKeys = (user: RedisUser) =>
    REDIS_SERVICE_USERS.filter((other) => other !== user).flatMap((other) => [
      ...(QUEUES[other] ?? []).map((q) => ({ key: `bull:${q}:meta`, readable: user === 'metrics' })),
      ...(other === 'gateway'
        ? [{ key: `${qp}:gateway:rate-limit:read:ip:192.0.2.1`, readable: false }]
        : [{ key: timerMarkerKey(settings.environment, other), readable: false }]),
    ]);

  it.each(REDIS_SERVICE_USERS)("refuses %s every other user's keys (NOPERM)", async (user) => {
    const redis = client(user, `${user}-intruder`);
    for (const { key, readable } of othersKeys(user)) {
      await expect(redis.set(key, 'x')).rejects.toThrow(/NOPERM/);
      await expect(redis.del(key)).rejects.toThrow(/NOPERM/);
      if (readable) await redis.type(key);
      else await expect(redis.type(key)).rejects.toThrow(/NOPERM/);
    }
    // A BullMQ add to another service's queue (metrics' scripts may start there, and are refused inside).
    const other = user === 'payment' ? `${qp}case-sla` : `${qp}payment-expiry`;
    const queue = new Queue(other, { connection: redis, skipMetasUpdate: true });
    queue.on('error', () => undefined);
    await expect(queue.add('x', {}, { jobId: `from-${user}` })).rejects.toThrow(/NOPERM|can't access/);
    await queue.close();
    expect(await admin.exists(`bull:${other}:from-${user}`)).toBe(0);
  });

  it.each(REDIS_SERVICE_USERS)('refuses %s the server-wide commands', async (user) => {
    const redis = client(user, `${user}-admin-attempt`);
    const refused: [string, ...(string | number)[]][] = [
      ['FLUSHALL'],
      ['FLUSHDB'],
      ['KEYS', '*'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'],
      ['CLIENT', 'LIST'],
      ['CLIENT', 'KILL', 'TYPE', 'normal'],
      ['SCRIPT', 'FLUSH'],
      ['FUNCTION', 'FLUSH'],
      ['ACL', 'LIST'],
      ['SHUTDOWN', 'NOSAVE'],
      ['MONITOR'],
      ['PUBLISH', 'anything', 'x'],
      ['RANDOMKEY'],
      // Key names of every user; only metrics lists queues (its readout).
      ...(user === 'metrics' ? [] : [['SCAN', '0'] as [string, string]]),
    ];
    for (const [command, ...args] of refused) {
      await expect(redis.call(command, ...args)).rejects.toThrow(/NOPERM/);
    }
    expect(await admin.call('CONFIG', 'GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
  });
});
