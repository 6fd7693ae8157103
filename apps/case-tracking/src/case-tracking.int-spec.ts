import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import pino from 'pino';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { catalog, createEvent, samplePayloads, type Payload, type Topic } from '@hoso/contracts';
import { EventProducer } from '@hoso/messaging';
import { createServiceApp } from '@hoso/nest-kit';
import { createTestEnvironment, EventTap, type TestEnvironment } from '@hoso/nest-kit/testing';
import { eventually, testEnv } from '@hoso/testing';
import { AppModule } from './app.module';
import { loadConfig } from './config';
import type { Notification } from './notifications/notification.adapter';
import { keyThumbprint, signedPayload, type SignedFields } from './results/result-signing';
import { groupedCode, newVerificationCode } from './results/verification-code';

const MONDAY = new Date('2026-03-02T09:00:00+07:00');

describe('case-tracking (real Kafka, PostgreSQL, Redis, HTTP)', () => {
  let env: TestEnvironment;
  let app: INestApplication;
  let url: string;
  let tap: EventTap;
  let producer: EventProducer;
  let db: Client;
  let now = MONDAY;
  const attempts = new Map<string, number>();
  const pid = '001099000123';
  let citizen: string;
  let otherCitizen: string;
  let officerA: string;
  let officerA2: string;
  let officerOther: string;

  beforeAll(async () => {
    env = await createTestEnvironment(['case']);
    const logger = pino({ level: 'silent' });
    const config = loadConfig({
      // Development mode: the development result-signing KEK and portal address.
      HOSO_DEV_MODE: '1',
      DATABASE_URL: testEnv.DATABASE_URL,
      CASE_DATABASE_URL: env.databases['case'],
      ...env.kafkaEnv('case-tracking'),
      KAFKA_BROKERS: env.brokers.join(','),
      REDIS_URL: env.redisUrl,
      AUTH_JWKS_URL: env.issuer.jwksUrl,
      KAFKA_TOPIC_PREFIX: env.topicPrefix,
      LOG_LEVEL: 'silent',
      RESULT_DIR: mkdtempSync(join(tmpdir(), 'case-results-')),
      // 80 working hours (Mon 09:00 → Thu 17:00) become ~2.9 s.
      SLA_TIME_SCALE: '100000',
      NOTIFY_BACKOFF_MS: '100',
    });
    app = await createServiceApp(
      AppModule.forRoot(config, logger, {
        clock: { now: () => now },
        // The first delivery of every notification fails once: each must still arrive exactly once.
        notificationAdapter: (dev) => ({
          async send(n: Notification) {
            const k = (attempts.get(n.idempotencyKey) ?? 0) + 1;
            attempts.set(n.idempotencyKey, k);
            if (k === 1) throw new Error('smtp down');
            await dev.send(n);
          },
        }),
      }),
      { name: 'case-tracking', title: 't', description: 't', logger },
    );
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer() as { address(): { port: number } }).address().port}`;
    tap = await new EventTap(env, [
      'case.received.v1',
      'case.status-changed.v2',
      'case.completed.v1',
      'case.rated.v1',
    ]).start();
    producer = new EventProducer(env.kafka);
    await producer.connect();
    db = new Client({ connectionString: env.databases['case'] });
    await db.connect();
    citizen = await env.issuer.citizen(pid);
    otherCitizen = await env.issuer.citizen('079099000777');
    officerA = await env.issuer.officer('P01', { sub: 'officer:a1' });
    officerA2 = await env.issuer.officer('P01', { sub: 'officer:a2' });
    officerOther = await env.issuer.officer('P79');
  });

  afterAll(async () => {
    await db.end();
    await tap.stop();
    await producer.disconnect();
    await app.close();
    await env.close();
  });

  const publish = async <T extends Topic>(topic: T, payload: Payload<T>) => {
    const event = createEvent(catalog, topic, payload, {
      dossierId: (payload as { dossierId: string }).dossierId,
      correlationId: `test-${uuidv7()}`,
      producer: 'test',
    });
    await producer.sendBatch([
      { topic: `${env.topicPrefix}${topic}`, key: event.dossierId ?? '', value: JSON.stringify(event) },
    ]);
    return event;
  };
  const api = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const buf = Buffer.from(await res.arrayBuffer());
    const json = res.headers.get('content-type')?.includes('json')
      ? (JSON.parse(buf.toString()) as Record<string, unknown>)
      : {};
    return { status: res.status, body: json, bytes: buf, headers: res.headers };
  };
  const submitted = (over: Partial<Payload<'dossier.submitted.v1'>> = {}): Payload<'dossier.submitted.v1'> => ({
    ...samplePayloads['dossier.submitted.v1'],
    dossierId: uuidv7(),
    agencyCode: 'P01',
    provinceCode: '01',
    processingWorkingDays: 3,
    applicant: { ...samplePayloads['dossier.submitted.v1'].applicant, personalId: pid },
    ...over,
  });
  const verified = (s: Payload<'dossier.submitted.v1'>) =>
    ({
      dossierId: s.dossierId,
      personalId: s.applicant.personalId,
      vneidLevel: 2,
      verifiedAt: MONDAY.toISOString(),
    }) as const;
  const waived = (s: Payload<'dossier.submitted.v1'>) =>
    ({ dossierId: s.dossierId, reason: 'ZERO_FEE', baseAmountVnd: 0, waivedAt: MONDAY.toISOString() }) as const;
  const paid = (s: Payload<'dossier.submitted.v1'>) =>
    ({
      dossierId: s.dossierId,
      paymentId: uuidv7(),
      amountVnd: 8000,
      method: 'CARD',
      online: true,
      gatewayReference: 'gw-1',
      completedAt: MONDAY.toISOString(),
    }) as const;
  const received = async (dossierId: string) =>
    (await tap.waitFor('case.received.v1', (e) => e.dossierId === dossierId)).payload['caseId'] as string;
  const caseCount = async (dossierId: string) =>
    Number(
      (await db.query<{ n: string }>(`SELECT count(*) AS n FROM cases WHERE dossier_id = $1`, [dossierId])).rows[0]?.n,
    );

  async function openCase(over: Partial<Payload<'dossier.submitted.v1'>> = {}) {
    const s = submitted(over);
    await publish('dossier.submitted.v1', s);
    await publish('identity.verified.v1', verified(s));
    await publish('payment.waived.v1', waived(s));
    return { s, caseId: await received(s.dossierId) };
  }

  it('opens exactly one case whatever the order of submitted / verified / paid, and duplicates add nothing', async () => {
    const a = submitted();
    const b = submitted();
    const c = submitted();
    await publish('payment.completed.v1', paid(a));
    await publish('identity.verified.v1', verified(a));
    const dup = await publish('dossier.submitted.v1', a);
    await producer.sendBatch([
      { topic: `${env.topicPrefix}dossier.submitted.v1`, key: a.dossierId, value: JSON.stringify(dup) },
    ]);
    await publish('identity.verified.v1', verified(b));
    await publish('dossier.submitted.v1', b);
    await publish('payment.waived.v1', waived(b));
    await publish('dossier.submitted.v1', c);
    await publish('payment.waived.v1', waived(c));
    await publish('identity.verified.v1', verified(c));
    await publish('identity.verified.v1', verified(c)); // the same fact again (new event id): a duplicate, opens nothing
    const received = await Promise.all(
      [a, b, c].map((d) => tap.waitFor('case.received.v1', (e) => e.dossierId === d.dossierId)),
    );
    // Mon 2 March 09:00 + 3 working days → Thu 5 March 17:00 (+07)
    expect(received.map((e) => e.payload['dueAt'])).toEqual(Array(3).fill('2026-03-05T10:00:00.000Z'));
    await eventually('inbox drained', async () => {
      const n = await db.query<{ n: string }>(`SELECT count(*) AS n FROM dossier_events WHERE dossier_id = $1`, [
        c.dossierId,
      ]);
      return Number(n.rows[0]?.n) === 3;
    });
    for (const d of [a, b, c]) expect(await caseCount(d.dossierId)).toBe(1);
    expect(tap.matching('case.received.v1', (e) => [a, b, c].some((d) => d.dossierId === e.dossierId))).toHaveLength(3);
  });

  it('a set of many dossiers in one flush opens one case each, with one history row, notification and event', async () => {
    const set = Array.from({ length: 40 }, () => submitted());
    const batch = <T extends Topic>(topic: T, payloads: Payload<T>[]) =>
      producer.sendBatch(
        payloads.map((p) => {
          const event = createEvent(catalog, topic, p, {
            dossierId: (p as { dossierId: string }).dossierId,
            correlationId: `test-${uuidv7()}`,
            producer: 'test',
          });
          return { topic: `${env.topicPrefix}${topic}`, key: event.dossierId ?? '', value: JSON.stringify(event) };
        }),
      );
    // One request per topic: the consumer takes each topic's events as a set. The first five dossiers' submissions
    // come twice under new event ids (the same fact published again), within the same set.
    await batch('dossier.submitted.v1', [...set, ...set.slice(0, 5)]);
    await batch('identity.verified.v1', set.map(verified));
    await batch('payment.waived.v1', set.map(waived));
    const ids = set.map((d) => d.dossierId);
    const events = await Promise.all(ids.map((id) => tap.waitFor('case.received.v1', (e) => e.dossierId === id)));
    expect(new Set(events.map((e) => e.payload['caseId'])).size).toBe(set.length);
    const perDossier = async (sql: string) =>
      new Map((await db.query<{ d: string; n: string }>(sql, [ids])).rows.map((r) => [r.d, Number(r.n)] as const));
    const cases = await perDossier(
      `SELECT dossier_id AS d, count(*) AS n FROM cases WHERE dossier_id = ANY($1) GROUP BY 1`,
    );
    const history = await perDossier(
      `SELECT dossier_id AS d, count(*) AS n FROM case_history WHERE dossier_id = ANY($1) AND kind = 'MOVE' GROUP BY 1`,
    );
    const linked = await perDossier(
      `SELECT d.dossier_id AS d, count(*) AS n FROM case_dossiers d JOIN cases c ON c.id = d.case_id
        WHERE d.dossier_id = ANY($1) GROUP BY 1`,
    );
    for (const id of ids) {
      expect([id, cases.get(id), history.get(id), linked.get(id)]).toEqual([id, 1, 1, 1]);
    }
    await eventually(
      'every applicant mailed once',
      async () => {
        const mailed = await perDossier(
          `SELECT dossier_id AS d, count(*) AS n FROM mailbox WHERE dossier_id = ANY($1) GROUP BY 1`,
        );
        return ids.every((id) => mailed.get(id) === 1);
      },
      30_000,
    );
    const recorded = await perDossier(
      `SELECT dossier_id AS d, count(*) AS n FROM dossier_events WHERE dossier_id = ANY($1) GROUP BY 1`,
    );
    // Submitted, verified, waived: the copies of a submission are the same fact and are not recorded again.
    for (const id of ids) expect([id, recorded.get(id)]).toEqual([id, 3]);
    expect(tap.matching('case.received.v1', (e) => ids.includes(e.dossierId ?? ''))).toHaveLength(set.length);
  });

  it('identity rejection or a final payment failure ends the dossier without a case', async () => {
    const r = submitted();
    await publish('dossier.submitted.v1', r);
    await publish('identity.rejected.v1', {
      ...samplePayloads['identity.rejected.v1'],
      dossierId: r.dossierId,
      personalId: pid,
    });
    await publish('payment.waived.v1', waived(r));
    const f = submitted();
    await publish('payment.failed.v1', {
      dossierId: f.dossierId,
      paymentId: uuidv7(),
      reason: 'EXPIRED',
      detail: 'unpaid',
      final: true,
      failedAt: MONDAY.toISOString(),
    });
    await publish('dossier.submitted.v1', f);
    await publish('identity.verified.v1', verified(f));
    const ended = await eventually('both dossiers ended', async () => {
      const rows = await db.query(
        `SELECT ended_reason FROM case_dossiers WHERE dossier_id = ANY($1) AND submitted IS NOT NULL AND ended_reason IS NOT NULL
           AND (identity_status IS NOT NULL) ORDER BY ended_reason`,
        [[r.dossierId, f.dossierId]],
      );
      return rows.rows.length === 2 && rows.rows.map((x: { ended_reason: string }) => x.ended_reason);
    });
    expect(ended).toEqual(['IDENTITY_REJECTED: DECEASED', 'PAYMENT_FAILED: EXPIRED']);
    expect(await caseCount(r.dossierId)).toBe(0);
    expect(await caseCount(f.dossierId)).toBe(0);
  });

  it('needs a token (401), the right role (403), and the right agency (404)', async () => {
    const { caseId } = await openCase();
    expect((await api('POST', `/cases/${caseId}/claim`)).status).toBe(401);
    expect((await api('POST', `/cases/${caseId}/claim`, citizen)).status).toBe(403);
    expect((await api('GET', '/queues/P01/cases', citizen)).status).toBe(403);
    expect((await api('POST', `/cases/${caseId}/claim`, officerOther)).status).toBe(404);
    expect((await api('GET', '/queues/P01/cases', officerOther)).status).toBe(404);
    expect((await api('GET', `/cases/${caseId}`, otherCitizen)).status).toBe(404);
  });

  it('concurrent claims: exactly one officer wins, the others get 409', async () => {
    const { caseId } = await openCase();
    const tokens = await Promise.all(
      ['c1', 'c2', 'c3', 'c4', 'c5'].map((s) => env.issuer.officer('P01', { sub: `officer:${s}` })),
    );
    const results = await Promise.all(tokens.map((t) => api('POST', `/cases/${caseId}/claim`, t)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
    const { rows } = await db.query(`SELECT status, version FROM cases WHERE id = $1`, [caseId]);
    expect(rows[0]).toEqual({ status: 'IN_PROCESS', version: 2 });
  });

  it('a refused move answers 409 and changes nothing (no row, no event)', async () => {
    const { caseId, s } = await openCase();
    const before = await db.query(`SELECT * FROM cases WHERE id = $1`, [caseId]);
    const res = await api('POST', `/cases/${caseId}/complete`, officerA);
    expect(res.status).toBe(409);
    expect(String(res.body['message'])).toMatch(/cannot complete a case that is RECEIVED/);
    expect((await api('POST', `/cases/${caseId}/decision`, officerA, { outcome: 'MAYBE', reason: 'x' })).status).toBe(
      400,
    );
    expect(
      (await api('POST', `/cases/${caseId}/decision`, officerA, { outcome: 'APPROVED', reason: 'x', extra: 1 })).status,
    ).toBe(400);
    expect((await db.query(`SELECT * FROM cases WHERE id = $1`, [caseId])).rows).toEqual(before.rows);
    expect(
      (await db.query<{ n: string }>(`SELECT count(*) AS n FROM case_history WHERE case_id = $1`, [caseId])).rows[0]?.n,
    ).toBe('1');
    // The reception is announced once (case.received.v1); the refused actions moved nothing.
    expect(tap.matching('case.received.v1', (e) => e.dossierId === s.dossierId)).toHaveLength(1);
    expect(tap.matching('case.status-changed.v2', (e) => e.dossierId === s.dossierId)).toHaveLength(0);
  });

  it('a supplement request pauses the clock; supplying shifts the due date by the paused working days', async () => {
    const { caseId, s } = await openCase();
    expect((await api('POST', `/cases/${caseId}/claim`, officerA)).status).toBe(200);
    expect((await api('POST', `/cases/${caseId}/supplement-requests`, officerA2, { message: 'x' })).status).toBe(403);
    const asked = await api('POST', `/cases/${caseId}/supplement-requests`, officerA, {
      message: 'Bổ sung giấy khai sinh',
    });
    expect(asked.body).toMatchObject({ status: 'SUPPLEMENT_REQUESTED', dueAt: '2026-03-05T10:00:00.000Z' });
    expect((await api('POST', `/cases/${caseId}/supplements`, otherCitizen, { note: 'x' })).status).toBe(404);
    now = new Date('2026-03-05T10:00:00+07:00'); // Thursday: Tue, Wed, Thu were the citizen's
    try {
      const supplied = await api('POST', `/cases/${caseId}/supplements`, citizen, {
        note: 'đã bổ sung',
        attachmentIds: ['att-9'],
      });
      expect(supplied.status).toBe(200);
      expect(supplied.body).toMatchObject({ status: 'IN_PROCESS', dueAt: '2026-03-10T10:00:00.000Z' });
    } finally {
      now = MONDAY;
    }
    const moved = await tap.waitFor(
      'case.status-changed.v2',
      (e) =>
        e.dossierId === s.dossierId && e.payload['to'] === 'IN_PROCESS' && e.payload['from'] === 'SUPPLEMENT_REQUESTED',
    );
    expect(moved.payload['dueAt']).toBe('2026-03-10T10:00:00.000Z');
    await eventually('supplement notification', async () => {
      const r = await api('GET', '/mailbox', citizen);
      return (r.body['items'] as { kind: string; dossierId: string }[]).some(
        (i) => i.kind === 'SUPPLEMENT_REQUESTED' && i.dossierId === s.dossierId,
      );
    });
  });

  it('SLA jobs fire: a warning then an overdue flag that moves the case to the queue head', async () => {
    const { caseId } = await openCase({ agencyCode: 'P02', provinceCode: '02' });
    const officer = await env.issuer.officer('P02');
    await eventually(
      'overdue flag',
      async () => {
        const { rows } = await db.query<{ overdue: boolean }>(`SELECT overdue FROM cases WHERE id = $1`, [caseId]);
        return rows[0]?.overdue === true;
      },
      20_000,
    );
    const kinds = (await db.query(`SELECT kind FROM case_history WHERE case_id = $1 ORDER BY id`, [caseId])).rows.map(
      (r: { kind: string }) => r.kind,
    );
    expect(kinds).toEqual(['MOVE', 'SLA_WARNING', 'OVERDUE']);
    // A later case (not overdue yet: same due date) comes after the overdue one.
    now = new Date('2026-03-03T09:00:00+07:00');
    try {
      await openCase({ agencyCode: 'P02', provinceCode: '02' });
    } finally {
      now = MONDAY;
    }
    const q = await api('GET', '/queues/P02/cases?pageSize=1', officer);
    expect(q.body).toMatchObject({ hasMore: true, items: [{ id: caseId, overdue: true }] });
    const onlyOverdue = await api('GET', '/queues/P02/cases?overdue=false', officer);
    expect((onlyOverdue.body['items'] as { id: string }[]).map((i) => i.id)).not.toContain(caseId);
  });

  it('a notification whose adapter fails once is retried and delivered once', async () => {
    const { caseId, s } = await openCase();
    await eventually('received notification', async () => {
      const r = await api('GET', '/mailbox', citizen);
      return (r.body['items'] as { kind: string; dossierId: string }[]).some(
        (i) => i.kind === 'CASE_RECEIVED' && i.dossierId === s.dossierId,
      );
    });
    expect(attempts.get(`received-${caseId}`)).toBe(2);
    expect((await api('GET', '/mailbox', otherCitizen)).body['items']).toEqual([]);
  });

  it('decision → result PDF (verification code) → completion → one rating; timeline for owner and agency only', async () => {
    const { caseId, s } = await openCase();
    await api('POST', `/cases/${caseId}/claim`, officerA);
    expect(
      (await api('POST', `/cases/${caseId}/decision`, officerA, { outcome: 'APPROVED', reason: 'đủ điều kiện' }))
        .status,
    ).toBe(200);
    expect((await api('POST', `/cases/${caseId}/rating`, citizen, { score: 5 })).status).toBe(409);
    const issued = await api('POST', `/cases/${caseId}/result`, officerA);
    expect(issued.body).toMatchObject({ status: 'RESULT_ISSUED' });
    const doc = issued.body['resultDocument'] as { id: string; sha256: string; verificationCode: string };
    const pdf = await api('GET', `/cases/${caseId}/result`, citizen);
    expect(pdf.status).toBe(200);
    expect(pdf.bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(createHash('sha256').update(pdf.bytes).digest('hex')).toBe(doc.sha256);
    // The PDF carries the verification link (and its QR code); the forgeable hash of public fields is gone.
    expect(doc.verificationCode).toMatch(/^[A-Z2-7]{26}$/);
    expect(pdf.headers.get('x-verification-code')).toBe(doc.verificationCode);
    expect(pdf.bytes.toString('latin1')).toContain(`http://127.0.0.1:3000/verify/${doc.verificationCode}`);
    expect((await api('GET', `/cases/${caseId}/result`, otherCitizen)).status).toBe(404);
    expect((await api('POST', `/cases/${caseId}/complete`, officerA)).body).toMatchObject({ status: 'COMPLETED' });
    const completed = await tap.waitFor('case.completed.v1', (e) => e.dossierId === s.dossierId);
    expect(completed.payload).toMatchObject({
      outcome: 'APPROVED',
      onTime: true,
      fullyOnline: true,
      resultDocument: { id: doc.id, sha256: doc.sha256 },
    });
    expect((await api('POST', `/cases/${caseId}/rating`, citizen, { score: 4, comment: 'nhanh' })).status).toBe(200);
    expect((await api('POST', `/cases/${caseId}/rating`, citizen, { score: 1 })).status).toBe(409);
    expect((await api('POST', `/cases/${caseId}/rating`, otherCitizen, { score: 1 })).status).toBe(404);
    await tap.waitFor('case.rated.v1', (e) => e.dossierId === s.dossierId && e.payload['score'] === 4);

    const t = await api('GET', `/dossiers/${s.dossierId}/timeline`, citizen);
    // The applicant reaches the case (supplements, result, rating) through the timeline's case id.
    expect(t.body['caseId']).toBe(caseId);
    const kinds = (t.body['entries'] as { kind: string }[]).map((e) => e.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'dossier.submitted',
        'identity.verified',
        'payment.waived',
        'case.RECEIVED',
        'case.IN_PROCESS',
        'case.APPROVED',
        'case.RESULT_ISSUED',
        'case.COMPLETED',
      ]),
    );
    expect((await api('GET', `/dossiers/${s.dossierId}/timeline`, officerA)).status).toBe(200);
    expect((await api('GET', `/dossiers/${s.dossierId}/timeline`, otherCitizen)).status).toBe(404);
    expect((await api('GET', `/dossiers/${s.dossierId}/timeline`, officerOther)).status).toBe(404);
  });

  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  /** Sends `bytes` to the public document check (no token), as a verifier's browser does. */
  const checkDocument = async (code: string, bytes: Buffer, type = 'application/pdf') => {
    const res = await fetch(`${url}/verify/${code}/document`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: new Uint8Array(bytes),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** A decided case of agency P01 with its result issued: the case, its verification code and the stored PDF. */
  const issueResult = async () => {
    const { caseId, s } = await openCase();
    expect((await api('POST', `/cases/${caseId}/claim`, officerA)).status).toBe(200);
    expect(
      (await api('POST', `/cases/${caseId}/decision`, officerA, { outcome: 'APPROVED', reason: 'đủ điều kiện' }))
        .status,
    ).toBe(200);
    const issued = await api('POST', `/cases/${caseId}/result`, officerA);
    expect(issued.status).toBe(200);
    const code = (issued.body['resultDocument'] as { verificationCode: string }).verificationCode;
    const pdf = (await api('GET', `/cases/${caseId}/result`, citizen)).bytes;
    return { caseId, s, code, pdf };
  };
  const signedRow = async (code: string) =>
    (
      await db.query<{
        code: string;
        document_hash: string;
        agency_code: string;
        procedure_code: string;
        receipt_code: string | null;
        issued_at: string;
        kid: string;
        signature: Buffer;
      }>(`SELECT * FROM signed_results WHERE code = $1`, [code])
    ).rows[0];
  const fieldsOf = (r: NonNullable<Awaited<ReturnType<typeof signedRow>>>): SignedFields => ({
    code: r.code,
    documentHash: r.document_hash,
    agencyCode: r.agency_code,
    procedureCode: r.procedure_code,
    issuedAt: r.issued_at,
    receiptCode: r.receipt_code,
    kid: r.kid,
  });

  it('an issued result verifies publicly by its code: valid, its PDF matches, one changed byte does not', async () => {
    const { s, code, pdf } = await issueResult();
    const v = await api('GET', `/verify/${code}`);
    expect(v.status).toBe(200);
    expect(v.headers.get('cache-control')).toBe('no-store');
    expect(v.body).toEqual({
      code,
      status: 'valid',
      agency: 'P01',
      procedure: s.procedureCode,
      issuedAt: MONDAY.toISOString(),
      documentHash: sha256(pdf),
      kid: v.body['kid'],
      revokedAt: null,
    });
    // The key id is the RFC 7638 thumbprint: 43 base64url characters.
    expect(v.body['kid']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // As typed from the paper: grouped, lower case.
    expect((await api('GET', `/verify/${groupedCode(code).toLowerCase()}`)).body).toMatchObject({
      code,
      status: 'valid',
    });
    const same = await checkDocument(code, pdf);
    expect(same).toMatchObject({ status: 200, body: { status: 'valid', documentMatches: true } });
    const tampered = Buffer.from(pdf);
    const at = Math.floor(tampered.length / 2);
    tampered[at] = (tampered[at] ?? 0) ^ 0x01;
    expect((await checkDocument(code, tampered)).body).toMatchObject({ status: 'valid', documentMatches: false });
    // Another genuine result's file under this code does not match either.
    const other = await issueResult();
    expect((await checkDocument(code, other.pdf)).body).toMatchObject({ documentMatches: false });
    // Nothing personal in either answer: not the applicant's name, personal ID or receipt code.
    for (const answer of [v.body, same.body]) {
      const text = JSON.stringify(answer);
      for (const personal of [s.applicant.fullName, s.applicant.personalId, pid, s.receiptCode])
        expect(text).not.toContain(personal);
    }
  });

  it('unknown codes answer unknown; a malformed code, an oversized or mistyped upload are refused', async () => {
    const { pdf } = await issueResult();
    const unknown = newVerificationCode();
    expect(await api('GET', `/verify/${unknown}`)).toMatchObject({
      status: 200,
      body: { code: unknown, status: 'unknown', agency: null, procedure: null, issuedAt: null, documentHash: null },
    });
    expect((await checkDocument(unknown, pdf)).body).toMatchObject({ status: 'unknown', documentMatches: false });
    for (const bad of ['not-a-code', `${unknown}A`, unknown.replace(/.$/, '1')]) {
      const r = await api('GET', `/verify/${bad}`);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(r.body['message']).toMatch(/not a verification code/);
      expect(typeof r.body['correlationId']).toBe('string');
    }
    expect((await checkDocument(unknown, Buffer.alloc(1024 * 1024 + 1))).status).toBe(413);
    expect((await checkDocument(unknown, pdf, 'text/plain')).status).toBe(415);
    expect((await checkDocument(unknown, Buffer.alloc(0))).status).toBe(400);
  });

  it('an edited record, a re-signed record or a forged key is reported invalid, never valid', async () => {
    const { code, pdf } = await issueResult();
    const row = await signedRow(code);
    if (!row) throw new Error('no signed record');
    const expectInvalid = async (what: string, bytes = pdf) => {
      const v = await api('GET', `/verify/${code}`);
      expect({ what, body: v.body }).toMatchObject({
        what,
        body: { status: 'invalid', agency: null, documentHash: null },
      });
      expect((await checkDocument(code, bytes)).body).toMatchObject({ status: 'invalid', documentMatches: false });
    };
    const restore = async () => {
      await db.query(
        `UPDATE signed_results SET procedure_code = $2, document_hash = $3, kid = $4, signature = $5 WHERE code = $1`,
        [code, row.procedure_code, row.document_hash, row.kid, row.signature],
      );
      // The check is made on every read: the restored record is valid again (nothing was remembered as invalid).
      expect((await api('GET', `/verify/${code}`)).body).toMatchObject({ status: 'valid' });
    };

    await db.query(`UPDATE signed_results SET procedure_code = '9.999999' WHERE code = $1`, [code]);
    await expectInvalid('metadata edited');
    await restore();

    const forgedPdf = Buffer.concat([pdf, Buffer.from('% forged\n')]);
    await db.query(`UPDATE signed_results SET document_hash = $2 WHERE code = $1`, [code, sha256(forgedPdf)]);
    await expectInvalid("hash replaced by a forged document's", forgedPdf);
    await restore();

    // Someone without the agency's key signs modified metadata with a key of their own.
    const forger = generateKeyPairSync('ed25519');
    const forged = { ...fieldsOf(row), procedureCode: '9.999999' };
    await db.query(`UPDATE signed_results SET procedure_code = $2, signature = $3 WHERE code = $1`, [
      code,
      forged.procedureCode,
      sign(null, signedPayload(forged), forger.privateKey),
    ]);
    await expectInvalid('re-signed with another key');
    await restore();

    // ... and slips that key in as one of the agency's: without the KEK its seal cannot be made. The agency key's
    // own seal copied in names the right KEK, but it is bound to its row and does not open for another.
    const forgerKid = keyThumbprint(forger.publicKey);
    const [key] = (
      await db.query<{ private_sealed: string }>(`SELECT private_sealed FROM result_signing_keys WHERE kid = $1`, [
        row.kid,
      ])
    ).rows;
    expect(key?.private_sealed).toMatch(/^v2\./);
    await db.query(
      `INSERT INTO result_signing_keys (kid, agency_code, public_key, private_sealed, retired_at)
       VALUES ($1, 'P01', $2, $3, now())`,
      [forgerKid, forger.publicKey.export({ format: 'der', type: 'spki' }), key?.private_sealed],
    );
    const withForgedKey = { ...forged, kid: forgerKid };
    await db.query(`UPDATE signed_results SET procedure_code = $2, kid = $3, signature = $4 WHERE code = $1`, [
      code,
      withForgedKey.procedureCode,
      forgerKid,
      sign(null, signedPayload(withForgedKey), forger.privateKey),
    ]);
    await expectInvalid('signed with a key inserted into the key table');
    await restore();
  });

  it('the issuing agency revokes a result with a reason: the verification then answers revoked', async () => {
    const { caseId, code, pdf } = await issueResult();
    const revoke = (token: string, body: unknown) => api('POST', `/cases/${caseId}/result/revocation`, token, body);
    expect((await revoke(citizen, { reason: 'cấp nhầm' })).status).toBe(403);
    expect((await revoke(officerOther, { reason: 'cấp nhầm' })).status).toBe(404);
    expect((await revoke(officerA, {})).status).toBe(400);
    expect((await api('GET', `/verify/${code}`)).body).toMatchObject({ status: 'valid' });
    const done = await revoke(officerA2, { reason: 'Cấp nhầm, sẽ cấp lại' });
    expect(done).toMatchObject({ status: 200, body: { caseId, verificationCode: code, status: 'revoked' } });
    expect((await api('GET', `/verify/${code}`)).body).toMatchObject({
      status: 'revoked',
      agency: 'P01',
      revokedAt: MONDAY.toISOString(),
    });
    // The file is still the one the agency signed; the answer says it no longer stands.
    expect((await checkDocument(code, pdf)).body).toMatchObject({ status: 'revoked', documentMatches: true });
    expect((await revoke(officerA, { reason: 'lần nữa' })).status).toBe(409);
    const { rows } = await db.query(`SELECT revoked_by, revoke_reason FROM signed_results WHERE code = $1`, [code]);
    expect(rows).toEqual([{ revoked_by: 'officer:a2', revoke_reason: 'Cấp nhầm, sẽ cấp lại' }]);
    // A case without a signed result has nothing to revoke.
    const { caseId: open } = await openCase();
    expect((await api('POST', `/cases/${open}/result/revocation`, officerA, { reason: 'không có' })).status).toBe(409);
  });

  it("records officers' moves in the audit trail with the move, refusals apart, and shows operators the trail", async () => {
    const { caseId } = await openCase();
    const records = async (resource: string) =>
      (
        await db.query<{ action: string; outcome: string; actor_sub: string; reason: string | null; tx: string }>(
          `SELECT action, outcome, actor_sub, entry::jsonb ->> 'reason' AS reason, xmin::text AS tx FROM audit_trail
            WHERE entry::jsonb ->> 'resource' = $1 ORDER BY seq`,
          [resource],
        )
      ).rows;
    const moveTx = async (to: string) =>
      (
        await db.query<{ tx: string }>(
          `SELECT xmin::text AS tx FROM case_history WHERE case_id = $1 AND kind = 'MOVE' AND to_status = $2`,
          [caseId, to],
        )
      ).rows[0]?.tx;

    // Another agency's officer is refused with a 404; the refusal is recorded all the same.
    expect((await api('POST', `/cases/${caseId}/claim`, officerOther)).status).toBe(404);
    expect(await records(caseId)).toEqual([
      {
        action: 'case.claim',
        outcome: 'denied',
        actor_sub: 'officer:P79',
        reason: 'not yours',
        tx: expect.any(String) as unknown,
      },
    ]);

    expect((await api('POST', `/cases/${caseId}/claim`, officerA)).status).toBe(200);
    // A refused move (409) leaves no record.
    expect((await api('POST', `/cases/${caseId}/complete`, officerA)).status).toBe(409);
    expect(
      (await api('POST', `/cases/${caseId}/decision`, officerA, { outcome: 'REJECTED', reason: 'thiếu giấy tờ' }))
        .status,
    ).toBe(200);
    const moves = await records(`case:${caseId}`);
    expect(moves.map((r) => [r.action, r.outcome, r.actor_sub])).toEqual([
      ['case.claim', 'allowed', 'officer:a1'],
      ['case.decide', 'allowed', 'officer:a1'],
    ]);
    // Each record was written by the transaction of its move (the same transaction id as the move's history row).
    expect(moves[0]!.tx).toBe(await moveTx('IN_PROCESS'));
    expect(moves[1]!.tx).toBe(await moveTx('REJECTED'));
    const [decision] = (
      await db.query<{ details: unknown }>(
        `SELECT entry::jsonb -> 'details' AS details FROM audit_trail WHERE action = 'case.decide' AND entry::jsonb ->> 'resource' = $1`,
        [`case:${caseId}`],
      )
    ).rows;
    expect(decision?.details).toMatchObject({ outcome: 'REJECTED', reason: 'thiếu giấy tờ', status: 'REJECTED' });

    // The operators' view: officers are refused, the trail verifies, the newest entry first.
    expect((await api('GET', '/audit-trail', officerA)).status).toBe(403);
    expect((await api('GET', '/audit-trail')).status).toBe(401);
    const view = await api('GET', '/audit-trail?limit=1', await env.issuer.operator());
    expect(view.status).toBe(200);
    expect(view.body['verification']).toMatchObject({ ok: true });
    expect(view.body['entries']).toEqual([
      expect.objectContaining({
        action: 'case.decide',
        resource: `case:${caseId}`,
        actor: { sub: 'officer:a1', role: 'officer' },
      }),
    ]);
  });

  it('transfer keeps the due date at the new agency; withdrawal before a decision ends the case', async () => {
    const { caseId, s } = await openCase();
    const moved = await api('POST', `/cases/${caseId}/transfer`, officerA, {
      toAgencyCode: 'BTP',
      reason: 'liên thông',
    });
    expect(moved.body).toMatchObject({ status: 'TRANSFERRED', agencyCode: 'BTP', dueAt: '2026-03-05T10:00:00.000Z' });
    const ev = await tap.waitFor(
      'case.status-changed.v2',
      (e) => e.dossierId === s.dossierId && e.payload['to'] === 'TRANSFERRED',
    );
    expect(ev.payload['toAgencyCode']).toBe('BTP');
    const btp = await env.issuer.officer('BTP');
    expect((await api('POST', `/cases/${caseId}/claim`, officerA)).status).toBe(404);
    expect((await api('POST', `/cases/${caseId}/claim`, btp)).body).toMatchObject({ status: 'IN_PROCESS' });
    await publish('dossier.withdrawn.v1', { ...samplePayloads['dossier.withdrawn.v1'], dossierId: s.dossierId });
    await tap.waitFor('case.status-changed.v2', (e) => e.dossierId === s.dossierId && e.payload['to'] === 'WITHDRAWN');
  });
});
