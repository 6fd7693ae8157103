import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import pino from 'pino';
import { DLQ_HEADERS, EventProducer, REPLAYED_FROM_HEADER } from '@hoso/messaging';
import { createRedis, createServiceApp } from '@hoso/nest-kit';
import { createTestEnvironment, type TestEnvironment } from '@hoso/nest-kit/testing';
import { eventually, testEnv } from '@hoso/testing';
import { AppModule } from '../app.module';
import { loadConfig, type Config } from '../config';
import type { DeadLetterView } from './dead-letter-view';
import type { DlqTopicReadout } from './dead-letters';
import { OperationsStream } from './operations-stream';
import type { QueueReadout } from './queue-readout';

jest.setTimeout(90_000);

const SUBMITTED_DLQ = 'dossier.submitted.v1.dlq';

describe('operator API: dead letters, queues, live stream (real Kafka, PostgreSQL, Redis)', () => {
  let env: TestEnvironment;
  let app: INestApplication;
  let config: Config;
  let baseUrl: string;
  let producer: EventProducer;
  let operator: string;
  let officer: string;
  let groupId: string;
  const logLines: Record<string, unknown>[] = [];

  const api = async (method: string, path: string, token: string | null = operator, body?: unknown) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };
  const dlqTopic = async (topic = SUBMITTED_DLQ) => {
    const res = await api('GET', '/operations/dlq');
    expect(res.status).toBe(200);
    return (res.body['topics'] as DlqTopicReadout[]).find((t) => t.topic === topic)!;
  };
  const messages = async (query = '') => {
    const res = await api('GET', `/operations/dlq/${SUBMITTED_DLQ}/messages${query}`);
    expect(res.status).toBe(200);
    return res.body['messages'] as DeadLetterView[];
  };

  beforeAll(async () => {
    env = await createTestEnvironment(['metrics']);
    groupId = `${env.topicPrefix}metrics`;
    config = loadConfig({
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
      KNOWN_GROUPS: groupId,
      SNAPSHOT_EVERY_SEC: '3600',
      OPS_SAMPLE_EVERY_MS: '250',
      OPS_STREAM_EVERY_MS: '200',
      OPS_STREAM_HEARTBEAT_MS: '150',
      LOG_LEVEL: 'info',
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          logLines.push(JSON.parse(line) as Record<string, unknown>);
        }
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    app = await createServiceApp(AppModule.forRoot(config, logger), {
      name: 'metrics',
      title: 't',
      description: 't',
      logger,
    });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
    producer = new EventProducer(env.kafka);
    await producer.connect();
    operator = await env.issuer.operator();
    officer = await env.issuer.officer('P01');
  });

  afterAll(async () => {
    await producer.disconnect();
    await app.close();
    await env.close();
  });

  describe('dead letters', () => {
    let partition: number;
    const id = (offset: number) => `${partition}:${offset}`;

    beforeAll(async () => {
      // Poison through the real consumer: one key (one partition), so the DLQ order is the send order.
      await producer.sendBatch(
        ['not json 0', 'not json 1', `{"big":"${'x'.repeat(10_000)}`].map((value) => ({
          topic: `${env.topicPrefix}dossier.submitted.v1`,
          key: 'poison-key',
          value,
        })),
      );
    });

    it('counts the dead letters not yet replayed per DLQ topic, with the oldest one', async () => {
      const t = await eventually('three dead letters', async () => {
        const d = await dlqTopic();
        return d.depth === 3 ? d : undefined;
      });
      expect(t).toMatchObject({
        sourceTopic: 'dossier.submitted.v1',
        physicalTopic: `${env.topicPrefix}${SUBMITTED_DLQ}`,
        held: 3,
        replayGroup: `hoso-dlq-replay.${env.topicPrefix}${SUBMITTED_DLQ}`,
      });
      expect(Date.now() - Date.parse(t.oldestAt!)).toBeLessThan(60_000);
      partition = t.partitions.find((p) => p.pending === 3)!.partition;
      const other = await dlqTopic('case.received.v1.dlq');
      expect(other).toMatchObject({ depth: 0, held: 0, oldestAt: null });
      const all = await api('GET', '/operations/dlq');
      expect(all.body['totalDepth']).toBe(3);
      expect((all.body['topics'] as unknown[]).length).toBeGreaterThanOrEqual(13);
    });

    it('lists the messages with their DLQ headers and a payload cut to 4 KiB', async () => {
      const list = await messages('?limit=20');
      expect(list.map((m) => m.id)).toEqual([id(0), id(1), id(2)]);
      expect(list[0]).toMatchObject({
        key: 'poison-key',
        replayed: false,
        originalTopic: `${env.topicPrefix}dossier.submitted.v1`,
        originalPartition: expect.any(Number) as number,
        consumer: groupId,
        reason: 'not-json',
        attempts: 0,
        replayedFrom: null,
        payload: 'not json 0',
        payloadTruncated: false,
      });
      expect(list[0]!.headers[DLQ_HEADERS.failedAt]).toBe(list[0]!.failedAt);
      expect(list[0]!.error).toBeTruthy();
      expect(list[2]).toMatchObject({ payloadBytes: 8 + 10_000, payloadTruncated: true });
      expect(list[2]!.payload).toHaveLength(4096);
      expect((await messages('?limit=2')).length).toBe(2);
    });

    it('refuses a bad limit (400) and unknown topics (404)', async () => {
      for (const q of ['?limit=0', '?limit=abc', '?limit=201', '?state=done', '?other=1']) {
        expect((await api('GET', `/operations/dlq/${SUBMITTED_DLQ}/messages${q}`)).status).toBe(400);
      }
      expect((await api('GET', '/operations/dlq/nothing.v1.dlq/messages')).status).toBe(404);
      expect((await api('GET', '/operations/dlq/dossier.submitted.v1/messages')).status).toBe(404);
      expect((await api('POST', '/operations/dlq/nothing.v1.dlq/replay', operator, {})).status).toBe(404);
    });

    it('replays selected messages through libs/messaging (audited); a poison one comes back with where it was replayed from', async () => {
      const res = await api('POST', `/operations/dlq/${SUBMITTED_DLQ}/replay`, operator, { messageIds: [id(0)] });
      expect(res).toEqual({
        status: 200,
        body: { topic: SUBMITTED_DLQ, replayed: 1, byTopic: { [`${env.topicPrefix}dossier.submitted.v1`]: 1 } },
      });
      // Still poison: the consumer dead-letters it again, as a new message.
      const back = await eventually('the replayed poison dead-lettered again', async () => {
        const list = await messages();
        return list.length === 3 && list[2]?.id === id(3) ? list : undefined;
      });
      expect(back.map((m) => m.id)).toEqual([id(1), id(2), id(3)]);
      expect(back[2]!.headers[REPLAYED_FROM_HEADER]).toBe(`${env.topicPrefix}${SUBMITTED_DLQ}/${partition}/0`);
      expect(back[2]!.payload).toBe('not json 0');
      const all = await messages('?state=all');
      expect(all.map((m) => [m.id, m.replayed])).toEqual([
        [id(0), true],
        [id(1), false],
        [id(2), false],
        [id(3), false],
      ]);
      const line = logLines.find(
        (l) => l['audit'] === true && l['action'] === 'dlq.replay' && l['outcome'] === 'allowed',
      );
      expect(line).toMatchObject({
        outcome: 'allowed',
        actor: { sub: 'operator:1', role: 'operator' },
        resource: `dlq:${SUBMITTED_DLQ}`,
      });
      expect(String(line!['reason'])).toContain(`messages ${id(0)}: replayed 1`);
      // Recorded in the audit trail too (a transaction of its own, just after the replay), as the operators see it:
      // the replay to an unknown topic refused earlier is there as failed.
      const trail = await api('GET', '/audit-trail');
      expect(trail.status).toBe(200);
      expect(trail.body['verification']).toMatchObject({ ok: true });
      const entries = trail.body['entries'] as { action: string; outcome: string; details?: unknown }[];
      expect(entries.filter((e) => e.action === 'dlq.replay').map((e) => [e.outcome, e.details])).toEqual([
        ['allowed', { topic: SUBMITTED_DLQ, messageIds: [id(0)] }],
        ['failed', null],
      ]);
    });

    it('refuses bad replay requests with 400 and replays nothing', async () => {
      for (const body of [
        { messageIds: [id(0)] }, // already replayed
        { messageIds: ['9:0'] }, // no such partition
        { messageIds: [id(1), id(99)] }, // one of them past the end
        { messageIds: [] },
        { messageIds: [id(1), id(1)] },
        { messageIds: ['x'] },
        { limit: 0 },
        { limit: 1.5 },
        { everything: true },
      ]) {
        const res = await api('POST', `/operations/dlq/${SUBMITTED_DLQ}/replay`, operator, body);
        expect([res.status, body]).toEqual([400, body]);
      }
      expect((await api('POST', `/operations/dlq/${SUBMITTED_DLQ}/replay`, officer, {})).status).toBe(403);
      const t = await dlqTopic();
      expect(t).toMatchObject({ depth: 3, held: 4 });
    });

    it('replays the first `limit` waiting messages and moves the depth', async () => {
      const res = await api('POST', `/operations/dlq/${SUBMITTED_DLQ}/replay`, operator, { limit: 2 });
      expect(res.body).toMatchObject({ replayed: 2 });
      // id(1) and id(2) replayed; id(3) waits, and the two replayed poison messages come back as id(4), id(5).
      const t = await eventually('two more dead letters', async () => {
        const d = await dlqTopic();
        return d.held === 6 ? d : undefined;
      });
      expect(t.depth).toBe(3);
      expect((await messages()).map((m) => m.id)).toEqual([id(3), id(4), id(5)]);
    });

    it('is for operators only', async () => {
      expect((await api('GET', '/operations/dlq', officer)).status).toBe(403);
      expect((await api('GET', '/operations/dlq', null)).status).toBe(401);
      expect((await api('GET', `/operations/dlq/${SUBMITTED_DLQ}/messages`, officer)).status).toBe(403);
      expect((await api('GET', '/audit-trail', officer)).status).toBe(403);
      expect((await api('GET', '/audit-trail', null)).status).toBe(401);
    });
  });

  describe('job queues', () => {
    const redis = () => createRedis(testEnv.REDIS_URL, 'ops-test');
    let connection: ReturnType<typeof redis>;
    let mine: Queue;
    let foreign: Queue;

    beforeAll(async () => {
      connection = redis();
      mine = new Queue(`${config.queuePrefix}ops-test`, { connection });
      foreign = new Queue(`other${randomBytes(4).toString('hex')}.ops-test`, { connection });
      await mine.add('a', { n: 1 });
      await mine.add('b', { n: 2 });
      await mine.add('later', { n: 3 }, { delay: 3_600_000 });
      await foreign.add('x', {});
    });

    afterAll(async () => {
      for (const q of [mine, foreign]) {
        await q.obliterate({ force: true });
        await q.close();
      }
      await connection.quit();
    });

    it('finds every queue under the environment prefix in Redis and reads its counts', async () => {
      const res = await api('GET', '/operations/queues');
      expect(res.status).toBe(200);
      expect(res.body['prefixes']).toEqual([config.queuePrefix]);
      const queues = res.body['queues'] as QueueReadout[];
      const names = queues.map((q) => q.queue);
      // The service's own snapshot queue, and the test's; never another environment's.
      expect(names).toEqual(expect.arrayContaining(['metrics-snapshots', 'ops-test']));
      expect(queues.every((q) => q.name.startsWith(config.queuePrefix))).toBe(true);
      expect(queues.find((q) => q.queue === 'ops-test')).toEqual({
        name: `${config.queuePrefix}ops-test`,
        queue: 'ops-test',
        prefix: config.queuePrefix,
        counts: { waiting: 2, active: 0, completed: 0, failed: 0, delayed: 1, paused: 0 },
      });
      expect((await api('GET', '/operations/queues', officer)).status).toBe(403);
    });
  });

  describe('live stream', () => {
    interface SseEvent {
      event: string | null;
      data: string;
      raw: string;
    }

    /** Reads SSE blocks from a fetch body until `enough` says so. */
    async function readEvents(body: ReadableStream<Uint8Array>, enough: (events: SseEvent[]) => boolean) {
      const reader = body.getReader();
      const decoder = new TextDecoder();
      const events: SseEvent[] = [];
      let buffer = '';
      while (!enough(events)) {
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended early');
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const lines = block.split('\n');
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? null;
          const data = lines
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          events.push({ event, data, raw: block });
        }
      }
      reader.releaseLock();
      return events;
    }

    it('sends operations and rates events with heartbeats, and stops its timers when the client leaves', async () => {
      const stream = app.get(OperationsStream);
      expect(stream.open).toBe(0);
      const abort = new AbortController();
      const res = await fetch(`${baseUrl}/operations/stream`, {
        headers: { authorization: `Bearer ${operator}`, accept: 'text/event-stream' },
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('x-accel-buffering')).toBe('no');
      expect(stream.open).toBe(1);

      const events = await readEvents(
        res.body!,
        (evs) =>
          evs.filter((e) => e.event === 'operations').length >= 2 &&
          evs.some((e) => e.event === 'rates') &&
          evs.some((e) => /^: heartbeat \d{4}-/.test(e.raw)),
      );
      const ops = events
        .filter((e) => e.event === 'operations')
        .map((e) => JSON.parse(e.data) as Record<string, unknown>);
      for (const o of ops) {
        expect(Number.isNaN(Date.parse(o['at'] as string))).toBe(false);
        expect(o['errors']).toBeUndefined();
      }
      const last = ops[ops.length - 1]!;
      expect(Date.parse(last['at'] as string)).toBeGreaterThan(Date.parse(ops[0]!['at'] as string));
      const topics = last['topics'] as { topic: string; inPerSec: number | null; outPerSec: Record<string, number> }[];
      expect(topics.map((t) => t.topic)).toContain('dossier.submitted.v1');
      expect(last['lag']).toEqual([{ groupId, totalLag: expect.any(Number) as number }]);
      expect(last['dlq']).toEqual(
        expect.arrayContaining([{ topic: SUBMITTED_DLQ, sourceTopic: 'dossier.submitted.v1', depth: 3 }]),
      );
      expect((last['queues'] as QueueReadout[]).map((q) => q.queue)).toContain('metrics-snapshots');
      const rates = JSON.parse(events.find((e) => e.event === 'rates')!.data) as Record<string, unknown>;
      expect(rates).toMatchObject({ scope: 'national', key: 'VN', from: null, to: null });
      expect(rates['counts']).toMatchObject({ submitted: 0 });
      expect(Object.keys(rates['rates'] as object)).toEqual(
        expect.arrayContaining([
          'completion',
          'onTime',
          'endToEnd',
          'onlineSubmission',
          'onlinePayment',
          'satisfaction',
        ]),
      );

      abort.abort();
      await eventually('the stream closed on the server', () => Promise.resolve(stream.open === 0));
    });

    it('needs an operator token', async () => {
      expect((await fetch(`${baseUrl}/operations/stream`)).status).toBe(401);
      const res = await fetch(`${baseUrl}/operations/stream`, { headers: { authorization: `Bearer ${officer}` } });
      expect(res.status).toBe(403);
      expect(app.get(OperationsStream).open).toBe(0);
    });
  });
});
