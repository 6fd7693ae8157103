/**
 * End to end, black box: identity, intake, payment and the payment-gateway simulator run as their own
 * processes (as `nx serve` starts them) on real Kafka, PostgreSQL and Redis; the test is the citizen's
 * browser: sign in with a one-time code, prefill, upload, submit, get verified, pay, see it paid.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { generateCitizens } from '@hoso/population';
import { eventually } from '@hoso/testing';
import { createTestEnvironment, EventTap, type TestEnvironment } from '@hoso/nest-kit/testing';
import { freePort, startService, type ServiceProcess } from './support/processes';

interface Procedure {
  code: string;
  feeVnd: number;
  agencyLevel: string;
  serviceLevel: string;
  requiredVneidLevel: number;
  form: {
    name: string;
    type: string;
    required: boolean;
    options?: string[];
    prefill?: string;
    min?: number;
    max?: number;
    pattern?: string;
  }[];
}

/** The JSON body of a response with status `expected` (any 2xx when not given). */
async function json<T>(res: Response, expected?: number): Promise<T> {
  const text = await res.text();
  if (expected === undefined ? !res.ok : res.status !== expected) {
    throw new Error(`${res.url}: expected ${expected ?? '2xx'}, got ${res.status}: ${text}`);
  }
  return JSON.parse(text) as T;
}

