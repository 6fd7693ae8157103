import { Client } from 'pg';
import { samplePayloads } from '@hoso/contracts';
import { API_KEY, startHarness, type Harness } from './testing/payment-harness';
import { flows, one } from './testing/flows';

jest.setTimeout(90_000);

/**
 * The gateway is asked for a refund only once the decision committed, by a job that re-reads the decision and
 * names the refund's idempotency key: neither a rolled-back flush nor a retry after a lost answer moves money twice.
 */
describe('refunds: decided in the consumer transaction, carried out after its commit', () => {
  let h: Harness;
  let db: Client;
  let gwDb: Client;
  let f: ReturnType<typeof flows>;

  beforeAll(async () => {
    h = await startHarness();
    db = new Client({ connectionString: h.env.databases['payment'] });
    gwDb = new Client({ connectionString: h.env.databases['paygw'] });
    await db.connect();
    await gwDb.connect();
    f = flows(h, '079099000777');
  });

  afterAll(async () => {
    await db.end();
    await gwDb.end();
    await h.close();
  });

  const gatewayRefund = (paymentId: string) =>
    one<{ refund_id: string; requests: number; idempotency_key: string }>(
      gwDb,
      'SELECT refund_id, requests, idempotency_key FROM gateway_refunds WHERE payment_id = $1',
      [paymentId],
    );
  const localRefund = (paymentId: string) =>
    one<{ status: string; gateway_refund_id: string | null; refunded_at: Date | null }>(
      db,
      'SELECT status, gateway_refund_id, refunded_at FROM payment_refunds WHERE payment_id = $1',
      [paymentId],
    );
  const refundEvents = async (dossierId: string) => ({
    kafka: h.tap.matching('payment.refunded.v1', (e) => e.dossierId === dossierId).length,
    outbox: (
      await one<{ n: number }>(
        db,
        `SELECT count(*)::int AS n FROM messaging_outbox WHERE topic LIKE '%payment.refunded.v1' AND key = $1`,
        [dossierId],
      )
    ).n,
  });

  it('a flush that rolls back after deciding the refund asks the gateway nothing; its redo refunds once', async () => {
    const { dossierId, paymentId } = await f.paidDossier();
    // The first two commits that carry this dossier's refund decision fail as a deadlock would (a deferred trigger
    // fires at COMMIT, after the handler decided): the consumer redoes the whole flush, the third commit passes. A
    // sequence counts the commits: nextval is not undone by the rollback.
    const tag = dossierId.replace(/-/g, '');
    await db.query(`CREATE SEQUENCE commits_${tag}`);
    // The trigger runs in the service's transaction, as its runtime role: the test's sequence is not one of the
    // owner's objects, which the runtime role gets rights on by default.
    await db.query(`GRANT USAGE ON SEQUENCE commits_${tag} TO PUBLIC`);
    await db.query(`
      CREATE FUNCTION fail_${tag}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('commits_${tag}') <= 2 THEN
          RAISE EXCEPTION 'injected at commit' USING ERRCODE = '40P01';
        END IF;
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE CONSTRAINT TRIGGER fail_${tag} AFTER INSERT ON payment_refunds DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW WHEN (NEW.dossier_id = '${dossierId}') EXECUTE FUNCTION fail_${tag}()`);
    try {
      await h.publish('case.completed.v1', { ...samplePayloads['case.completed.v1'], dossierId, outcome: 'REJECTED' });
      const refunded = await h.tap.waitFor('payment.refunded.v1', (e) => e.dossierId === dossierId, 30_000);
      expect(refunded.payload).toMatchObject({ paymentId, amountVnd: 8000, reason: 'case rejected' });
      // Three commits carried the decision, two rolled back; the gateway was asked once (by the job).
      expect((await one<{ n: string }>(db, `SELECT last_value AS n FROM commits_${tag}`)).n).toBe('3');
      const gw = await gatewayRefund(paymentId);
      expect(gw).toMatchObject({ requests: 1, idempotency_key: `refund-${paymentId}` });
      expect(await localRefund(paymentId)).toMatchObject({ status: 'REFUNDED', gateway_refund_id: gw.refund_id });
      expect(await refundEvents(dossierId)).toEqual({ kafka: 1, outbox: 1 });
      // The decision's audit record rolled back with the two failed commits: one record of it, one of the refund,
      // the latter written by the transaction that recorded the refund as done.
      const trail = await db.query<{ action: string; outcome: string; actor_sub: string; tx: string }>(
        `SELECT action, outcome, actor_sub, xmin::text AS tx FROM audit_trail
          WHERE entry::jsonb ->> 'resource' = $1 ORDER BY seq`,
        [paymentId],
      );
      expect(trail.rows.map((r) => [r.action, r.outcome, r.actor_sub])).toEqual([
        ['payment.refund.decide', 'allowed', 'system:payment'],
        ['payment.refund', 'allowed', 'system:payment'],
      ]);
      const done = await one<{ tx: string }>(db, 'SELECT xmin::text AS tx FROM payment_refunds WHERE payment_id = $1', [
        paymentId,
      ]);
      expect(trail.rows[1]!.tx).toBe(done.tx);
    } finally {
      await db.query(`DROP TRIGGER fail_${tag} ON payment_refunds`);
      await db.query(`DROP FUNCTION fail_${tag}()`);
      await db.query(`DROP SEQUENCE commits_${tag}`);
    }
  });

  it('a gateway whose answers are lost is asked again with the same key: one refund, one event', async () => {
    const { dossierId, paymentId } = await f.paidDossier();
    // The next two refund requests are recorded by the gateway but answered 503 (the answer lost on the way).
    expect((await f.gw('POST', '/refunds/faults', { paymentId, count: 2, when: 'after-commit' })).body).toMatchObject({
      remaining: 2,
    });
    await h.publish('dossier.withdrawn.v1', { ...samplePayloads['dossier.withdrawn.v1'], dossierId });
    const refunded = await h.tap.waitFor('payment.refunded.v1', (e) => e.dossierId === dossierId, 30_000);
    expect(refunded.payload).toMatchObject({ paymentId, amountVnd: 8000, reason: 'dossier withdrawn' });
    expect((await f.gw('GET', `/refunds/faults/${paymentId}`)).body).toMatchObject({ remaining: 0, failed: 2 });
    const gw = await gatewayRefund(paymentId);
    expect(gw.requests).toBe(3);
    expect(await localRefund(paymentId)).toMatchObject({ status: 'REFUNDED', gateway_refund_id: gw.refund_id });
    const ledger = await one<{ n: number }>(
      gwDb,
      `SELECT count(*)::int AS n FROM gateway_ledger WHERE kind = 'REFUND' AND payment_id = $1`,
      [paymentId],
    );
    expect(ledger.n).toBe(1);
    expect(await refundEvents(dossierId)).toEqual({ kafka: 1, outbox: 1 });
  });

  it('the gateway refuses an idempotency key reused for another refund, and a malformed key (nothing refunded)', async () => {
    const a = await f.paidDossier();
    const b = await f.paidDossier();
    const refund = (paymentId: string, key?: string) =>
      fetch(`${h.gatewayUrl}/refunds`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${API_KEY}`,
          'content-type': 'application/json',
          ...(key === undefined ? {} : { 'idempotency-key': key }),
        },
        body: JSON.stringify({ paymentId, amountVnd: 8000, reason: 'by hand' }),
      });
    const key = `refund-${b.paymentId}`;
    expect((await refund(b.paymentId, key)).status).toBe(200);
    const reused = await refund(a.paymentId, key);
    expect(reused.status).toBe(422);
    expect(await reused.text()).toMatch(/was used for another refund request/);
    expect((await refund(a.paymentId, 'has space')).status).toBe(400);
    const refunds = await gwDb.query<{ payment_id: string; requests: number }>(
      'SELECT payment_id, requests FROM gateway_refunds WHERE payment_id = ANY($1::uuid[])',
      [[a.paymentId, b.paymentId]],
    );
    expect(refunds.rows).toEqual([{ payment_id: b.paymentId, requests: 1 }]);
    // The same key and request again: the first refund, counted as a replay.
    const again = await refund(b.paymentId, key);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ paymentId: b.paymentId, created: false });
  });
});
