import type { INestApplication } from '@nestjs/common';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { catalog, createEvent } from '@hoso/contracts';
import { EventProducer, MessagingService } from '@hoso/messaging';
import { createServiceApp } from '@hoso/nest-kit';
import { createTestEnvironment, type TestEnvironment } from '@hoso/nest-kit/testing';
import { eventually, testEnv } from '@hoso/testing';
import { AppModule } from '../app.module';
import { loadConfig } from '../config';
import { scenario } from '../testing/scenario';
import { PublishSnapshots, type SnapshotReport } from './snapshot.handler';

jest.setTimeout(90_000);

interface TrailRow {
  outcome: string;
  actor: { sub: string; role: string } | null;
  resource: string | null;
  reason: string | null;
  correlationId: string | null;
  details: Record<string, unknown> | null;
  recordedAt: string;
}

/**
 * An operator's publish of the completion-rate snapshots is recorded in the audit trail once, by the transaction
 * that adds the snapshots to the outbox, naming the operator; a refused or rolled-back publish and the schedule's
 * own runs leave no record; the chain verifies afterwards.
 */
describe('metrics: audit trail of the operators’ snapshot publish (real Kafka, PostgreSQL, Redis)', () => {
  let env: TestEnvironment;
  let app: INestApplication;
  let url: string;
  let ds: DataSource;
  let operator: string;
  // The scenario's events lie up to an hour before now: in the first hours of a Vietnamese month they would fall in
  // the previous month and the snapshot would have nothing to publish, so then the service's clock runs 3 h ahead.
  const vnNow = new Date(Date.now() + 7 * 3600_000);
  const shiftMs = vnNow.getUTCDate() === 1 && vnNow.getUTCHours() < 3 ? 3 * 3600_000 : 0;
  const clock = { now: () => new Date(Date.now() + shiftMs) };

  beforeAll(async () => {
    env = await createTestEnvironment(['metrics']);
    const config = loadConfig({
      // Development mode: the pool may connect as the local server's superuser.
      HOSO_DEV_MODE: '1',
      DATABASE_URL: testEnv.DATABASE_URL,
      METRICS_DATABASE_URL: env.databases['metrics'],
      ...env.kafkaEnv('metrics'),
      KAFKA_BROKERS: env.brokers.join(','),
      REDIS_URL: env.redisUrl,
      AUTH_JWKS_URL: env.issuer.jwksUrl,
      KAFKA_TOPIC_PREFIX: env.topicPrefix,
      KAFKA_GROUP_ID: `${env.topicPrefix}metrics`,
      SNAPSHOT_EVERY_SEC: '3600',
      LOG_LEVEL: 'silent',
    });
    const logger = pino({ level: 'silent' });
    app = await createServiceApp(AppModule.forRoot(config, logger, { clock }), {
      name: 'metrics',
      title: 't',
      description: 't',
      logger,
    });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer() as { address(): { port: number } }).address().port}`;
    ds = app.get(DataSource);
    operator = await env.issuer.operator();

    // Facts to publish: a snapshot of an empty projection has no rows, and then no outbox row to tie the record to.
    const { events } = scenario(clock.now());
    const producer = new EventProducer(env.kafka);
    await producer.connect();
    try {
      await producer.sendBatch(
        events.map((e) => {
          const event = createEvent(catalog, e.topic, e.payload as never, {
            dossierId: (e.payload as { dossierId: string }).dossierId,
            correlationId: `test-${uuidv7()}`,
            producer: 'test',
          });
          return { topic: `${env.topicPrefix}${e.topic}`, key: event.dossierId ?? '', value: JSON.stringify(event) };
        }),
      );
    } finally {
      await producer.disconnect();
    }
    await eventually('every scenario event projected', async () => {
      const [r] = await ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM messaging_inbox`);
      return r!.n === events.length;
    });
  });

  afterAll(async () => {
    await app.close();
    await env.close();
  });

  const publish = async (token: string | null, correlationId: string) => {
    const res = await fetch(`${url}/snapshots`, {
      method: 'POST',
      headers: { 'x-correlation-id': correlationId, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const publishes = async (): Promise<TrailRow[]> =>
    (
      await ds.query<{ entry: string; recorded_at: string }[]>(
        // As text: to the microsecond, which a Date would cut to the millisecond.
        `SELECT entry, recorded_at::text AS recorded_at FROM audit_trail WHERE action = 'snapshots.publish' ORDER BY seq`,
      )
    ).map((r) => {
      const e = JSON.parse(r.entry) as Omit<TrailRow, 'recordedAt'>;
      return {
        outcome: e.outcome,
        actor: e.actor,
        resource: e.resource,
        reason: e.reason,
        correlationId: e.correlationId,
        details: e.details,
        recordedAt: r.recorded_at,
      };
    });
  /** The start times of the transactions that added this correlation id's snapshots to the outbox. */
  const outboxTransactions = async (correlationId: string) =>
    (
      await ds.query<{ started_at: string; n: number }[]>(
        `SELECT created_at::text AS started_at, count(*)::int AS n FROM messaging_outbox
          WHERE headers ->> 'hoso-correlation-id' = $1 GROUP BY created_at`,
        [correlationId],
      )
    ).map((r) => ({ startedAt: r.started_at, rows: r.n }));

  it('records the operator’s publish once, with its snapshots, and the chain verifies', async () => {
    expect((await publish(await env.issuer.officer('P01'), 'snap-audit-officer')).status).toBe(403);
    expect((await publish(null, 'snap-audit-anonymous')).status).toBe(401);
    expect(await publishes()).toEqual([]);

    const res = await publish(operator, 'snap-audit-1');
    expect(res.status).toBe(202);
    const report = res.body as unknown as SnapshotReport;
    // national + 2 provinces + 2 agencies + 2 procedures of the scenario
    expect(report.published).toBe(7);

    const [entry, ...more] = await publishes();
    expect(more).toEqual([]);
    expect(entry).toEqual({
      outcome: 'allowed',
      actor: { sub: 'operator:1', role: 'operator' },
      resource: `snapshots:${report.period.from.slice(0, 7)}`,
      reason: null,
      correlationId: 'snap-audit-1',
      details: { published: 7, period: report.period, snapshotAt: report.snapshotAt },
      recordedAt: expect.any(String) as unknown,
    });
    // Both defaults are now(), the start of the writing transaction: one start time for the record and all seven
    // outbox rows means one transaction.
    expect(await outboxTransactions('snap-audit-1')).toEqual([{ startedAt: entry!.recordedAt, rows: 7 }]);

    const count = (await ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM audit_trail`))[0]!.n;
    const view = await fetch(`${url}/audit-trail?limit=500`, { headers: { authorization: `Bearer ${operator}` } });
    expect(view.status).toBe(200);
    const trail = (await view.json()) as { verification: unknown; entries: Record<string, unknown>[] };
    expect(trail.verification).toEqual({
      ok: true,
      entries: count,
      headHash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
    });
    expect(trail.entries.filter((e) => e['action'] === 'snapshots.publish')).toEqual([
      expect.objectContaining({
        actor: { sub: 'operator:1', role: 'operator' },
        resource: `snapshots:${report.period.from.slice(0, 7)}`,
        correlationId: 'snap-audit-1',
      }),
    ]);
  });

  it('leaves no record of a publish that rolled back', async () => {
    const before = await publishes();
    const outbox = app.get(MessagingService).outbox;
    const addMany = jest.spyOn(outbox, 'addMany').mockRejectedValueOnce(new Error('outbox write failed'));
    try {
      expect((await publish(operator, 'snap-audit-rolled-back')).status).toBe(500);
    } finally {
      addMany.mockRestore();
    }
    expect(await publishes()).toEqual(before);
    expect(await outboxTransactions('snap-audit-rolled-back')).toEqual([]);
  });

  it('does not record the schedule’s runs, which no one decides', async () => {
    const before = await publishes();
    const r = await app.get(PublishSnapshots).run('snapshot-scheduled-test');
    expect(r.published).toBe(7);
    expect(await outboxTransactions('snapshot-scheduled-test')).toEqual([
      { startedAt: expect.any(String) as unknown, rows: 7 },
    ]);
    expect(await publishes()).toEqual(before);
  });
});
