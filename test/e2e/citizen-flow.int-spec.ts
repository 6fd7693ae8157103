/**
 * End to end, black box: identity, intake, payment, the payment-gateway simulator, case-tracking and metrics
 * run as their own processes (as `nx serve` starts them) on real Kafka, PostgreSQL and Redis. The test plays the
 * citizen's browser (sign in with a one-time code, prefill, upload, submit, pay, supply documents, rate)
 * and the officer's (claim, ask for a supplement, decide, issue the result, complete), and the operator's
 * (the rates of the three dossiers).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { generateCitizens, type CitizenRecord } from '@hoso/population';
import { eventually } from '@hoso/testing';
import { createTestEnvironment, EventTap, type TestEnvironment } from '@hoso/nest-kit/testing';
import { freePort, startService, type ServiceProcess } from './support/processes';

interface Procedure {
  code: string;
  feeVnd: number;
  agencyLevel: string;
  serviceLevel: string;
  requiredVneidLevel: number;
  form: { name: string; type: string; required: boolean; options?: string[]; prefill?: string; min?: number }[];
}

/** The JSON body of a response with status `expected` (any 2xx when not given). */
async function json<T>(res: Response, expected?: number): Promise<T> {
  const text = await res.text();
  if (expected === undefined ? !res.ok : res.status !== expected) {
    throw new Error(`${res.url}: expected ${expected ?? '2xx'}, got ${res.status}: ${text}`);
  }
  return (text ? JSON.parse(text) : {}) as T;
}

