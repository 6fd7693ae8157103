/**
 * TRUST_PROXY on a real gateway with real Redis: which address the rate limit counts an anonymous client under when
 * the client writes its own X-Forwarded-For entries. Forged entries must never buy a fresh budget.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { testEnv } from '@hoso/testing';
import { startGateway, type GatewayTestApp } from './testing/gateway-test-app';

/** A public read route (rate-limit group `read`), counted by address for a caller without a token. */
const PUBLIC_READ = '/api/intake/areas';
const LIMIT = 3;

describe('gateway: TRUST_PROXY decides whose budget a request draws on (real server, real Redis)', () => {
  let upstream: Server;
  let upstreamUrl: string;
  let redis: Redis;
  const started: GatewayTestApp[] = [];
  const prefixes: string[] = [];

  /** A gateway with its own counters; every service is the stub. */
  const gateway = async (trustProxy: string | undefined) => {
    const prefix = `tp${randomBytes(4).toString('hex')}`;
    prefixes.push(prefix);
    const gw = await startGateway({
      REDIS_URL: testEnv.REDIS_URL,
      AUTH_JWKS_URL: `${upstreamUrl}/.well-known/jwks.json`,
      IDENTITY_URL: upstreamUrl,
      INTAKE_URL: upstreamUrl,
      PAYMENT_URL: upstreamUrl,
      CASE_TRACKING_URL: upstreamUrl,
      METRICS_URL: upstreamUrl,
      QUEUE_PREFIX: prefix,
      RATE_LIMIT_READ: `${LIMIT}/60`,
      ...(trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy }),
    });
    started.push(gw);
    return { gw, prefix };
  };

  const get = async (gw: GatewayTestApp, forwardedFor?: string) =>
    (await fetch(`${gw.url}${PUBLIC_READ}`, { headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} }))
      .status;

  /** Warnings of counting in memory: the budgets above must come from Redis, as every replica's do. */
  const degraded = (gw: GatewayTestApp) => gw.warnings.filter((w) => /Redis did not answer/.test(String(w['msg'])));

  /** The clients the gateway's read budget has counters for, e.g. `ip:203.0.113.7`. */
  const countedClients = async (prefix: string): Promise<string[]> => {
    const head = `${prefix}:gateway:rate-limit:read:`;
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    // Any key outside the read budget would mean the limiter counted somewhere unexpected: keep it visible.
    return keys.map((k) => (k.startsWith(head) ? k.slice(head.length) : k)).sort();
  };

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      if (req.url === '/.well-known/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
      } else res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    redis = new Redis(testEnv.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });

  afterAll(async () => {
    await Promise.all(started.map((g) => g.close()));
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
    }
    redis.disconnect();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  });

  it('TRUST_PROXY=1: counts the address one hop in, whatever a client writes to the left of it', async () => {
    const { gw, prefix } = await gateway('1');
    // The test plays the one proxy: it appends the client's real address (203.0.113.7) after what the client sent.
    const statuses: number[] = [];
    for (let i = 1; i <= LIMIT + 2; i++) {
      const forged = i % 2 ? `198.51.100.${i}` : `198.51.100.${i}, 192.0.2.${i}`;
      statuses.push(await get(gw, `${forged}, 203.0.113.7`));
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    // Another client behind the same proxy keeps its own budget: the socket peer (the proxy) is not what counts.
    expect(await get(gw, '203.0.113.7, 203.0.113.8')).toBe(200);
    expect(await countedClients(prefix)).toEqual(['ip:203.0.113.7', 'ip:203.0.113.8']);
    expect(degraded(gw)).toEqual([]);
  });

  it.each([
    ['unset', undefined],
    ['0', '0'],
  ])('TRUST_PROXY %s: ignores X-Forwarded-For, every request counts against the TCP peer', async (_, trustProxy) => {
    const { gw, prefix } = await gateway(trustProxy);
    expect(gw.config.TRUST_PROXY).toBe(0);
    const statuses = [
      await get(gw),
      await get(gw, '198.51.100.1'),
      await get(gw, '198.51.100.2, 203.0.113.9'),
      await get(gw, '198.51.100.3'),
      await get(gw),
    ];
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(await countedClients(prefix)).toEqual(['ip:127.0.0.1']);
    expect(degraded(gw)).toEqual([]);
  });
});
