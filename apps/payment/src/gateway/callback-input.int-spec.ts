import { Client } from 'pg';
import { startHarness, WEBHOOK_SECRET, type Harness } from '../testing/payment-harness';
import { flows } from '../testing/flows';
import { signCallback } from './domain/signature';

// The callback reads its raw body to check the signature, so the shared input check never sees it; a signed body is
// still no reason to trust its text: PostgreSQL refuses U+0000, which would surface as a 500 mid-transaction.
describe('gateway callback: text the platform refuses everywhere (real HTTP, PostgreSQL)', () => {
  let h: Harness;
  let db: Client;
  const pid = '079099000456';

  beforeAll(async () => {
    h = await startHarness();
    db = new Client({ connectionString: h.env.databases['payment'] });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await h.close();
  });

  const post = async (body: Record<string, unknown>) => {
    const raw = JSON.stringify(body);
    const res = await fetch(`${h.paymentUrl}/payments/gateway/callbacks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gateway-signature': signCallback(WEBHOOK_SECRET, raw, Math.floor(Date.now() / 1000)),
      },
      body: raw,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  /** Everything a callback could change: the intent's row, the number of intents, the dossier's outbox rows. */
  const state = async (paymentId: string, dossierId: string) => {
    const r = await db.query<{ intent: unknown; intents: number; outbox: number }>(
      `SELECT (SELECT to_jsonb(i) FROM payment_intents i WHERE payment_id = $1) AS intent,
              (SELECT count(*)::int FROM payment_intents) AS intents,
              (SELECT count(*)::int FROM messaging_outbox WHERE key = $2) AS outbox`,
      [paymentId, dossierId],
    );
    return r.rows[0];
  };

  it('answers 400 naming the field for a U+0000 in sessionId or gatewayReference, and changes nothing', async () => {
    const { dossierId, paymentId } = await flows(h, pid).unpaidDossier();
    const genuine = {
      sessionId: 'cs_000000000000000000000001',
      paymentId,
      status: 'SUCCEEDED',
      amountVnd: 8000,
      gatewayReference: 'PGW-000001',
      method: 'CARD',
      occurredAt: new Date().toISOString(),
    };
    const before = await state(paymentId, dossierId);
    expect(before?.intent).toMatchObject({ status: 'PENDING', session_id: null, gateway_reference: null });

    for (const [field, over] of [
      ['sessionId', { sessionId: 'cs_0000\u00000000000000000000001' }],
      ['gatewayReference', { gatewayReference: 'PGW-\u0000000001' }],
    ] as const) {
      const res = await post({ ...genuine, ...over });
      expect([field, res.status]).toEqual([field, 400]);
      // The platform's one error shape, in the words of the shared check every other body gets.
      const said =
        'contains the control character U+0000; text may hold tab, line feed and carriage return, no other control characters';
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: `Invalid request body: ${field}: ${said}`,
        issues: [{ path: field, code: 'invalid_characters', message: said }],
        correlationId: expect.any(String) as unknown,
      });
    }
    // Both at once: each field is named.
    const both = await post({ ...genuine, sessionId: '\u0000', gatewayReference: 'PGW\u0000' });
    expect(both.status).toBe(400);
    expect((both.body['issues'] as { path: string }[]).map((i) => i.path)).toEqual(['sessionId', 'gatewayReference']);

    expect(await state(paymentId, dossierId)).toEqual(before);
    expect(h.tap.matching('payment.completed.v1', (e) => e.dossierId === dossierId)).toHaveLength(0);
    // No request reached the error log of a 5xx.
    expect(h.logLines.filter((l) => l['level'] === 50 || l['level'] === 60)).toEqual([]);

    // The same callback with clean text is applied: the refusals were about the characters only.
    const ok = await post(genuine);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ received: true, outcome: 'completed' });
    await h.tap.waitFor('payment.completed.v1', (e) => e.dossierId === dossierId);
    const after = await state(paymentId, dossierId);
    expect(after?.intent).toMatchObject({
      status: 'SUCCEEDED',
      session_id: genuine.sessionId,
      gateway_reference: genuine.gatewayReference,
    });
    // The outbox count above does see this dossier's events: the completion added one.
    expect(after?.outbox).toBe((before?.outbox ?? 0) + 1);
  });

  it('still refuses an unsigned body before looking at its text (401, not 400)', async () => {
    const res = await fetch(`${h.paymentUrl}/payments/gateway/callbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sessionId: '\u0000' }),
    });
    expect(res.status).toBe(401);
  });
});
