import type { Redis } from 'ioredis';
import { Client } from 'pg';
import { samplePayloads } from '@hoso/contracts';
import { createRedis, TimerKeeper } from '@hoso/nest-kit';
import { eventually } from '@hoso/testing';
import { PaymentQueues } from './jobs/payment-queues';
import { flows, one } from './testing/flows';
import { startHarness, type Harness } from './testing/payment-harness';
import { loseRedisData } from './testing/redis-loss';

jest.setTimeout(120_000);

/**
 * Redis holds only jobs PostgreSQL can derive: when it loses them (a FLUSHALL, a restart without persistence), the
 * TimerKeeper notices its marker gone and the payment service re-adds every expiry of an unpaid intent, every
 * pending refund and the reconciliation schedule. Only this run's keys are deleted: the Redis is shared.
 */
describe('payment jobs rebuilt from PostgreSQL after Redis lost its data', () => {
  let h: Harness;
  let db: Client;
  let gwDb: Client;
  let redis: Redis;
  let f: ReturnType<typeof flows>;

  beforeAll(async () => {
    // A day to pay: no expiry job fires by itself during the test.
    h = await startHarness({ PAYMENT_INTENT_TTL_SEC: '86400' });
    db = new Client({ connectionString: h.env.databases['payment'] });
    gwDb = new Client({ connectionString: h.env.databases['paygw'] });
    await db.connect();
    await gwDb.connect();
    redis = createRedis(h.env.redisUrl, 'redis-loss-test');
    f = flows(h, '079099000555');
  });

  afterAll(async () => {
    await redis.quit();
    await db.end();
    await gwDb.end();
    await h.close();
  });

  it('expires every overdue unpaid intent once, completes a pending refund once, and schedules reconciliation again', async () => {
    const queues = h.payment.get(PaymentQueues);
    const keeper = h.payment.get(TimerKeeper);
    const reconcileScheduled = async () => (await queues.reconcile.getJobScheduler('reconcile')) !== undefined;
    await eventually('the reconciliation scheduled at start', reconcileScheduled, 10_000);

    const unpaid = [await f.unpaidDossier(), await f.unpaidDossier(), await f.unpaidDossier()];
    const paymentIds = unpaid.map((d) => d.paymentId);
    // Each has its delayed expiry job, a day away.
    for (const id of paymentIds) expect(await (await queues.expiry.getJob(`expire-${id}`))?.getState()).toBe('delayed');

    // A refund decided while the gateway is down: its job keeps failing (before the gateway records anything).
    const paid = await f.paidDossier();
    await f.gw('POST', '/refunds/faults', { paymentId: paid.paymentId, count: 1000, when: 'before-commit' });
    await h.publish('case.completed.v1', {
      ...samplePayloads['case.completed.v1'],
      dossierId: paid.dossierId,
      outcome: 'REJECTED',
    });
    await eventually(
      'the refund job to have met the outage',
      async () => ((await f.gw('GET', `/refunds/faults/${paid.paymentId}`)).body['failed'] as number) >= 1,
      20_000,
    );

    // Time passes: the unpaid intents are now past due (by less than the reconciliation's 30 s safety margin, so
    // only their expiry jobs can end them).
    await db.query(`UPDATE payment_intents SET expires_at = now() - interval '1 second' WHERE payment_id = ANY($1)`, [
      paymentIds,
    ]);
    const rebuildsBefore = keeper.rebuildCount;
    const lost = await loseRedisData(redis, {
      queuePrefix: queues.config.queuePrefix,
      namespace: h.env.topicPrefix,
      service: 'payment',
    });
    expect(lost).toBeGreaterThan(paymentIds.length);
    expect(await reconcileScheduled()).toBe(false);
    // The gateway is back.
    await f.gw('POST', '/refunds/faults', { paymentId: paid.paymentId, count: 0, when: 'before-commit' });

    await eventually(
      'every overdue intent expired',
      () =>
        Promise.resolve(
          unpaid.every((d) => h.tap.matching('payment.failed.v1', (e) => e.dossierId === d.dossierId).length > 0),
        ),
      30_000,
    );
    await h.tap.waitFor('payment.refunded.v1', (e) => e.dossierId === paid.dossierId, 30_000);
    await eventually('the reconciliation scheduled again', reconcileScheduled, 10_000);
    expect(keeper.rebuildCount).toBeGreaterThan(rebuildsBefore);

    // A further rebuild (as the periodic one) changes nothing: what is settled calls for no job.
    await keeper.rebuild('test');
    for (const d of unpaid) {
      const failed = h.tap.matching('payment.failed.v1', (e) => e.dossierId === d.dossierId);
      expect(failed.map((e) => e.payload)).toEqual([
        expect.objectContaining({ paymentId: d.paymentId, reason: 'EXPIRED', final: true }),
      ]);
      expect(
        await one(db, 'SELECT status, settled_via FROM payment_intents WHERE payment_id = $1', [d.paymentId]),
      ).toEqual({ status: 'EXPIRED', settled_via: 'EXPIRY' });
    }
    const outbox = await one<{ failed: number; refunded: number }>(
      db,
      `SELECT count(*) FILTER (WHERE topic LIKE '%payment.failed.v1')::int AS failed,
              count(*) FILTER (WHERE topic LIKE '%payment.refunded.v1')::int AS refunded
       FROM messaging_outbox WHERE key = ANY($1)`,
      [[...unpaid.map((d) => d.dossierId), paid.dossierId]],
    );
    expect(outbox).toEqual({ failed: 3, refunded: 1 });
    expect(h.tap.matching('payment.refunded.v1', (e) => e.dossierId === paid.dossierId)).toHaveLength(1);
    expect(await one(gwDb, 'SELECT requests FROM gateway_refunds WHERE payment_id = $1', [paid.paymentId])).toEqual({
      requests: 1,
    });
    expect(await one(db, 'SELECT status FROM payment_refunds WHERE payment_id = $1', [paid.paymentId])).toEqual({
      status: 'REFUNDED',
    });
  });
});
