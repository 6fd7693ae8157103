import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { catalog, createEvent, samplePayloads, type Envelope, type Payload, type Topic } from '@hoso/contracts';
import { EventProducer, MessagingService } from '@hoso/messaging';
import { duplicatesSeen, reannounce, sendEvents, settledSnapshot, snapshotTables } from '@hoso/messaging/testing';
import { createServiceApp } from '@hoso/nest-kit';
import { createTestEnvironment, type TestEnvironment } from '@hoso/nest-kit/testing';
import { eventually, testEnv } from '@hoso/testing';
import { AppModule } from './app.module';
import { loadConfig } from './config';

jest.setTimeout(90_000);

const MONDAY = new Date('2026-03-02T09:00:00+07:00');

/**
 * Every fact case-tracking consumes, announced again under new event ids (a producer retry, a replay from another
 * source): no second case, no second dossier event, notification or outbox event — nothing changes.
 */
describe('case-tracking: re-announced facts change nothing', () => {
  let env: TestEnvironment;
  let app: INestApplication;
  let ds: DataSource;
  let producer: EventProducer;

  beforeAll(async () => {
    env = await createTestEnvironment(['case']);
    const config = loadConfig({
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
      NOTIFY_BACKOFF_MS: '100',
    });
    const logger = pino({ level: 'silent' });
    app = await createServiceApp(AppModule.forRoot(config, logger, { clock: { now: () => MONDAY } }), {
      name: 'case-tracking',
      title: 't',
      description: 't',
      logger,
    });
    await app.init();
    ds = app.get(DataSource);
    producer = new EventProducer(env.kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await app.close();
    await env.close();
  });

  const event = <T extends Topic>(topic: T, payload: Payload<T>): { topic: Topic; event: Envelope } => ({
    topic,
    event: createEvent(catalog, topic, payload, {
      dossierId: (payload as { dossierId: string }).dossierId,
      correlationId: `facts-${uuidv7()}`,
      producer: 'test',
    }),
  });
  const submitted = (): Payload<'dossier.submitted.v1'> => ({
    ...samplePayloads['dossier.submitted.v1'],
    dossierId: uuidv7(),
    agencyCode: 'P01',
    provinceCode: '01',
    processingWorkingDays: 3,
  });
  const verified = (s: Payload<'dossier.submitted.v1'>) =>
    event('identity.verified.v1', {
      dossierId: s.dossierId,
      personalId: s.applicant.personalId,
      vneidLevel: 2,
      verifiedAt: MONDAY.toISOString(),
    });

  it('opens, ends and records each dossier once, however often each fact is announced', async () => {
    const waived = submitted();
    const paid = submitted();
    const rejected = submitted();
    const unpaid = submitted();
    const withdrawn = submitted();
    const paymentId = uuidv7();
    const events = [
      event('dossier.submitted.v1', waived),
      verified(waived),
      event('payment.waived.v1', {
        dossierId: waived.dossierId,
        reason: 'ZERO_FEE',
        baseAmountVnd: 0,
        waivedAt: MONDAY.toISOString(),
      }),
      event('dossier.submitted.v1', paid),
      verified(paid),
      event('payment.completed.v1', {
        dossierId: paid.dossierId,
        paymentId,
        amountVnd: 8000,
        method: 'CARD',
        online: true,
        gatewayReference: 'gw-1',
        completedAt: MONDAY.toISOString(),
      }),
      event('dossier.submitted.v1', rejected),
      event('identity.rejected.v1', {
        dossierId: rejected.dossierId,
        personalId: rejected.applicant.personalId,
        reason: 'NOT_FOUND',
        detail: 'not in the registry',
        rejectedAt: MONDAY.toISOString(),
      }),
      event('dossier.submitted.v1', unpaid),
      verified(unpaid),
      event('payment.failed.v1', {
        dossierId: unpaid.dossierId,
        paymentId: uuidv7(),
        reason: 'EXPIRED',
        detail: 'not paid in time',
        final: true,
        failedAt: MONDAY.toISOString(),
      }),
      event('dossier.submitted.v1', withdrawn),
      event('dossier.withdrawn.v1', {
        dossierId: withdrawn.dossierId,
        receiptCode: withdrawn.receiptCode,
        agencyCode: withdrawn.agencyCode,
        reason: 'nộp nhầm',
        withdrawnAt: MONDAY.toISOString(),
      }),
    ];
    const stats = () => app.get(MessagingService).consumer?.stats;
    const handled = () => (stats()?.processed ?? 0) + (stats()?.deadLettered ?? 0);
    const handledBefore = handled();
    await sendEvents(producer, catalog, env.topicPrefix, events);
    // Topics are read side by side, so a fact may come before the one it follows (a handler may refuse it).
    await eventually('every fact handled', () => Promise.resolve(handled() - handledBefore >= events.length));
    // The facts did something: a case for each dossier that was verified and settled, and its notification sent.
    await eventually('the cases opened and their citizens told', async () => {
      const cases = await ds.query<{ dossier_id: string }[]>('SELECT dossier_id FROM cases');
      const told = await ds.query<{ dossier_id: string }[]>('SELECT DISTINCT dossier_id FROM mailbox');
      const opened = [waived.dossierId, paid.dossierId].sort();
      return (
        JSON.stringify(cases.map((c) => c.dossier_id).sort()) === JSON.stringify(opened) &&
        JSON.stringify(told.map((c) => c.dossier_id).sort()) === JSON.stringify(opened)
      );
    });
    const query = (sql: string, p?: unknown[]) => ds.query(sql, p);
    const before = await settledSnapshot(query);

    const duplicates = stats()?.duplicates ?? 0;
    const again = events.map(({ topic, event: e }) => ({ topic, event: reannounce(catalog, topic, e) }));
    await sendEvents(producer, catalog, env.topicPrefix, again);
    await duplicatesSeen(stats, duplicates, again.length);
    expect(await snapshotTables(query)).toEqual(before);
  });
});
