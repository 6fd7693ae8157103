import { eventually } from '@hoso/testing';
import { startHarness, submitted, verified, type Harness } from './testing/payment-harness';

describe('payment intent expiry through a BullMQ delayed job', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ PAYMENT_INTENT_TTL_SEC: '1' });
  });

  afterAll(async () => {
    await h.close();
  });

  it('an unpaid intent fails with EXPIRED, final, once; a retry is then refused', async () => {
    const s = submitted({ provinceCode: '79' });
    await h.publish('dossier.submitted.v1', s);
    await h.publish('identity.verified.v1', verified(s));
    const requested = await h.tap.waitFor('payment.requested.v1', (e) => e.dossierId === s.dossierId);
    const failed = await h.tap.waitFor('payment.failed.v1', (e) => e.dossierId === s.dossierId, 30_000);
    expect(failed.payload).toMatchObject({
      paymentId: requested.payload['paymentId'],
      reason: 'EXPIRED',
      final: true,
    });
    const citizen = await h.env.issuer.citizen(s.applicant.personalId);
    const retry = await fetch(`${h.paymentUrl}/payments/dossiers/${s.dossierId}/intents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${citizen}` },
    });
    expect(retry.status).toBe(409);
    const operator = await h.env.issuer.operator();
    await eventually('a reconciliation that finds nothing more to expire', async () => {
      const res = await fetch(`${h.paymentUrl}/payments/reconciliations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${operator}` },
      });
      return res.status === 200 && ((await res.json()) as { expired: string[] }).expired.length === 0;
    });
    expect(h.tap.matching('payment.failed.v1', (e) => e.dossierId === s.dossierId)).toHaveLength(1);
  });
});
