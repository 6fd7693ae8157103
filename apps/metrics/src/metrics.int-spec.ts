import type { INestApplication } from '@nestjs/common';
import pino from 'pino';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { catalog, createEvent, type Envelope } from '@hoso/contracts';
import { EventProducer, MessagingService } from '@hoso/messaging';
import { createServiceApp } from '@hoso/nest-kit';
import { createTestEnvironment, EventTap, type TestEnvironment } from '@hoso/nest-kit/testing';
import { eventually, testEnv } from '@hoso/testing';
import { AppModule } from './app.module';
import { loadConfig } from './config';
import { replayAndCompare, compareProjections } from './replay/replay';
import { vnDay, vnMonthOf } from './rates/domain/period';
import { addDays } from './rates/domain/trend';
import { SnapshotJobs } from './snapshots/snapshot-jobs';
import { expected, scenario, type ScriptedEvent } from './testing/scenario';
import { createDataSource } from '@hoso/persistence';

jest.setTimeout(90_000);

interface Row {
  key: string;
  counts: Record<string, number>;
  rates: Record<string, number | null>;
}

describe('metrics service (real Kafka, PostgreSQL, Redis)', () => {
  let env: TestEnvironment;
  let app: INestApplication;
  let tap: EventTap;
  let producer: EventProducer;
  let groupId: string;
  let operator: string;
  const sent: Envelope[] = [];
  // The scripted events lie up to an hour before `now`. In the first hours of a Vietnamese month they would fall
  // in the previous month and miss this month's snapshot, so then the test (and the service's clock) runs 3 h ahead.
  const vnNow = new Date(Date.now() + 7 * 3600_000);
  const shiftMs = Number(
    process.env['METRICS_TEST_SHIFT_MS'] ?? (vnNow.getUTCDate() === 1 && vnNow.getUTCHours() < 3 ? 3 * 3600_000 : 0),
  );
  const clock = { now: () => new Date(Date.now() + shiftMs) };
  const now = clock.now();

  const http = () => request(app.getHttpServer() as Parameters<typeof request>[0]);
  const send = async (events: { topic: string; event: Envelope }[]) => {
    await producer.sendBatch(
      events.map(({ topic, event }) => ({
        topic: `${env.topicPrefix}${topic}`,
        key: event.dossierId ?? '',
        value: JSON.stringify(event),
      })),
    );
  };
  const rates = async (groupBy: string, token = operator): Promise<Row[]> => {
    const res = await http().get(`/rates?groupBy=${groupBy}`).set('Authorization', `Bearer ${token}`).expect(200);
    return (res.body as { rows: Row[] }).rows;
  };
  const national = async () => (await rates('national'))[0];

  beforeAll(async () => {
    env = await createTestEnvironment(['metrics']);
    groupId = `${env.topicPrefix}metrics`;
    const config = loadConfig({
      // Development mode: the pool connects as the test server's superuser (docs/security.md, "Database roles").
      HOSO_DEV_MODE: '1',
      DATABASE_URL: testEnv.DATABASE_URL,
      METRICS_DATABASE_URL: env.databases['metrics'],
      ...env.kafkaEnv('metrics'),
      KAFKA_BROKERS: env.brokers.join(','),
      REDIS_URL: env.redisUrl,
      AUTH_JWKS_URL: env.issuer.jwksUrl,
      KAFKA_TOPIC_PREFIX: env.topicPrefix,
      KAFKA_GROUP_ID: groupId,
      KNOWN_GROUPS: `${groupId},${env.topicPrefix}nobody`,
      SNAPSHOT_EVERY_SEC: '3600',
      OPS_SAMPLE_EVERY_MS: '250',
      LOG_LEVEL: 'silent',
    });
    const logger = pino({ level: 'silent' });
    app = await createServiceApp(AppModule.forRoot(config, logger, { clock }), {
      name: 'metrics',
      title: 't',
      description: 't',
      logger,
    });
    await app.init();
    tap = await new EventTap(env, ['metrics.completion-rate.v1']).start();
    producer = new EventProducer(env.kafka);
    await producer.connect();
    operator = await env.issuer.operator();

    const { events } = scenario(now);
    const envelopes = events.map((e: ScriptedEvent) => ({
      topic: e.topic,
      event: createEvent(catalog, e.topic, e.payload as never, {
        dossierId: (e.payload as { dossierId: string }).dossierId,
        correlationId: `test-${uuidv7()}`,
        producer: 'test',
      }),
    }));
    sent.push(...envelopes.map((e) => e.event));
    await send(envelopes);
    // A poison message: the consumer dead-letters it and the projection never sees it.
    await producer.sendBatch([{ topic: `${env.topicPrefix}dossier.submitted.v1`, key: 'x', value: 'not json' }]);
  });

  afterAll(async () => {
    await tap.stop();
    await producer.disconnect();
    await app.close();
    await env.close();
  });

  it('projects the scripted dossiers into the hand-computed counts and rates, per dimension', async () => {
    // Every scripted event is in the inbox (each topic is consumed on its own, so no single count says "done").
    const ds = app.get(DataSource);
    await eventually('every scripted event projected', async () => {
      const [r] = await ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM messaging_inbox`);
      return r!.n === sent.length;
    });
    const row = (await national())!;
    expect(row.counts).toEqual(expected.national.counts);
    for (const [k, v] of Object.entries(expected.national.rates)) expect(row.rates[k]).toBeCloseTo(v, 10);

    const keysOf = {
      province: ['01', '79'],
      agency: ['P01', 'P79'],
      procedure: ['PROC-A', 'PROC-B'],
      level: ['FULL', 'PARTIAL'],
    };
    for (const [groupBy, [k01, k79]] of Object.entries(keysOf)) {
      const rows = await rates(groupBy);
      expect(rows.map((r) => r.key)).toEqual([k01, k79].sort());
      const r01 = rows.find((r) => r.key === k01)!;
      const r79 = rows.find((r) => r.key === k79)!;
      expect(r01.counts).toEqual(expected.g01.counts);
      expect(r79.counts).toEqual(expected.g79.counts);
      for (const [k, v] of Object.entries(expected.g01.rates)) expect(r01.rates[k]).toBeCloseTo(v, 10);
      for (const [k, v] of Object.entries(expected.g79.rates)) {
        if (v === null) expect(r79.rates[k]).toBeNull();
        else expect(r79.rates[k]).toBeCloseTo(v, 10);
      }
    }
  });

  it('filters by Vietnam day: a range before the events is empty, today is the whole scenario', async () => {
    const res = await http()
      .get('/rates/summary?from=2020-01-01&to=2020-01-31')
      .set('Authorization', `Bearer ${operator}`)
      .expect(200);
    const body = res.body as Row;
    expect(body.counts['submitted']).toBe(0);
    expect(body.counts['overdue']).toBe(1); // overdue is "now", whatever the period
    expect(body.rates['completion']).toBeNull();
    // The scenario's events lie within the last hour: these Vietnam days hold all of them.
    const from = vnDay(new Date(now.getTime() - 3600_000));
    const t = await http()
      .get(`/rates/summary?from=${from}&to=${vnDay(now)}`)
      .set('Authorization', `Bearer ${operator}`)
      .expect(200);
    expect((t.body as Row).counts).toEqual(expected.national.counts);
    await http().get('/rates?groupBy=city').set('Authorization', `Bearer ${operator}`).expect(400);
    await http().get('/rates?from=2026-02-30').set('Authorization', `Bearer ${operator}`).expect(400);
  });

  it('gives the trend of the rates per day, week and month, each point computed as /rates computes its range', async () => {
    interface Point extends Omit<Row, 'key'> {
      period: string;
      from: string;
      to: string;
    }
    const get = async (query: string, token = operator) =>
      (await http().get(`/rates/trend?${query}`).set('Authorization', `Bearer ${token}`).expect(200)).body as {
        scope: string;
        code: string | null;
        period: string;
        from: string;
        to: string;
        points: Point[];
      };
    const summary = async (from: string, to: string, token = operator) =>
      (await http().get(`/rates/summary?from=${from}&to=${to}`).set('Authorization', `Bearer ${token}`).expect(200))
        .body as Row;
    const withoutOverdue = ({ overdue: _overdue, ...counts }: Record<string, number>) => counts;
    const today = vnDay(now);
    const month = vnMonthOf(now).fromDay;

    // One point over this month: exactly the summary of the same days ("overdue" is "now": not in a trend).
    const m = await get(`period=month&from=${month}&to=${today}`);
    expect(m).toMatchObject({ scope: 'national', code: null, period: 'month', from: month, to: today });
    expect(m.points).toHaveLength(1);
    const whole = await summary(month, today);
    expect(m.points[0]).toEqual({
      period: month,
      from: month,
      to: today,
      counts: withoutOverdue(whole.counts),
      rates: whole.rates,
    });

    // Days: every count falls on exactly one day, so the points add up to the range.
    const from = addDays(today, -2);
    const d = await get(`period=day&from=${from}&to=${today}`);
    expect(d.points.map((p) => p.period)).toEqual([from, addDays(today, -1), today]);
    const added: Record<string, number> = {};
    for (const p of d.points) for (const [k, v] of Object.entries(p.counts)) added[k] = (added[k] ?? 0) + v;
    expect(added).toEqual(withoutOverdue((await summary(from, today)).counts));
    expect(added['submitted']).toBe(expected.national.counts.submitted);

    // Default: the last 12 ISO weeks, Mondays, the last one holding today.
    const w = await get('period=week');
    expect(w.points).toHaveLength(12);
    expect(w.points.every((p) => new Date(`${p.period}T00:00:00Z`).getUTCDay() === 1)).toBe(true);
    expect(w.points[11]!.to).toBe(today);

    // One province, and an officer's own agency.
    const p79 = await get(`scope=province&code=79&period=month&from=${month}&to=${today}`);
    const province = (
      await http()
        .get(`/rates?groupBy=province&from=${month}&to=${today}`)
        .set('Authorization', `Bearer ${operator}`)
        .expect(200)
    ).body as { rows: Row[] };
    const r79 = province.rows.find((r) => r.key === '79')!;
    expect(p79.points[0]).toMatchObject({ counts: withoutOverdue(r79.counts), rates: r79.rates });
    const officer = await env.issuer.officer('P01');
    const own = await get(`period=month&from=${month}&to=${today}`, officer);
    expect(own.points[0]!.counts).toEqual(withoutOverdue((await summary(month, today, officer)).counts));
    expect(own.points[0]!.counts['submitted']).toBe(expected.g01.counts.submitted);

    const bad = async (query: string) =>
      http().get(`/rates/trend?${query}`).set('Authorization', `Bearer ${operator}`).expect(400);
    await bad('scope=agency');
    await bad('scope=national&code=P01');
    await bad('scope=city&code=1');
    await bad('period=year');
    await bad(`from=${today}&to=${addDays(today, -1)}`);
    await bad('from=2026-02-30');
    await bad('period=day&from=2020-01-01&to=2025-12-31');
    await bad('code=%27;drop');
    await http()
      .get('/rates/trend')
      .set('Authorization', `Bearer ${await env.issuer.citizen('001099000123')}`)
      .expect(403);
  });

  it("shows an officer only their agency's rows, and refuses citizens and anonymous callers", async () => {
    const officer = await env.issuer.officer('P01');
    const rows = await rates('province', officer);
    expect(rows.map((r) => r.key)).toEqual(['01']);
    expect(rows[0]!.counts).toEqual(expected.g01.counts);
    const summary = await http().get('/rates/summary').set('Authorization', `Bearer ${officer}`).expect(200);
    expect((summary.body as Row).counts['submitted']).toBe(3);
    await http()
      .get('/rates')
      .set('Authorization', `Bearer ${await env.issuer.citizen('001099000123')}`)
      .expect(403);
    await http().get('/rates').expect(401);
  });

  it('does not double-count a redelivered event, nor a resent fact under a new event id', async () => {
    const ds = app.get(DataSource);
    const before = await national();
    const stats = app.get(MessagingService).consumer!.stats;
    const duplicatesBefore = stats.duplicates;
    const completedEvent = sent.find((e) => e.type === 'case.completed')!;
    const ratedEvent = sent.find((e) => e.type === 'case.rated')!;
    const submittedEvent = sent.find((e) => e.type === 'dossier.submitted')!;
    await send([
      { topic: 'case.completed.v1', event: completedEvent },
      { topic: 'case.rated.v1', event: ratedEvent },
      { topic: 'dossier.submitted.v1', event: { ...submittedEvent, eventId: uuidv7() } },
    ]);
    // Two redeliveries (same event ids) and one re-announcement (same fact, new event id): all three are duplicates.
    await eventually('duplicates dropped by the inbox', () =>
      Promise.resolve(stats.duplicates >= duplicatesBefore + 3),
    );
    const [r] = await ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM messaging_inbox`);
    expect(r!.n).toBe(sent.length);
    expect(await national()).toEqual(before);
  });

  it('publishes completion-rate snapshots for the current month on request (operator only)', async () => {
    await http()
      .post('/snapshots')
      .set('Authorization', `Bearer ${await env.issuer.officer('P01')}`)
      .expect(403);
    const res = await http()
      .post('/snapshots')
      .set('Authorization', `Bearer ${operator}`)
      .set('x-correlation-id', 'snap-test-1')
      .expect(202);
    // national + 2 provinces + 2 agencies + 2 procedures
    expect((res.body as { published: number }).published).toBe(7);
    const ev = await tap.waitFor(
      'metrics.completion-rate.v1',
      (e) => e.correlationId === 'snap-test-1' && e.payload['dimension'] === 'national',
    );
    const p = ev.payload as {
      key: string;
      counts: Record<string, number>;
      rates: Record<string, number | null>;
      period: { from: string };
    };
    expect(p.key).toBe('VN');
    expect(p.counts).toMatchObject({
      submitted: 6,
      submittedOnline: 5,
      completed: 3,
      completedOnTime: 2,
      completedFullyOnline: 2,
      withFee: 3,
      paidOnline: 2,
    });
    expect(p.rates['completion']).toBeCloseTo(0.6, 10);
    expect(p.rates['onlinePayment']).toBeCloseTo(2 / 3, 10);
    expect(p.period.from).toMatch(/-01T00:00:00\.000\+07:00$/);
    const p79 = await tap.waitFor(
      'metrics.completion-rate.v1',
      (e) => e.correlationId === 'snap-test-1' && e.payload['dimension'] === 'province' && e.payload['key'] === '79',
    );
    expect((p79.payload as { rates: Record<string, unknown> }).rates['onTime']).toBe(1);
    const schedulers = await app.get(SnapshotJobs).queue.getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.every])).toEqual([['snapshot', 3_600_000]]);
  });

  it('replays every topic from offset zero into a fresh database with identical numbers', async () => {
    const report = await replayAndCompare({
      kafka: env.kafka,
      serverUrl: testEnv.DATABASE_URL,
      live: app.get(DataSource),
      topicPrefix: env.topicPrefix,
      liveGroupId: groupId,
      now: clock.now(),
      keepDatabase: true,
    });
    expect(report.differences).toEqual([]);
    expect(report.read).toBe(sent.length + 4); // scripted events, the poison message and three resends
    expect(report.skippedInvalid).toBe(1);
    expect(report.applied).toBe(sent.length);
    // The comparison can fail: change one fact in the replay and it is reported.
    const replay = createDataSource({
      url: env.databases['metrics']!.replace(/\/[^/]+$/, `/${report.replayDatabase}`),
      applicationName: 'test',
    });
    await replay.initialize();
    try {
      await replay.query(`UPDATE metrics_dossier_facts SET on_time = NOT on_time WHERE on_time IS NOT NULL`);
      const diffs = await compareProjections(app.get(DataSource), replay, new Date());
      expect(diffs.some((d) => d.startsWith('national VN completedOnTime'))).toBe(true);
    } finally {
      await replay.query(`SELECT 1`);
      await replay.destroy();
      const admin = createDataSource({ url: testEnv.DATABASE_URL, applicationName: 'test' });
      await admin.initialize();
      await admin.query(`DROP DATABASE IF EXISTS "${report.replayDatabase}" WITH (FORCE)`);
      await admin.destroy();
    }
  });

  it('reads out topic throughput, dead letters and consumer lag for operators only', async () => {
    const officer = await env.issuer.officer('P01');
    await http().get('/operations/topics').set('Authorization', `Bearer ${officer}`).expect(403);
    await http()
      .get('/operations/lag')
      .set('Authorization', `Bearer ${await env.issuer.citizen('001099000123')}`)
      .expect(403);
    await http().get('/operations/topics').expect(401);

    const submittedTopic = await eventually('a sampled dead letter', async () => {
      const res = await http().get('/operations/topics').set('Authorization', `Bearer ${operator}`).expect(200);
      const topics = (
        res.body as {
          topics: {
            topic: string;
            endOffset: number;
            inPerSec: number | null;
            outPerSec: Record<string, number>;
            dlqDepth: number;
          }[];
        }
      ).topics;
      const t = topics.find((x) => x.topic === 'dossier.submitted.v1');
      return t && t.dlqDepth === 1 && t.endOffset === 8 ? t : undefined;
    });
    // All of it arrived within the last minute, sampled from before the first message: both rates are positive.
    expect(submittedTopic.inPerSec!).toBeGreaterThan(0);
    expect(submittedTopic.outPerSec[groupId]).toBeGreaterThan(0);

    const lag = await http()
      .get(`/operations/lag?groupId=${encodeURIComponent(groupId)}`)
      .set('Authorization', `Bearer ${operator}`)
      .expect(200);
    const group = (
      lag.body as { groups: { groupId: string; totalLag: number; partitions: { topic: string; lag: number }[] }[] }
    ).groups[0]!;
    expect(group.groupId).toBe(groupId);
    expect(group.totalLag).toBe(0);
    expect(new Set(group.partitions.map((p) => p.topic))).toContain(`${env.topicPrefix}dossier.submitted.v1`);
    expect(group.partitions.some((p) => p.topic.endsWith('metrics.completion-rate.v1'))).toBe(false);
  });
});
