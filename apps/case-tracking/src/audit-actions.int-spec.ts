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
import { createTestEnvironment, type TestEnvironment } from '@hoso/nest-kit/testing';
import { eventually, testEnv } from '@hoso/testing';
import { AppModule } from './app.module';
import { loadConfig } from './config';

const MONDAY = new Date('2026-03-02T09:00:00+07:00');

/** One audit_trail row as these tests compare it, with the id of the transaction that wrote it. */
interface TrailRow {
  seq: number;
  action: string;
  outcome: string;
  actor: { sub: string; role: string } | null;
  resource: string | null;
  reason: string | null;
  correlationId: string | null;
  details: Record<string, unknown> | null;
  tx: string;
}

/**
 * The officers' transfer, result issue, completion and result revocation each leave exactly one audit entry, written
 * by the transaction that makes the change, naming who did it and to what; refused attempts leave none; and the
 * trail's hash chain still verifies afterwards. The app is set up as in case-tracking.int-spec.ts (that file keeps
 * its harness to itself), on a database of its own, so the whole trail here is this file's doing.
 */
describe('case-tracking audit trail of transfers, result issues, completions and revocations', () => {
  let env: TestEnvironment;
  let app: INestApplication;
  let url: string;
  let producer: EventProducer;
  let db: Client;
  const pid = '001099000789';
  let officerA1: string;
  let officerA2: string;
  let officerA3: string;
  let officerOther: string;
  let operator: string;

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
      // Real-time SLA timers: none fires while the test runs, so nothing but the officers' moves touches the cases.
      SLA_TIME_SCALE: '1',
      NOTIFY_BACKOFF_MS: '100',
    });
    app = await createServiceApp(AppModule.forRoot(config, logger, { clock: { now: () => MONDAY } }), {
      name: 'case-tracking',
      title: 't',
      description: 't',
      logger,
    });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer() as { address(): { port: number } }).address().port}`;
    producer = new EventProducer(env.kafka);
    await producer.connect();
    db = new Client({ connectionString: env.databases['case'] });
    await db.connect();
    officerA1 = await env.issuer.officer('P01', { sub: 'officer:a1' });
    officerA2 = await env.issuer.officer('P01', { sub: 'officer:a2' });
    officerA3 = await env.issuer.officer('P01', { sub: 'officer:a3' });
    officerOther = await env.issuer.officer('P79');
    operator = await env.issuer.operator();
  });

  afterAll(async () => {
    await db.end();
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
  };
  const api = async (method: string, path: string, token?: string, body?: unknown, correlationId?: string) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(correlationId ? { 'x-correlation-id': correlationId } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };

  /** A dossier of agency P01, submitted, verified and fee-waived: the case it opens. */
  async function openCase() {
    const s: Payload<'dossier.submitted.v1'> = {
      ...samplePayloads['dossier.submitted.v1'],
      dossierId: uuidv7(),
      agencyCode: 'P01',
      provinceCode: '01',
      processingWorkingDays: 3,
      applicant: { ...samplePayloads['dossier.submitted.v1'].applicant, personalId: pid },
    };
    await publish('dossier.submitted.v1', s);
    await publish('identity.verified.v1', {
      dossierId: s.dossierId,
      personalId: pid,
      vneidLevel: 2,
      verifiedAt: MONDAY.toISOString(),
    });
    await publish('payment.waived.v1', {
      dossierId: s.dossierId,
      reason: 'ZERO_FEE',
      baseAmountVnd: 0,
      waivedAt: MONDAY.toISOString(),
    });
    const caseId = await eventually('the case opened', async () => {
      const { rows } = await db.query<{ id: string }>(`SELECT id FROM cases WHERE dossier_id = $1`, [s.dossierId]);
      return rows[0]?.id;
    });
    return { caseId, dossierId: s.dossierId };
  }

  /** The stored entries of one action, oldest first, with the transaction id (xmin) of each. */
  const entries = async (action: string): Promise<TrailRow[]> =>
    (
      await db.query<{ seq: string; entry: string; tx: string }>(
        `SELECT seq::text AS seq, entry, xmin::text AS tx FROM audit_trail WHERE action = $1 ORDER BY seq`,
        [action],
      )
    ).rows.map((r) => {
      const e = JSON.parse(r.entry) as Omit<TrailRow, 'seq' | 'tx'>;
      return {
        seq: Number(r.seq),
        action: e.action,
        outcome: e.outcome,
        actor: e.actor,
        resource: e.resource,
        reason: e.reason,
        correlationId: e.correlationId,
        details: e.details,
        tx: r.tx,
      };
    });
  /** The transaction id of the history row of the case's move to `to`: the one the move's audit entry must share. */
  const moveTx = async (caseId: string, to: string) => {
    const { rows } = await db.query<{ tx: string }>(
      `SELECT xmin::text AS tx FROM case_history WHERE case_id = $1 AND kind = 'MOVE' AND to_status = $2`,
      [caseId, to],
    );
    expect(rows).toHaveLength(1);
    return rows[0]!.tx;
  };
  /**
   * The operators' view of the trail (its entries, newest first), once its chain verified over every stored entry:
   * the count is read from the table, not from the view, so a view that skipped entries would not pass.
   */
  const verifiedTrail = async () => {
    const [{ n } = { n: -1 }] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail`)).rows;
    const view = await api('GET', '/audit-trail?limit=500', operator);
    expect(view.status).toBe(200);
    expect(view.body['verification']).toEqual({
      ok: true,
      entries: n,
      headHash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
    });
    return view.body['entries'] as (Record<string, unknown> & { seq: number; action: string })[];
  };

  it('records a transfer once, in its move, by the transferring officer, with both agencies; a refused one not', async () => {
    const { caseId, dossierId } = await openCase();
    expect((await api('POST', `/cases/${caseId}/claim`, officerA1)).status).toBe(200);
    // Claimed by a1: another officer of the agency may not send it away (403), and that leaves no record.
    const refused = await api('POST', `/cases/${caseId}/transfer`, officerA2, { toAgencyCode: 'BTP', reason: 'x' });
    expect(refused.status).toBe(403);
    expect(await entries('case.transfer')).toEqual([]);

    const moved = await api(
      'POST',
      `/cases/${caseId}/transfer`,
      officerA1,
      { toAgencyCode: 'BTP', reason: 'liên thông' },
      'audit-transfer-1',
    );
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ status: 'TRANSFERRED', agencyCode: 'BTP' });

    const [transfer, ...more] = await entries('case.transfer');
    expect(more).toEqual([]);
    expect(transfer).toEqual({
      seq: expect.any(Number) as unknown,
      action: 'case.transfer',
      outcome: 'allowed',
      actor: { sub: 'officer:a1', role: 'officer' },
      resource: `case:${caseId}`,
      reason: null,
      correlationId: 'audit-transfer-1',
      details: {
        dossierId,
        status: 'TRANSFERRED',
        fromAgencyCode: 'P01',
        toAgencyCode: 'BTP',
        reason: 'liên thông',
      },
      tx: await moveTx(caseId, 'TRANSFERRED'),
    });

    const trail = await verifiedTrail();
    expect(trail[0]).toMatchObject({
      seq: transfer!.seq,
      action: 'case.transfer',
      actor: { sub: 'officer:a1', role: 'officer' },
      resource: `case:${caseId}`,
    });
  });

  it('records a result issue, a completion and a revocation once each, by their officers, in their transactions', async () => {
    const { caseId, dossierId } = await openCase();
    expect((await api('POST', `/cases/${caseId}/claim`, officerA1)).status).toBe(200);
    expect(
      (await api('POST', `/cases/${caseId}/decision`, officerA1, { outcome: 'APPROVED', reason: 'đủ điều kiện' }))
        .status,
    ).toBe(200);
    // Refused moves (no result yet, no signed result yet) leave no record of a completion or a revocation.
    expect((await api('POST', `/cases/${caseId}/complete`, officerA1)).status).toBe(409);
    expect((await api('POST', `/cases/${caseId}/result/revocation`, officerA1, { reason: 'chưa có' })).status).toBe(
      409,
    );
    expect(await entries('case.complete')).toEqual([]);
    expect(await entries('case.result.revoke')).toEqual([]);

    // Three officers, one action each: every entry must name the one who acted, not whoever claimed the case.
    const issued = await api('POST', `/cases/${caseId}/result`, officerA2, undefined, 'audit-issue-1');
    expect(issued.status).toBe(200);
    const doc = issued.body['resultDocument'] as { sha256: string; verificationCode: string };
    const [signed] = (
      await db.query<{ kid: string }>(`SELECT kid FROM signed_results WHERE code = $1`, [doc.verificationCode])
    ).rows;
    expect(await entries('case.issue-result')).toEqual([
      {
        seq: expect.any(Number) as unknown,
        action: 'case.issue-result',
        outcome: 'allowed',
        actor: { sub: 'officer:a2', role: 'officer' },
        resource: `case:${caseId}`,
        reason: null,
        correlationId: 'audit-issue-1',
        details: {
          dossierId,
          outcome: 'APPROVED',
          verificationCode: doc.verificationCode,
          documentHash: doc.sha256,
          kid: signed?.kid,
        },
        tx: await moveTx(caseId, 'RESULT_ISSUED'),
      },
    ]);

    const completed = await api('POST', `/cases/${caseId}/complete`, officerA1, undefined, 'audit-complete-1');
    expect(completed.body).toMatchObject({ status: 'COMPLETED' });
    expect(await entries('case.complete')).toEqual([
      {
        seq: expect.any(Number) as unknown,
        action: 'case.complete',
        outcome: 'allowed',
        actor: { sub: 'officer:a1', role: 'officer' },
        resource: `case:${caseId}`,
        reason: null,
        correlationId: 'audit-complete-1',
        details: { dossierId, outcome: 'APPROVED' },
        tx: await moveTx(caseId, 'COMPLETED'),
      },
    ]);

    // Another agency's officer is refused (404) before anything is revoked: recorded as denied, not as a revocation.
    expect(
      (await api('POST', `/cases/${caseId}/result/revocation`, officerOther, { reason: 'không phải' })).status,
    ).toBe(404);
    const revoked = await api(
      'POST',
      `/cases/${caseId}/result/revocation`,
      officerA3,
      { reason: 'Cấp nhầm, sẽ cấp lại' },
      'audit-revoke-1',
    );
    expect(revoked).toMatchObject({ status: 200, body: { status: 'revoked', verificationCode: doc.verificationCode } });
    // A second revocation is refused (409) and rolls back: still one record.
    expect((await api('POST', `/cases/${caseId}/result/revocation`, officerA1, { reason: 'lần nữa' })).status).toBe(
      409,
    );
    const revocations = await entries('case.result.revoke');
    // The revocation's transaction is the one that last wrote the signed record (its revoked_at).
    const [record] = (
      await db.query<{ tx: string; revoked_by: string }>(
        `SELECT xmin::text AS tx, revoked_by FROM signed_results WHERE code = $1`,
        [doc.verificationCode],
      )
    ).rows;
    expect(record?.revoked_by).toBe('officer:a3');
    // In the order written: the other agency's refusal first, then the one revocation, by the revoking officer.
    expect(revocations).toEqual([
      {
        seq: expect.any(Number) as unknown,
        action: 'case.result.revoke',
        outcome: 'denied',
        actor: { sub: 'officer:P79', role: 'officer' },
        resource: caseId,
        reason: 'not yours',
        correlationId: null,
        details: null,
        tx: expect.any(String) as unknown,
      },
      {
        seq: expect.any(Number) as unknown,
        action: 'case.result.revoke',
        outcome: 'allowed',
        actor: { sub: 'officer:a3', role: 'officer' },
        resource: `${caseId}/result/${doc.verificationCode}`,
        reason: 'Cấp nhầm, sẽ cấp lại',
        correlationId: 'audit-revoke-1',
        details: null,
        tx: record?.tx,
      },
    ]);

    // The chain holds over every entry, and the operators see the three actions newest first.
    const trail = await verifiedTrail();
    const ours = trail.filter(
      (e) =>
        ['case.issue-result', 'case.complete', 'case.result.revoke'].includes(e.action) && e['outcome'] === 'allowed',
    );
    expect(ours.map((e) => [e.action, (e['actor'] as { sub: string }).sub])).toEqual([
      ['case.result.revoke', 'officer:a3'],
      ['case.complete', 'officer:a1'],
      ['case.issue-result', 'officer:a2'],
    ]);
  });
});