const post = (url: string, token: string | null, body?: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe('the whole dossier flow across services (e2e)', () => {
  let env: TestEnvironment;
  let tap: EventTap;
  const services: ServiceProcess[] = [];
  const otpDir = mkdtempSync(join(tmpdir(), 'hoso-otp-'));
  let identity: ServiceProcess;
  let intake: ServiceProcess;
  let payment: ServiceProcess;
  let gateway: ServiceProcess;
  let cases: ServiceProcess;
  let metrics: ServiceProcess;
  const adults = [...generateCitizens({ count: 3000, seed: 20251 })].filter(
    (c) => c.vneidLevel === 2 && !c.deceased && c.birthDate < '2000-01-01',
  );

  beforeAll(async () => {
    env = await createTestEnvironment(['identity', 'intake', 'payment', 'paygw', 'case', 'metrics']);
    tap = await new EventTap(env, [
      'dossier.submitted.v1',
      'identity.verified.v1',
      'payment.requested.v1',
      'payment.completed.v1',
      'payment.refunded.v1',
      'case.received.v1',
      'case.status-changed.v1',
      'case.status-changed.v2',
      'case.completed.v1',
      'case.rated.v1',
    ]).start();
    const [pIdentity, pIntake, pPayment, pGateway, pCase, pMetrics] = await Promise.all([
      freePort(),
      freePort(),
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
    const db = (name: string) => env.databases[name] as string;
    const started = await Promise.all([
      startService('identity', pIdentity, {
        ...common,
        ...env.kafkaEnv('identity'),
        IDENTITY_DATABASE_URL: db('identity'),
        REGISTRY_SEED_COUNT: '3000',
        OTP_DEV_DIR: otpDir,
      }),
      startService('intake', pIntake, {
        ...common,
        ...env.kafkaEnv('intake'),
        INTAKE_DATABASE_URL: db('intake'),
        ATTACHMENT_DIR: mkdtempSync(join(tmpdir(), 'hoso-att-')),
      }),
      startService('payment', pPayment, {
        ...common,
        ...env.kafkaEnv('payment'),
        PAYMENT_DATABASE_URL: db('payment'),
        PAYMENT_GATEWAY_URL: `http://127.0.0.1:${pGateway}`,
        PAYMENT_CALLBACK_URL: `http://127.0.0.1:${pPayment}/payments/gateway/callbacks`,
      }),
      startService('payment-gateway', pGateway, {
        ...common,
        PAYMENT_GATEWAY_DATABASE_URL: db('paygw'),
        GATEWAY_PUBLIC_URL: `http://127.0.0.1:${pGateway}`,
      }),
      startService('metrics', pMetrics, { ...common, ...env.kafkaEnv('metrics'), METRICS_DATABASE_URL: db('metrics') }),
      startService('case-tracking', pCase, {
        ...common,
        ...env.kafkaEnv('case-tracking'),
        CASE_DATABASE_URL: db('case'),
        RESULT_DIR: mkdtempSync(join(tmpdir(), 'hoso-res-')),
      }),
    ]);
    services.push(...started);
    [identity, intake, payment, gateway, metrics, cases] = started;
  }, 240_000);

  afterAll(async () => {
    // Graceful shutdown of every process (SIGTERM): each drains its consumer and relay, then exits.
    await Promise.all(services.map((s) => s.stop()));
    // Undefined when beforeAll failed half-way.
    await (tap as EventTap | undefined)?.stop();
    await (env as TestEnvironment | undefined)?.close();
  });

  async function citizenSignIn(citizen: CitizenRecord): Promise<string> {
    const challenge = await json<{ challengeId: string }>(
      await post(`${identity.url}/auth/citizen/challenges`, null, { personalId: citizen.personalId }),
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
      await post(`${identity.url}/auth/citizen/tokens`, null, { challengeId: challenge.challengeId, code }),
    );
    return tokens.accessToken;
  }

  async function officerSignIn(username: string): Promise<string> {
    const tokens = await json<{ accessToken: string }>(
      await post(`${identity.url}/auth/staff/tokens`, null, { username, password: 'hoso-dev-password' }),
    );
    return tokens.accessToken;
  }

  /** Catalog → prefill → attachment → idempotent submission to the provincial centre of Hồ Chí Minh City. */
  async function submitDossier(
    token: string,
    citizen: CitizenRecord,
  ): Promise<{ id: string; receiptCode: string; procedure: Procedure }> {
    const list = await json<{ items: Procedure[] }>(
      await fetch(`${intake.url}/procedures?agencyLevel=province&serviceLevel=FULL&pageSize=100`),
    );
    const candidate = list.items.find((p) => p.feeVnd > 0 && p.requiredVneidLevel <= 2);
    if (!candidate) throw new Error('no fee-paying, fully online, province-level procedure in the catalog');
    const procedure = await json<Procedure>(await fetch(`${intake.url}/procedures/${candidate.code}`));
    const sources = [...new Set(procedure.form.flatMap((f) => (f.prefill ? [f.prefill] : [])))];
    const prefill = await json<{ values: Record<string, string>; prefillToken: string }>(
      await post(`${identity.url}/prefill`, token, { sources }),
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
    const upload = new FormData();
    upload.append(
      'file',
      new Blob([Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n')], { type: 'application/pdf' }),
      'to-khai.pdf',
    );
    const attachment = await json<{ id: string }>(
      await fetch(`${intake.url}/attachments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: upload,
      }),
    );
    const key = `e2e-${randomUUID()}`;
    const submit = () =>
      fetch(`${intake.url}/dossiers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({
          procedureCode: procedure.code,
          agencyCode: 'P79',
          form,
          attachmentIds: [attachment.id],
          prefillToken: prefill.prefillToken,
        }),
      });
    const accepted = await json<{ id: string; receiptCode: string }>(await submit(), 202);
    // A retry with the same key (a lost response) answers the same and creates nothing new.
    expect(await json<{ id: string }>(await submit(), 202)).toMatchObject({ id: accepted.id });
    return { ...accepted, procedure };
  }

  /** The fee request → gateway checkout → signed callback → payment.completed.v1. */
  async function pay(token: string, dossierId: string): Promise<void> {
    const requested = await tap.waitFor('payment.requested.v1', (e) => e.dossierId === dossierId, 60_000);
    const checkout = await json<{ checkoutUrl: string; sessionId: string }>(
      await post(`${payment.url}/payments/${requested.payload['paymentId'] as string}/checkout`, token),
    );
    expect((await fetch(checkout.checkoutUrl)).status).toBe(200);
    expect(
      (await post(`${gateway.url}/checkout/${checkout.sessionId}/pay`, null, { outcome: 'success' })).status,
    ).toBeLessThan(300);
    const completed = await tap.waitFor('payment.completed.v1', (e) => e.dossierId === dossierId, 60_000);
    expect(completed.payload).toMatchObject({ amountVnd: requested.payload['amountVnd'], online: true });
  }

  async function dossierStatus(
    token: string,
    id: string,
    status: string,
  ): Promise<{ status: string; history: unknown[] }> {
    return eventually(
      `dossier ${id} projected as ${status}`,
      async () => {
        const d = await json<{ status: string; history: unknown[] }>(
          await fetch(`${intake.url}/dossiers/${id}`, { headers: { authorization: `Bearer ${token}` } }),
        );
        return d.status === status ? d : undefined;
      },
      60_000,
      200,
    );
  }

  it('citizen: signs in, prefills, submits, is verified, pays through the gateway, and sees the dossier paid', async () => {
    const citizen = adults[0] as CitizenRecord;
    const token = await citizenSignIn(citizen);
    const dossier = await submitDossier(token, citizen);
    expect(dossier.receiptCode).toMatch(/^P79-\d{6}-\d{6}$/);
    const submitted = await tap.waitFor('dossier.submitted.v1', (e) => e.dossierId === dossier.id);
    expect(submitted.payload).toMatchObject({
      channel: 'ONLINE',
      agencyCode: 'P79',
      procedureCode: dossier.procedure.code,
    });
    expect((submitted.payload['prefilledFields'] as number) > 0).toBe(true);
    const verified = await tap.waitFor('identity.verified.v1', (e) => e.dossierId === dossier.id, 60_000);
    expect(verified.causationId).toBe(submitted.eventId);
    expect(verified.correlationId).toBe(submitted.correlationId);
    await pay(token, dossier.id);
    const seen = await dossierStatus(token, dossier.id, 'RECEIVED');
    expect(seen.history.length).toBeGreaterThanOrEqual(4);
    expect(tap.matching('dossier.submitted.v1', (e) => e.dossierId === dossier.id)).toHaveLength(1);
    expect(tap.matching('payment.completed.v1', (e) => e.dossierId === dossier.id)).toHaveLength(1);
  });

  it('officer and citizen: received → claimed → supplement → supplied → approved → result → completed → rated, all on the timeline', async () => {
    const citizen = adults[1] as CitizenRecord;
    const token = await citizenSignIn(citizen);
    const dossier = await submitDossier(token, citizen);
    await pay(token, dossier.id);
    const received = await tap.waitFor('case.received.v1', (e) => e.dossierId === dossier.id, 60_000);
    const caseId = received.payload['caseId'] as string;
    const officer = await officerSignIn('officer.p79');

    const queue = await json<{ items: { id: string }[] }>(
      await fetch(`${cases.url}/queues/P79/cases?pageSize=100`, { headers: { authorization: `Bearer ${officer}` } }),
    );
    expect(queue.items.map((c) => c.id)).toContain(caseId);
    await json(await post(`${cases.url}/cases/${caseId}/claim`, officer));
    await json(
      await post(`${cases.url}/cases/${caseId}/supplement-requests`, officer, {
        message: 'Bổ sung bản sao giấy khai sinh',
      }),
    );
    await json(await post(`${cases.url}/cases/${caseId}/supplements`, token, { note: 'Đã bổ sung' }));
    await json(
      await post(`${cases.url}/cases/${caseId}/decision`, officer, { outcome: 'APPROVED', reason: 'Hồ sơ hợp lệ' }),
    );
    await json(await post(`${cases.url}/cases/${caseId}/result`, officer));
    const pdf = await fetch(`${cases.url}/cases/${caseId}/result`, { headers: { authorization: `Bearer ${token}` } });
    expect(pdf.status).toBe(200);
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    await json(await post(`${cases.url}/cases/${caseId}/complete`, officer));
    const completed = await tap.waitFor('case.completed.v1', (e) => e.dossierId === dossier.id, 60_000);
    expect(completed.payload).toMatchObject({ outcome: 'APPROVED', onTime: true, fullyOnline: true });
    await json(await post(`${cases.url}/cases/${caseId}/rating`, token, { score: 5, comment: 'Nhanh, đúng hẹn' }));
    expect((await post(`${cases.url}/cases/${caseId}/rating`, token, { score: 4 })).status).toBe(409);
    await tap.waitFor('case.rated.v1', (e) => e.dossierId === dossier.id);

    // Reception and completion are one event each (case.received, case.completed); v2 carries the moves between.
    await tap.waitFor(
      'case.status-changed.v2',
      (e) => e.dossierId === dossier.id && e.payload['to'] === 'RESULT_ISSUED',
    );
    const moves = tap.matching('case.status-changed.v2', (e) => e.dossierId === dossier.id).map((e) => e.payload['to']);
    expect(moves).toEqual(['IN_PROCESS', 'SUPPLEMENT_REQUESTED', 'IN_PROCESS', 'APPROVED', 'RESULT_ISSUED']);
    expect(tap.matching('case.status-changed.v1', (e) => e.dossierId === dossier.id)).toHaveLength(0);
    expect(tap.matching('case.received.v1', (e) => e.dossierId === dossier.id)).toHaveLength(1);
    expect(tap.matching('case.completed.v1', (e) => e.dossierId === dossier.id)).toHaveLength(1);
    const timeline = await json<{ entries: { kind: string }[] } | { kind: string }[]>(
      await fetch(`${cases.url}/dossiers/${dossier.id}/timeline`, { headers: { authorization: `Bearer ${token}` } }),
    );
    const kinds = JSON.stringify(timeline);
    for (const step of [
      'dossier.submitted',
      'identity.verified',
      'payment.completed',
      'SUPPLEMENT_REQUESTED',
      'APPROVED',
      'RESULT_ISSUED',
      'COMPLETED',
    ]) {
      expect(kinds).toContain(step);
    }
    await dossierStatus(token, dossier.id, 'COMPLETED');
  });

  it('a rejection after payment completes the case as REJECTED and refunds the fee once', async () => {
    const citizen = adults[2] as CitizenRecord;
    const token = await citizenSignIn(citizen);
    const dossier = await submitDossier(token, citizen);
    await pay(token, dossier.id);
    const received = await tap.waitFor('case.received.v1', (e) => e.dossierId === dossier.id, 60_000);
    const caseId = received.payload['caseId'] as string;
    const officer = await officerSignIn('officer.p79');
    await json(await post(`${cases.url}/cases/${caseId}/claim`, officer));
    await json(
      await post(`${cases.url}/cases/${caseId}/decision`, officer, {
        outcome: 'REJECTED',
        reason: 'Không đủ điều kiện',
      }),
    );
    await json(await post(`${cases.url}/cases/${caseId}/result`, officer));
    await json(await post(`${cases.url}/cases/${caseId}/complete`, officer));
    const completed = await tap.waitFor('case.completed.v1', (e) => e.dossierId === dossier.id, 60_000);
    expect(completed.payload).toMatchObject({ outcome: 'REJECTED' });
    const refunded = await tap.waitFor('payment.refunded.v1', (e) => e.dossierId === dossier.id, 60_000);
    // Caused by the completion of the rejected case (payment does not follow the case's intermediate moves).
    expect(refunded.causationId).toBe(completed.eventId);
    await dossierStatus(token, dossier.id, 'COMPLETED');
    expect(tap.matching('payment.refunded.v1', (e) => e.dossierId === dossier.id)).toHaveLength(1);
  });

  it('operator: the metrics service reflects the three dossiers with the right rates', async () => {
    const operator = await officerSignIn('operator');
    type Summary = { counts: Record<string, number>; rates: Record<string, number | null> };
    const summary = await eventually(
      'metrics to see both completions and the rating',
      async () => {
        const s = await json<Summary>(
          await fetch(`${metrics.url}/rates/summary`, { headers: { authorization: `Bearer ${operator}` } }),
        );
        return s.counts['completed'] === 2 && s.counts['rated'] === 1 && s.counts['received'] === 3 ? s : undefined;
      },
      60_000,
      250,
    );
    // Three online dossiers with a fee, all paid online and received; two completed on time (one approved and
    // rated 5, one rejected), both with a digital result; the first is still open.
    expect(summary.counts).toMatchObject({
      submitted: 3,
      submittedOnline: 3,
      withFee: 3,
      paidOnline: 3,
      received: 3,
      receivedCompleted: 2,
      completed: 2,
      completedOnTime: 2,
      rated: 1,
      satisfied: 1,
    });
    expect(summary.rates['onlineSubmission']).toBe(1);
    expect(summary.rates['onlinePayment']).toBe(1);
    expect(summary.rates['onTime']).toBe(1);
    expect(summary.rates['satisfaction']).toBe(1);
    expect(summary.rates['completion']).toBeCloseTo(2 / 3, 5);
    // Citizens do not see the operators' figures.
    const citizen = await citizenSignIn(adults[0] as CitizenRecord);
    expect(
      (await fetch(`${metrics.url}/rates/summary`, { headers: { authorization: `Bearer ${citizen}` } })).status,
    ).toBe(403);
  });
});