describe('citizen flow across services (e2e)', () => {
  let env: TestEnvironment;
  let tap: EventTap;
  const services: ServiceProcess[] = [];
  const otpDir = mkdtempSync(join(tmpdir(), 'hoso-otp-'));
  let identity: ServiceProcess;
  let intake: ServiceProcess;
  let payment: ServiceProcess;
  let gateway: ServiceProcess;

  beforeAll(async () => {
    env = await createTestEnvironment(['identity', 'intake', 'payment', 'paygw']);
    tap = await new EventTap(env, [
      'dossier.submitted.v1',
      'identity.verified.v1',
      'identity.rejected.v1',
      'payment.requested.v1',
      'payment.waived.v1',
      'payment.completed.v1',
    ]).start();
    const [pIdentity, pIntake, pPayment, pGateway] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const common = {
      KAFKA_BROKERS: env.brokers.join(','),
      REDIS_URL: env.redisUrl,
      KAFKA_TOPIC_PREFIX: env.topicPrefix,
      QUEUE_PREFIX: env.topicPrefix.replace(/\W/g, ''),
      AUTH_JWKS_URL: `http://127.0.0.1:${pIdentity}/.well-known/jwks.json`,
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      PAYMENT_GATEWAY_API_KEY: 'e2e-gateway-api-key-0123456789abcdef',
      PAYMENT_GATEWAY_WEBHOOK_SECRET: 'e2e-webhook-secret-0123456789abcdefghij',
    };
    const started = await Promise.all([
      startService('identity', pIdentity, {
        ...common,
        IDENTITY_DATABASE_URL: env.databases['identity'] as string,
        REGISTRY_SEED_COUNT: '3000',
        OTP_DEV_DIR: otpDir,
      }),
      startService('intake', pIntake, {
        ...common,
        INTAKE_DATABASE_URL: env.databases['intake'] as string,
        ATTACHMENT_DIR: mkdtempSync(join(tmpdir(), 'hoso-att-')),
      }),
      startService('payment', pPayment, {
        ...common,
        PAYMENT_DATABASE_URL: env.databases['payment'] as string,
        PAYMENT_GATEWAY_URL: `http://127.0.0.1:${pGateway}`,
        PAYMENT_CALLBACK_URL: `http://127.0.0.1:${pPayment}/payments/gateway/callbacks`,
      }),
      startService('payment-gateway', pGateway, {
        ...common,
        PAYMENT_GATEWAY_DATABASE_URL: env.databases['paygw'] as string,
        GATEWAY_PUBLIC_URL: `http://127.0.0.1:${pGateway}`,
      }),
    ]);
    services.push(...started);
    [identity, intake, payment, gateway] = started;
  }, 240_000);

  afterAll(async () => {
    // Graceful shutdown of every process (SIGTERM): each drains its consumer and relay, then exits.
    await Promise.all(services.map((s) => s.stop()));
    await tap.stop();
    await env.close();
  });

  it('signs in, prefills, submits, is verified, pays through the gateway, and sees the dossier paid', async () => {
    // 1. Sign in VNeID-style: a citizen from the registry with a level-2 account.
    const citizen = [...generateCitizens({ count: 3000, seed: 20251 })].find(
      (c) => c.vneidLevel === 2 && !c.deceased && c.birthDate < '2000-01-01',
    );
    if (!citizen) throw new Error('no suitable citizen in the seeded registry');
    const challenge = await json<{ challengeId: string }>(
      await fetch(`${identity.url}/auth/citizen/challenges`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ personalId: citizen.personalId }),
      }),
      202,
    );
    const otp = await eventually('the one-time code', () =>
      Promise.resolve(
        JSON.parse(readFileSync(join(otpDir, `${citizen.personalId}.json`), 'utf8')) as {
          challengeId: string;
          code: string;
        },
      ).then((o) => (o.challengeId === challenge.challengeId ? o.code : undefined)),
    );
    const tokens = await json<{ accessToken: string }>(
      await fetch(`${identity.url}/auth/citizen/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ challengeId: challenge.challengeId, code: otp }),
      }),
    );
    const auth = { authorization: `Bearer ${tokens.accessToken}` };

    // 2. Find a fully online, province-level procedure with a fee (public catalog).
    const list = await json<{ items: Procedure[] }>(
      await fetch(`${intake.url}/procedures?agencyLevel=province&serviceLevel=FULL&pageSize=100`),
      200,
    );
    const candidates = list.items.filter((p) => p.feeVnd > 0 && p.requiredVneidLevel <= 2);
    expect(candidates.length).toBeGreaterThan(0);
    const procedure = await json<Procedure>(
      await fetch(`${intake.url}/procedures/${(candidates[0] as Procedure).code}`),
      200,
    );

    // 3. Prefill from the population registry.
    const sources = [...new Set(procedure.form.flatMap((f) => (f.prefill ? [f.prefill] : [])))];
    const prefill = await json<{ values: Record<string, string>; prefillToken: string }>(
      await fetch(`${identity.url}/prefill`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ sources }),
      }),
    );
    const form: Record<string, unknown> = {};
    for (const f of procedure.form) {
      const pre = f.prefill ? prefill.values[f.prefill] : undefined;
      if (pre !== undefined) form[f.name] = pre;
      else if (f.required) {
        form[f.name] =
          f.type === 'date'
            ? '2020-05-01'
            : f.type === 'number'
              ? (f.min ?? 1)
              : f.type === 'select'
                ? f.options?.[0]
                : f.type === 'boolean'
                  ? true
                  : f.type === 'email'
                    ? 'citizen@example.vn'
                    : f.type === 'phone'
                      ? '0912345678'
                      : f.type === 'personalId'
                        ? citizen.personalId
                        : 'Nội dung kê khai';
      }
    }

    // 4. Attach a document.
    const upload = new FormData();
    upload.append(
      'file',
      new Blob([Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n')], { type: 'application/pdf' }),
      'to-khai.pdf',
    );
    const attachment = await json<{ id: string; sha256: string }>(
      await fetch(`${intake.url}/attachments`, { method: 'POST', headers: auth, body: upload }),
    );

    // 5. Submit (idempotently) to the provincial centre of Hồ Chí Minh City.
    const submit = () =>
      fetch(`${intake.url}/dossiers`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify({
          procedureCode: procedure.code,
          agencyCode: 'P79',
          form,
          attachmentIds: [attachment.id],
          prefillToken: prefill.prefillToken,
        }),
      });
    const idempotencyKey = `e2e-${randomUUID()}`;
    const accepted = await json<{ id: string; receiptCode: string }>(await submit(), 202);
    expect(accepted.receiptCode).toMatch(/^P79-\d{6}-\d{6}$/);
    expect(await json<{ id: string }>(await submit(), 202)).toMatchObject({ id: accepted.id });

    // 6. Identity verifies the applicant; payment asks for the fee.
    const submitted = await tap.waitFor('dossier.submitted.v1', (e) => e.dossierId === accepted.id);
    expect(submitted.payload).toMatchObject({ channel: 'ONLINE', agencyCode: 'P79', procedureCode: procedure.code });
    expect((submitted.payload['prefilledFields'] as number) > 0).toBe(true);
    const verified = await tap.waitFor('identity.verified.v1', (e) => e.dossierId === accepted.id, 60_000);
    expect(verified.causationId).toBe(submitted.eventId);
    expect(verified.correlationId).toBe(submitted.correlationId);
    const requested = await tap.waitFor('payment.requested.v1', (e) => e.dossierId === accepted.id, 60_000);

    // 7. Pay through the gateway simulator; its signed callback completes the payment.
    const checkout = await json<{ checkoutUrl: string; sessionId: string }>(
      await fetch(`${payment.url}/payments/${requested.payload['paymentId'] as string}/checkout`, {
        method: 'POST',
        headers: auth,
      }),
    );
    const page = await fetch(checkout.checkoutUrl);
    expect(page.status).toBe(200);
    await fetch(`${gateway.url}/checkout/${checkout.sessionId}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'success' }),
    }).then((r) => {
      expect(r.status).toBeLessThan(300);
    });
    const completed = await tap.waitFor('payment.completed.v1', (e) => e.dossierId === accepted.id, 60_000);
    expect(completed.payload).toMatchObject({ amountVnd: requested.payload['amountVnd'], online: true });

    // 8. The citizen sees it: the dossier is paid, with its history.
    const dossier = await eventually(
      'the dossier projected as PAID',
      async () => {
        const d = await json<{ status: string; history: unknown[] }>(
          await fetch(`${intake.url}/dossiers/${accepted.id}`, { headers: auth }),
          200,
        );
        return d.status === 'PAID' ? d : undefined;
      },
      60_000,
      200,
    );
    expect(dossier.history.length).toBeGreaterThanOrEqual(4);
    // Exactly once across the whole flow.
    expect(tap.matching('dossier.submitted.v1', (e) => e.dossierId === accepted.id)).toHaveLength(1);
    expect(tap.matching('payment.completed.v1', (e) => e.dossierId === accepted.id)).toHaveLength(1);
  });
});
