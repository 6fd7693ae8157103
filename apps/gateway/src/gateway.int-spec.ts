/**
 * The gateway in front of the real identity and intake services (their own processes, as `nx serve` starts them)
 * on real Kafka, PostgreSQL and Redis: public reads, a citizen signing in and calling through it, refusals (401,
 * 403, 404, 413, 429), limits shared by two gateway instances, the merged API docs, and a service that is down.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCitizens, type CitizenRecord } from '@hoso/population';
import { eventually } from '@hoso/testing';
import { createTestEnvironment, type TestEnvironment } from '@hoso/nest-kit/testing';
// The end-to-end suite's process launcher: the services run exactly as `nx serve` runs them.
// eslint-disable-next-line @nx/enforce-module-boundaries -- a test helper, not a dependency of the app
import { freePort, startService, type ServiceProcess } from '../../../test/e2e/support/processes';
import { matchRoute } from './domain/route-table';
import { call, startGateway, type GatewayTestApp } from './testing/gateway-test-app';

const REGISTRY = 300;

interface Problem {
  statusCode: number;
  error: string;
  message: string;
  correlationId: string;
}

async function problem(res: Response, status: number): Promise<Problem> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${res.url}: expected ${status}, got ${res.status}: ${text}`);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as Problem;
  expect(body).toMatchObject({ statusCode: status, correlationId: res.headers.get('x-correlation-id') });
  return body;
}

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${res.url}: expected ${status}, got ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

const postJson = (url: string, token: string | null, body: unknown, headers: Record<string, string> = {}) =>
  call(url, token, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('gateway in front of identity and intake', () => {
  let env: TestEnvironment;
  let identity: ServiceProcess;
  let intake: ServiceProcess;
  let gw: GatewayTestApp;
  let baseEnv: Record<string, string>;
  const otpDir = mkdtempSync(join(tmpdir(), 'hoso-gw-otp-'));
  const citizens = [...generateCitizens({ count: REGISTRY, seed: 20251 })].filter(
    (c) => c.vneidLevel === 2 && !c.deceased && c.birthDate < '2000-01-01',
  );
  let citizenToken: string;

  beforeAll(async () => {
    env = await createTestEnvironment(['identity', 'intake']);
    const [pIdentity, pIntake, pDown] = await Promise.all([freePort(), freePort(), freePort()]);
    const common = {
      KAFKA_BROKERS: env.brokers.join(','),
      REDIS_URL: env.redisUrl,
      KAFKA_TOPIC_PREFIX: env.topicPrefix,
      AUTH_JWKS_URL: `http://127.0.0.1:${pIdentity}/.well-known/jwks.json`,
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      // Identity's development inbox exists, so the gateway's own hiding of it is what the tests see.
      HOSO_DEV_MODE: '1',
    };
    [identity, intake] = await Promise.all([
      startService('identity', pIdentity, {
        ...common,
        ...env.kafkaEnv('identity'),
        IDENTITY_DATABASE_URL: env.databases['identity'] as string,
        REGISTRY_SEED_COUNT: String(REGISTRY),
        OTP_DEV_DIR: otpDir,
      }),
      startService('intake', pIntake, {
        ...common,
        ...env.kafkaEnv('intake'),
        INTAKE_DATABASE_URL: env.databases['intake'] as string,
        ATTACHMENT_DIR: mkdtempSync(join(tmpdir(), 'hoso-gw-att-')),
      }),
    ]);
    const down = `http://127.0.0.1:${pDown}`;
    baseEnv = {
      REDIS_URL: env.redisUrl,
      AUTH_JWKS_URL: common.AUTH_JWKS_URL,
      IDENTITY_URL: identity.url,
      INTAKE_URL: intake.url,
      // Nothing listens on these: services that are down.
      PAYMENT_URL: down,
      CASE_TRACKING_URL: down,
      METRICS_URL: down,
      PORTAL_DIR: join(otpDir, 'no-portal'),
    };
    gw = await startGateway({ ...baseEnv, QUEUE_PREFIX: `gw${randomBytes(4).toString('hex')}` });
    citizenToken = await citizenSignIn(citizens[0] as CitizenRecord);
  }, 240_000);

  afterAll(async () => {
    await (gw as GatewayTestApp | undefined)?.close();
    // Undefined when beforeAll failed half-way.
    const started = [identity as ServiceProcess | undefined, intake as ServiceProcess | undefined];
    await Promise.all(started.flatMap((s) => (s ? [s.stop()] : [])));
    await (env as TestEnvironment | undefined)?.close();
  });

  /** The one-time-code sign-in, entirely through the gateway's public sign-in routes. */
  async function citizenSignIn(citizen: CitizenRecord): Promise<string> {
    const challenge = await json<{ challengeId: string }>(
      await postJson(`${gw.url}/api/identity/auth/citizen/challenges`, null, { personalId: citizen.personalId }),
      202,
    );
    const code = await eventually('the one-time code', () => {
      const o = JSON.parse(readFileSync(join(otpDir, `${citizen.personalId}.json`), 'utf8')) as {
        challengeId: string;
        code: string;
      };
      return Promise.resolve(o.challengeId === challenge.challengeId ? o.code : undefined);
    });
    const tokens = await json<{ accessToken: string }>(
      await postJson(`${gw.url}/api/identity/auth/citizen/tokens`, null, { challengeId: challenge.challengeId, code }),
    );
    return tokens.accessToken;
  }

  it('proxies a public catalog read without a token, query included', async () => {
    const res = await fetch(`${gw.url}/api/intake/procedures?agencyLevel=province&pageSize=5`);
    const body = await json<{ items: { code: string; agencyLevel: string }[] }>(res);
    expect(body.items.length).toBeGreaterThan(0);
    expect(body.items.length).toBeLessThanOrEqual(5);
    expect(body.items.every((p) => p.agencyLevel === 'province')).toBe(true);
    expect(res.headers.get('ratelimit-limit')).toBe('300');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it("forwards a signed-in citizen's call with the token (the service verifies it again)", async () => {
    const me = await json<{ personalId: string }>(await call(`${gw.url}/api/identity/citizens/me`, citizenToken));
    expect(me.personalId).toBe((citizens[0] as CitizenRecord).personalId);
    const dossiers = await json<{ items: unknown[] }>(await call(`${gw.url}/api/intake/dossiers`, citizenToken));
    expect(dossiers.items).toEqual([]);
  });

  it('passes a multipart upload through to the service', async () => {
    const form = new FormData();
    form.append(
      'file',
      new Blob([Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n')], { type: 'application/pdf' }),
      'to-khai.pdf',
    );
    const res = await call(`${gw.url}/api/intake/attachments`, citizenToken, { method: 'POST', body: form });
    expect(await json<{ contentType: string; fileName: string }>(res, 201)).toMatchObject({
      contentType: 'application/pdf',
      fileName: 'to-khai.pdf',
    });
  });

  it('propagates the correlation id to the service and back', async () => {
    // The service echoes the id it received, and the gateway passes the service's headers on: a round trip that
    // only comes back equal if the service got it.
    const res = await fetch(`${gw.url}/api/intake/areas`, { headers: { 'x-correlation-id': 'gw-it-corr-7' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe('gw-it-corr-7');
    const generated = await call(`${gw.url}/api/identity/citizens/me`, citizenToken);
    expect(generated.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses calls without a token, or with a token identity did not issue, with 401 before the service', async () => {
    const none = await problem(await fetch(`${gw.url}/api/intake/dossiers`), 401);
    expect(none).toMatchObject({ error: 'Unauthorized', message: 'missing bearer token' });
    expect((await problem(await call(`${gw.url}/api/intake/dossiers`, 'not-a-jwt'), 401)).message).toMatch(
      /^invalid token/,
    );
    // A well-formed token signed by another key.
    const foreign = await env.issuer.citizen((citizens[0] as CitizenRecord).personalId);
    expect((await problem(await call(`${gw.url}/api/identity/citizens/me`, foreign), 401)).message).toMatch(
      /^invalid token/,
    );
    const res = await fetch(`${gw.url}/api/identity/prefill`, { method: 'POST' });
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="hoso"');
    await problem(res, 401);
  });

  it('refuses the wrong role with 403 (operator-only and officer-only routes), and unknown paths with 404', async () => {
    const merge = await postJson(`${gw.url}/api/intake/admin-units/provinces/79/merge`, citizenToken, { into: '80' });
    expect((await problem(merge, 403)).message).toBe('this endpoint is for operator, not citizen');
    await problem(await call(`${gw.url}/api/metrics/operations/topics`, citizenToken), 403);
    await problem(await call(`${gw.url}/api/cases/queues/P79/cases`, citizenToken), 403);
    await problem(await call(`${gw.url}/api/intake/internal`, citizenToken), 404);
    await problem(await fetch(`${gw.url}/api/payment-gateway/checkout/x`), 404);
  });

  it('refuses an oversize JSON body and an oversize upload with 413 before they reach the service', async () => {
    const big = { procedureCode: 'x', form: { note: 'a'.repeat(300 * 1024) } };
    const json413 = await problem(await postJson(`${gw.url}/api/intake/dossiers`, citizenToken, big), 413);
    expect(json413.message).toMatch(/larger than 262144 bytes/);
    const form = new FormData();
    form.append('file', new Blob([Buffer.alloc(11 * 1024 * 1024, 0x25)], { type: 'application/pdf' }), 'big.pdf');
    const upload413 = await problem(
      await call(`${gw.url}/api/intake/attachments`, citizenToken, { method: 'POST', body: form }),
      413,
    );
    expect(upload413.message).toMatch(/larger than 10551296 bytes/);
  });

  it('answers 429 with Retry-After and RateLimit headers past the limit, per client', async () => {
    const limited = await startGateway({
      ...baseEnv,
      QUEUE_PREFIX: `lim${randomBytes(4).toString('hex')}`,
      RATE_LIMIT_READ: '3/60',
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${limited.url}/api/intake/areas`)).status);
      expect(statuses).toEqual([200, 200, 200]);
      const refused = await fetch(`${limited.url}/api/intake/areas`);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.headers.get('ratelimit-limit')).toBe('3');
      expect(refused.headers.get('ratelimit-remaining')).toBe('0');
      expect(refused.headers.get('ratelimit-policy')).toBe('3;w=60');
      expect((await problem(refused, 429)).message).toMatch(/too many read requests: at most 3 per 60 s/);
      // Another client (a signed-in citizen is counted by subject, not address) still has its budget.
      expect((await call(`${limited.url}/api/identity/citizens/me`, citizenToken)).status).toBe(200);
      expect(await (await fetch(`${limited.url}/metrics`)).text()).toMatch(
        /gateway_rate_limited_total\{group="read",service="gateway"\} 1/,
      );
    } finally {
      await limited.close();
    }
  });

  it('shares one budget between two gateway instances (same Redis)', async () => {
    const shared = { ...baseEnv, QUEUE_PREFIX: `shr${randomBytes(4).toString('hex')}`, RATE_LIMIT_READ: '4/60' };
    const [a, b] = await Promise.all([startGateway(shared), startGateway(shared)]);
    try {
      const statuses: number[] = [];
      for (const g of [a, b, a, b, a, b]) statuses.push((await fetch(`${g.url}/api/intake/provinces`)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('forwards the development code inbox in development mode only (404 before identity otherwise)', async () => {
    const citizen = citizens[1] as CitizenRecord;
    const { challengeId } = await json<{ challengeId: string }>(
      await postJson(`${gw.url}/api/identity/auth/citizen/challenges`, null, { personalId: citizen.personalId }),
      202,
    );
    const path = `/api/identity/auth/citizen/challenges/${challengeId}/dev-code`;
    // Identity (in development mode) serves the code…
    const direct = await json<{ code: string }>(
      await fetch(`${identity.url}/auth/citizen/challenges/${challengeId}/dev-code`),
    );
    expect(direct.code).toMatch(/^\d{6}$/);
    // …but a gateway outside development mode (the default) does not know the route, as for any unknown path.
    expect(gw.config.devMode).toBe(false);
    expect((await problem(await fetch(`${gw.url}${path}`), 404)).message).toBe(`no API endpoint GET ${path}`);
    const dev = await startGateway({
      ...baseEnv,
      HOSO_DEV_MODE: '1',
      QUEUE_PREFIX: `dev${randomBytes(4).toString('hex')}`,
    });
    try {
      expect(await json<{ code: string }>(await fetch(`${dev.url}${path}`))).toMatchObject({
        challengeId,
        code: direct.code,
      });
    } finally {
      await dev.close();
    }
  });

  it('answers 502 with the error shape when a service is down', async () => {
    const res = await call(`${gw.url}/api/payment/payments`, citizenToken);
    expect(await problem(res, 502)).toMatchObject({ error: 'Bad Gateway', message: 'payment is unavailable' });
  });

  it('is live, and not ready while a service is down', async () => {
    expect((await fetch(`${gw.url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${gw.url}/health/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { details: Record<string, { status: string }> };
    expect(Object.fromEntries(Object.entries(body.details).map(([k, v]) => [k, v.status]))).toEqual({
      redis: 'up',
      identity: 'up',
      intake: 'up',
      payment: 'down',
      cases: 'down',
      metrics: 'down',
    });
  });

  it('serves one OpenAPI page merging the services, with the down ones listed as unavailable', async () => {
    const doc = await json<{
      paths: Record<string, Record<string, { tags: string[]; security?: unknown[] }>>;
      components: { schemas?: Record<string, unknown> };
      'x-hoso-unavailable': string[];
    }>(await fetch(`${gw.url}/api/docs/openapi.json`));
    expect(doc.paths['/api/identity/auth/citizen/challenges']?.['post']?.tags).toEqual(['identity']);
    expect(doc.paths['/api/intake/procedures']?.['get']).toMatchObject({ tags: ['intake'], security: [] });
    expect(doc.paths['/api/intake/dossiers']?.['post']?.tags).toEqual(['intake']);
    expect(Object.keys(doc.paths).some((p) => p.includes('/health'))).toBe(false);
    expect(Object.keys(doc.components.schemas ?? {}).every((n) => /^(identity|intake)\./.test(n))).toBe(true);
    expect(doc['x-hoso-unavailable']).toEqual(['payment', 'cases', 'metrics']);
    const page = await fetch(`${gw.url}/api/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/api/docs/assets/swagger-ui-bundle.js');
    expect((await fetch(`${gw.url}/api/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
  });

  it('routes every endpoint identity and intake publish (nothing a service serves is unreachable)', async () => {
    const missing: string[] = [];
    for (const [service, svc] of [
      ['identity', identity],
      ['intake', intake],
    ] as const) {
      const doc = await json<{ paths: Record<string, Record<string, unknown>> }>(
        await fetch(`${svc.url}/docs/openapi.json`),
      );
      for (const [path, item] of Object.entries(doc.paths)) {
        if (/^\/(health|metrics|docs)(\/|$)/.test(path)) continue;
        for (const method of Object.keys(item).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))) {
          const url = `/api/${service}${path.replace(/\{[^}]+\}/g, 'x')}`;
          if (matchRoute(method.toUpperCase(), url).kind !== 'route') missing.push(`${method.toUpperCase()} ${url}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
