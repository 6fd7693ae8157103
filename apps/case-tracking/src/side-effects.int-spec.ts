import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { catalog, createEvent, samplePayloads, type Payload, type Topic } from '@hoso/contracts';
import { EventProducer } from '@hoso/messaging';
import { createRedis, createServiceApp, TimerKeeper } from '@hoso/nest-kit';
import { createTestEnvironment, type TestEnvironment } from '@hoso/nest-kit/testing';
import { eventually, testEnv } from '@hoso/testing';
import { AppModule } from './app.module';
import { loadConfig, type Config } from './config';
import { CaseQueues, slaJobId } from './jobs/case-queues';
import type { Notification } from './notifications/notification.adapter';

const MONDAY = new Date('2026-03-02T09:00:00+07:00');

/**
 * Side effects outside PostgreSQL (BullMQ timers, notifications) follow committed rows only: a rolled-back or redone
 * consumer flush and a failed HTTP transaction leave none, and a Redis that lost this service's keys gets every
 * timer and pending notification back from PostgreSQL. SLA delays run in real time here (scale 1), so a timer
 * fires only when the test moves the clock past it and the rebuild adds it again.
 */
describe('case-tracking side effects after the commit (real Kafka, PostgreSQL, Redis)', () => {
  let env: TestEnvironment;
  let config: Config;
  let app: INestApplication;
  let url: string;
  let producer: EventProducer;
  let db: Client;
  let redis: Redis;
  let queues: CaseQueues;
  let keeper: TimerKeeper;
  let now = MONDAY;
  /** Every delivery the adapter made, by idempotency key. */
  const sent: string[] = [];
  /** While set, the provider refuses every send (not counted in `sent`). */
  let refuseSends = false;
  const pid = '001099000456';
  let citizen: string;
  let officer: string;

  beforeAll(async () => {
    env = await createTestEnvironment(['case']);
    const logger = pino({ level: 'silent' });
    config = loadConfig({
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
      SLA_TIME_SCALE: '1',
      NOTIFY_BACKOFF_MS: '100',
    });
    app = await createServiceApp(
      AppModule.forRoot(config, logger, {
        clock: { now: () => now },
        notificationAdapter: (dev) => ({
          async send(n: Notification) {
            if (refuseSends) throw new Error('provider unavailable');
            sent.push(n.idempotencyKey);
            await dev.send(n);
          },
        }),
      }),
      { name: 'case-tracking', title: 't', description: 't', logger },
    );
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer() as { address(): { port: number } }).address().port}`;
    queues = app.get(CaseQueues);
    keeper = app.get(TimerKeeper);
    producer = new EventProducer(env.kafka);
    await producer.connect();
    db = new Client({ connectionString: env.databases['case'] });
    await db.connect();
    redis = createRedis(env.redisUrl, 'case-side-effects-test');
    citizen = await env.issuer.citizen(pid);
    officer = await env.issuer.officer('P01', { sub: 'officer:se1' });
    // Faults injected in this test's own database. A sequence is not rolled back with the transaction, so a fault
    // armed "once" fails the first insert of its dossier's case and lets the redo through.
    await db.query(`
      CREATE TABLE test_open_faults (dossier_id uuid PRIMARY KEY, errcode text NOT NULL, seq text NOT NULL);
      CREATE FUNCTION test_open_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE f test_open_faults%ROWTYPE;
      BEGIN
        SELECT * INTO f FROM test_open_faults WHERE dossier_id = NEW.dossier_id;
        IF FOUND AND nextval(f.seq) = 1 THEN RAISE EXCEPTION 'injected fault' USING ERRCODE = f.errcode; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_open_fault BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION test_open_fault();
      -- Fails the commit (a deferred check) of any transaction that changed an armed case: every statement of the
      -- move has run, only the commit fails.
      CREATE TABLE test_commit_faults (case_id uuid PRIMARY KEY);
      CREATE FUNCTION test_commit_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM test_commit_faults WHERE case_id = NEW.id) THEN
          RAISE EXCEPTION 'injected commit failure';
        END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER test_commit_fault AFTER UPDATE ON cases DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION test_commit_fault();`);
  });

  afterAll(async () => {
    await producer.disconnect();
    await app.close();
    await deleteThisTestsKeys();
    await redis.quit();
    await db.end();
    await env.close();
  });

  /** What a FLUSHALL does to this service, limited to this test's keys: its queues and the TimerKeeper marker. */
  async function deleteThisTestsKeys(): Promise<number> {
    let deleted = 0;
    for await (const keys of redis.scanStream({ match: `bull:${config.queuePrefix}*`, count: 500 })) {
      const batch = keys as string[];
      if (batch.length) deleted += await redis.del(...batch);
    }
    deleted += await redis.del(`hoso:timers:${env.topicPrefix}case-tracking`);
    return deleted;
  }

  const submitted = (over: Partial<Payload<'dossier.submitted.v1'>> = {}): Payload<'dossier.submitted.v1'> => ({
    ...samplePayloads['dossier.submitted.v1'],
    dossierId: uuidv7(),
    agencyCode: 'P01',
    provinceCode: '01',
    processingWorkingDays: 3,
    applicant: { ...samplePayloads['dossier.submitted.v1'].applicant, personalId: pid },
    ...over,
  });
  const message = <T extends Topic>(topic: T, payload: Payload<T>) => {
    const e = createEvent(catalog, topic, payload, {
      dossierId: (payload as { dossierId: string }).dossierId,
      correlationId: `test-${uuidv7()}`,
      producer: 'test',
    });
    return { topic: `${env.topicPrefix}${topic}`, key: e.dossierId ?? '', value: JSON.stringify(e) };
  };
  /** The three facts that open a case, as Kafka messages. */
  const opening = (s: Payload<'dossier.submitted.v1'>) => [
    message('dossier.submitted.v1', s),
    message('identity.verified.v1', {
      dossierId: s.dossierId,
      personalId: s.applicant.personalId,
      vneidLevel: 2,
      verifiedAt: MONDAY.toISOString(),
    }),
    message('payment.waived.v1', {
      dossierId: s.dossierId,
      reason: 'ZERO_FEE',
      baseAmountVnd: 0,
      waivedAt: MONDAY.toISOString(),
    }),
  ];
  const casesOf = async (dossierIds: string[]) =>
    (
      await db.query<{ id: string; dossier_id: string }>(
        `SELECT id, dossier_id FROM cases WHERE dossier_id = ANY($1)`,
        [dossierIds],
      )
    ).rows;
  const openCases = async (dossiers: Payload<'dossier.submitted.v1'>[]) => {
    await producer.sendBatch(dossiers.flatMap(opening));
    const rows = await eventually('cases opened', async () => {
      const r = await casesOf(dossiers.map((d) => d.dossierId));
      return r.length === dossiers.length && r;
    });
    return dossiers.map((d) => (rows.find((r) => r.dossier_id === d.dossierId) as { id: string }).id);
  };
  const api = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const history = async (caseId: string, kind: string) =>
    Number(
      (
        await db.query<{ n: string }>(`SELECT count(*) AS n FROM case_history WHERE case_id = $1 AND kind = $2`, [
          caseId,
          kind,
        ])
      ).rows[0]?.n,
    );
  const mailbox = async (keys: string[]) =>
    (
      await db.query<{ idempotency_key: string }>(
        `SELECT idempotency_key FROM mailbox WHERE idempotency_key = ANY($1)`,
        [keys],
      )
    ).rows
      .map((r) => r.idempotency_key)
      .sort();
  const timesSent = (key: string) => sent.filter((k) => k === key).length;
  const jobState = (id: string) => queues.sla.getJobState(id);

  it('a flush rolled back and redone (deadlock, failed attempt) mails each committed case once and schedules nothing for ids that never existed', async () => {
    const dossiers = Array.from({ length: 8 }, () => submitted());
    const [, deadlocked, , , failing] = dossiers as [
      unknown,
      { dossierId: string },
      unknown,
      unknown,
      { dossierId: string },
    ];
    // The second case hits a deadlock once (the whole flush is redone in a fresh transaction); the fifth fails once
    // with a plain error (the set-based pass rolls back, the event-by-event pass undoes its first attempt).
    await db.query(`CREATE SEQUENCE test_fault_deadlock; CREATE SEQUENCE test_fault_error`);
    await db.query(
      `INSERT INTO test_open_faults VALUES ($1, '40P01', 'test_fault_deadlock'), ($2, 'P0001', 'test_fault_error')`,
      [deadlocked.dossierId, failing.dossierId],
    );
    const caseIds = await openCases(dossiers);
    const keys = caseIds.map((id) => `received-${id}`).sort();

    const faults = await db.query<{ last_value: string; is_called: boolean }>(
      `SELECT last_value, is_called FROM test_fault_deadlock UNION ALL SELECT last_value, is_called FROM test_fault_error`,
    );
    // Both faults fired (and were passed on the redo): otherwise this test would prove nothing.
    expect(faults.rows.map((r) => r.is_called && Number(r.last_value) >= 2)).toEqual([true, true]);

    await eventually('every committed case mailed', async () => (await mailbox(keys)).length === keys.length);
    await eventually('no notification left to send', async () => {
      const c = await queues.notify.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused');
      return Object.values(c).every((n) => n === 0);
    });
    expect(await mailbox(keys)).toEqual(keys);
    // The adapter was asked once per committed case, and never for a case id that was rolled back.
    expect([...sent].filter((k) => k.startsWith('received-')).sort()).toEqual(keys);
    const rows = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM case_notifications WHERE case_id = ANY($1) AND sent_at IS NOT NULL`,
      [caseIds],
    );
    expect(rows.rows[0]?.n).toBe(String(caseIds.length));

    // Redis holds the two timers of every committed case, and none of a case that does not exist.
    const jobs = await queues.sla.getJobs(['delayed', 'waiting', 'active', 'prioritized', 'completed', 'failed']);
    const existing = new Set((await db.query<{ id: string }>(`SELECT id FROM cases`)).rows.map((r) => r.id));
    expect(jobs.map((j) => j.data.caseId).filter((id) => !existing.has(id))).toEqual([]);
    for (const id of caseIds) {
      expect(await jobState(slaJobId('warning', id, 1))).toBe('delayed');
      expect(await jobState(slaJobId('overdue', id, 1))).toBe('delayed');
    }
  });

  it('Redis loses this service’s keys mid-flow: every due timer fires once and pending notifications are sent once', async () => {
    // Notifications stay pending in Redis (the provider refuses the delivery right after the commit, so each goes
    // to a job, and the queue is paused), SLA timers are days away.
    await queues.notify.pause();
    refuseSends = true;
    const [a1, a2, w] = await openCases([submitted(), submitted(), submitted({ processingWorkingDays: 4 })]);
    const ids = [a1, a2, w] as string[];
    const keys = ids.map((id) => `received-${id}`);
    await eventually('timers and notifications queued', async () => {
      const states = await Promise.all(ids.map((id) => jobState(slaJobId('overdue', id, 1))));
      const pending = await Promise.all(keys.map((k) => queues.notify.getJobState(k)));
      return states.every((s) => s === 'delayed') && pending.every((s) => s === 'waiting');
    });
    refuseSends = false;
    expect(await mailbox(keys)).toEqual([]);

    // Friday 09:00: the 3-day cases (due Thu 17:00) are overdue; the 4-day one (due Fri 17:00) is past its 80 %
    // warning (Thu 20:12) but not due. Then Redis loses everything of this service.
    now = new Date('2026-03-06T09:00:00+07:00');
    try {
      expect(await deleteThisTestsKeys()).toBeGreaterThan(0);
      expect(await jobState(slaJobId('overdue', a1 as string, 1))).toBe('unknown');
      // The keeper notices its marker is gone at its next check (every few seconds); asking now only saves time.
      await keeper.check();

      await eventually('overdue cases flagged and the warning given', async () => {
        const { rows } = await db.query<{ id: string; overdue: boolean; sla_warned_version: number | null }>(
          `SELECT id, overdue, sla_warned_version FROM cases WHERE id = ANY($1)`,
          [ids],
        );
        const byId = new Map(rows.map((r) => [r.id, r]));
        return (
          byId.get(a1 as string)?.overdue === true &&
          byId.get(a2 as string)?.overdue === true &&
          byId.get(w as string)?.sla_warned_version === 1
        );
      });
      await eventually('pending notifications sent', async () => (await mailbox(keys)).length === keys.length);
      // The case not due yet has its overdue timer back, still waiting.
      expect(await jobState(slaJobId('overdue', w as string, 1))).toBe('delayed');

      // Jobs run again (a rebuild, or a copy re-added after the first completed and was removed) change nothing.
      await keeper.rebuild('test: again');
      await queues.scheduleSla(a1 as string, 1, now, now, now);
      await queues.scheduleSla(w as string, 1, now, new Date('2026-03-06T17:00:00+07:00'), now);
      // Completed notification jobs are kept a while (an add of their id is a no-op): remove them, as a loss would.
      await eventually('notification jobs completed', async () =>
        (await Promise.all(keys.map((k) => queues.notify.getJobState(k)))).every((s) => s === 'completed'),
      );
      for (const k of keys) await queues.notify.remove(k);
      await queues.enqueueNotifications(keys);
      await eventually('the re-added jobs ran', async () => {
        const states = await Promise.all([
          jobState(slaJobId('warning', a1 as string, 1)),
          jobState(slaJobId('overdue', a1 as string, 1)),
          jobState(slaJobId('warning', w as string, 1)),
        ]);
        const notified = await Promise.all(keys.map((k) => queues.notify.getJobState(k)));
        return states.every((s) => s === 'unknown') && notified.every((s) => s === 'completed');
      });
      for (const id of [a1, a2] as string[]) {
        expect(await history(id, 'OVERDUE')).toBe(1);
        // Both timers were due at once: a warning after the overdue mark says nothing new, so at most one.
        expect(await history(id, 'SLA_WARNING')).toBeLessThanOrEqual(1);
      }
      expect(await history(w as string, 'SLA_WARNING')).toBe(1);
      expect(await history(w as string, 'OVERDUE')).toBe(0);
      await eventually('no notification left to send', async () => {
        const c = await queues.notify.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused');
        return Object.values(c).every((n) => n === 0);
      });
      expect(await mailbox(keys)).toEqual([...keys].sort());
      for (const k of keys) expect(timesSent(k)).toBe(1);
    } finally {
      now = MONDAY;
      refuseSends = false;
      await queues.notify.resume();
    }
  });

  it('an HTTP move whose transaction fails schedules, cancels and notifies nothing', async () => {
    const [paused, running] = (await openCases([submitted(), submitted()])) as [string, string];
    for (const id of [paused, running]) expect((await api('POST', `/cases/${id}/claim`, officer)).status).toBe(200);
    expect((await api('POST', `/cases/${paused}/supplement-requests`, officer, { message: 'bổ sung' })).status).toBe(
      200,
    );
    await eventually('the paused clock’s timers removed', async () => {
      const s = await Promise.all([jobState(slaJobId('warning', paused, 1)), jobState(slaJobId('overdue', paused, 1))]);
      return s.every((x) => x === 'unknown');
    });
    await eventually(
      'running case timers queued',
      async () => (await jobState(slaJobId('overdue', running, 1))) === 'delayed',
    );

    await db.query(`INSERT INTO test_commit_faults VALUES ($1), ($2)`, [paused, running]);
    // A resume that does not commit: no timers of the next clock version (3).
    expect((await api('POST', `/cases/${paused}/supplements`, citizen, { note: 'đây' })).status).toBe(500);
    // A pause that does not commit: the running clock keeps its timers, and the citizen is told nothing.
    expect((await api('POST', `/cases/${running}/supplement-requests`, officer, { message: 'x' })).status).toBe(500);
    expect(await jobState(slaJobId('warning', paused, 3))).toBe('unknown');
    expect(await jobState(slaJobId('overdue', paused, 3))).toBe('unknown');
    expect(await jobState(slaJobId('warning', running, 1))).toBe('delayed');
    expect(await jobState(slaJobId('overdue', running, 1))).toBe('delayed');
    expect(await queues.notify.getJobState(`supplement-${running}-v3`)).toBe('unknown');
    const { rows } = await db.query<{ id: string; status: string; clock_version: number }>(
      `SELECT id, status, clock_version FROM cases WHERE id = ANY($1) ORDER BY id`,
      [[paused, running]],
    );
    expect(Object.fromEntries(rows.map((r) => [r.id, [r.status, r.clock_version]]))).toEqual({
      [paused]: ['SUPPLEMENT_REQUESTED', 2],
      [running]: ['IN_PROCESS', 1],
    });
    expect(
      (
        await db.query(`SELECT 1 FROM case_notifications WHERE case_id = $1 AND kind = 'SUPPLEMENT_REQUESTED'`, [
          running,
        ])
      ).rows,
    ).toEqual([]);

    // The same resume, committed this time, schedules the next version. Its effects go out on the same Redis
    // connection after any the failed requests could have started, so once they are seen, those would be too.
    await db.query(`DELETE FROM test_commit_faults`);
    expect((await api('POST', `/cases/${paused}/supplements`, citizen, { note: 'đây' })).status).toBe(200);
    await eventually(
      'the resumed clock’s timers',
      async () => (await jobState(slaJobId('overdue', paused, 3))) === 'delayed',
    );
    expect(await jobState(slaJobId('warning', paused, 3))).toBe('delayed');
    expect(await jobState(slaJobId('warning', running, 1))).toBe('delayed');
    expect(await jobState(slaJobId('overdue', running, 1))).toBe('delayed');
    expect(await queues.notify.getJobState(`supplement-${running}-v3`)).toBe('unknown');
    expect(timesSent(`supplement-${running}-v3`)).toBe(0);
    // The committed supplement request of the other case was sent, once.
    await eventually(
      'the committed request mailed',
      async () => (await mailbox([`supplement-${paused}-v3`])).length === 1,
    );
    expect(timesSent(`supplement-${paused}-v3`)).toBe(1);
  });
});
