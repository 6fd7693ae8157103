import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { catalog, createEvent, samplePayloads } from '@hoso/contracts';
import { MessagingService } from '@hoso/messaging';
import { eventually } from '@hoso/testing';
import { signCallback } from './gateway/domain/signature';
import { API_KEY, startHarness, submitted, verified, WEBHOOK_SECRET, type Harness } from './testing/payment-harness';

describe('payment service with the gateway simulator (real Kafka, PostgreSQL, Redis, HTTP)', () => {
  let h: Harness;
  let db: Client;
  let gwDb: Client;
  const pid = '079099000123';
  let citizen: string;

  beforeAll(async () => {
    h = await startHarness();
    db = new Client({ connectionString: h.env.databases['payment'] });
    gwDb = new Client({ connectionString: h.env.databases['paygw'] });
    await db.connect();
    await gwDb.connect();
    citizen = await h.env.issuer.citizen(pid);
  });

  afterAll(async () => {
    await db.end();
    await gwDb.end();
    await h.close();
  });

  const api = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${h.paymentUrl}${path}`, {
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
  const gw = async (method: string, path: string, body?: unknown, key: string | null = API_KEY) => {
    const res = await fetch(`${h.gatewayUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const requestedFor = (dossierId: string) => h.tap.waitFor('payment.requested.v1', (e) => e.dossierId === dossierId);
  const count = (topic: string, dossierId: string) => h.tap.matching(topic, (e) => e.dossierId === dossierId).length;

  /** A dossier in a province without exemption, submitted and verified: returns its requested payment. */
  async function payableDossier(feeVnd = 8000, over: Partial<ReturnType<typeof submitted>> = {}) {
    const s = submitted({
      provinceCode: '79',
      feeVnd,
      applicant: { ...samplePayloads['dossier.submitted.v1'].applicant, personalId: pid },
      ...over,
    });
    await h.publish('dossier.submitted.v1', s);
    await h.publish('identity.verified.v1', verified(s));
    const req = await requestedFor(s.dossierId);
    return { dossierId: s.dossierId, paymentId: req.payload['paymentId'] as string };
  }

  it('requests exactly one payment whichever of submitted / verified comes first, and applies exemptions', async () => {
    const a = submitted({ provinceCode: '79', feeVnd: 8000 });
    await h.publish('dossier.submitted.v1', a);
    await h.publish('identity.verified.v1', verified(a));
    const b = submitted({ provinceCode: '68', feeVnd: 8000 }); // 50% online reduction
    await h.publish('identity.verified.v1', verified(b));
    await h.publish('dossier.submitted.v1', b);
    const exempt = submitted({ provinceCode: '01', feeVnd: 8000 });
    await h.publish('identity.verified.v1', verified(exempt));
    await h.publish('dossier.submitted.v1', exempt);
    const free = submitted({ provinceCode: '79', feeVnd: 0 });
    await h.publish('dossier.submitted.v1', free);
    await h.publish('identity.verified.v1', verified(free));
    const counter = submitted({ provinceCode: '01', feeVnd: 8000, channel: 'COUNTER' });
    await h.publish('dossier.submitted.v1', counter);
    await h.publish('identity.verified.v1', verified(counter));
    const rejected = submitted({ provinceCode: '79' });
    await h.publish('identity.rejected.v1', {
      ...samplePayloads['identity.rejected.v1'],
      dossierId: rejected.dossierId,
    });
    await h.publish('dossier.submitted.v1', rejected);

    expect((await requestedFor(a.dossierId)).payload).toMatchObject({ amountVnd: 8000 });
    expect((await requestedFor(b.dossierId)).payload).toMatchObject({ amountVnd: 4000 });
    expect((await requestedFor(counter.dossierId)).payload).toMatchObject({ amountVnd: 8000 });
    const waived = await h.tap.waitFor('payment.waived.v1', (e) => e.dossierId === exempt.dossierId);
    expect(waived.payload).toMatchObject({ reason: 'ONLINE_EXEMPTION', baseAmountVnd: 8000 });
    const zero = await h.tap.waitFor('payment.waived.v1', (e) => e.dossierId === free.dossierId);
    expect(zero.payload).toMatchObject({ reason: 'ZERO_FEE', baseAmountVnd: 0 });
    const requested = await requestedFor(a.dossierId);
    const expiresIn = Date.parse(requested.payload['expiresAt'] as string) - Date.now();
    expect(expiresIn).toBeGreaterThan(86_000_000);

    // Redelivering the upstream events decides nothing twice.
    await h.publish('identity.verified.v1', verified(a));
    await eventually('the rejected dossier to be closed', async () => {
      const r = await db.query<{ state: string }>('SELECT state FROM payment_dossiers WHERE dossier_id = $1', [
        rejected.dossierId,
      ]);
      return r.rows[0]?.state === 'IDENTITY_REJECTED';
    });
    for (const d of [a, b, counter]) expect(count('payment.requested.v1', d.dossierId)).toBe(1);
    expect(count('payment.requested.v1', rejected.dossierId) + count('payment.waived.v1', rejected.dossierId)).toBe(0);
    expect(count('payment.requested.v1', exempt.dossierId)).toBe(0);
  });

  it('decides every dossier of a set in one flush once: exemptions per province, waived and due side by side', async () => {
    const provinces = ['79', '68', '01'];
    const set = Array.from({ length: 30 }, (_, i) =>
      submitted({ provinceCode: provinces[i % 3], feeVnd: i % 5 === 0 ? 0 : 8000 }),
    );
    const send = (topic: 'dossier.submitted.v1' | 'identity.verified.v1', payloads: { dossierId: string }[]) =>
      h.producer.sendBatch(
        payloads.map((p) => {
          const event = createEvent(catalog, topic, p as never, {
            dossierId: p.dossierId,
            correlationId: `set-${uuidv7()}`,
            producer: 'test',
          });
          return { topic: `${h.env.topicPrefix}${topic}`, key: p.dossierId, value: JSON.stringify(event) };
        }),
      );
    // Each topic's events in one request, so each reaches the consumer as one set; the verifications first for
    // half of them, and three verifications twice (the same fact again) within the set.
    await send('identity.verified.v1', set.slice(0, 15).map(verified));
    await send('dossier.submitted.v1', set);
    await send('identity.verified.v1', [...set.slice(15), ...set.slice(15, 18)].map(verified));
    const decidedOnce = (d: { dossierId: string }) =>
      count('payment.requested.v1', d.dossierId) + count('payment.waived.v1', d.dossierId) >= 1;
    await eventually('every dossier decided', () => Promise.resolve(set.every(decidedOnce)), 30_000);
    const decided = set.map(
      (d) =>
        h.tap.matching('payment.requested.v1', (e) => e.dossierId === d.dossierId)[0] ??
        h.tap.matching('payment.waived.v1', (e) => e.dossierId === d.dossierId)[0],
    );
    set.forEach((d, i) => {
      const e = decided[i];
      // Ho Chi Minh City (79) charges the fee, Khanh Hoa (68) halves it online, Hanoi (01) waives it online.
      const expected =
        d.feeVnd === 0
          ? { type: 'payment.waived', payload: { reason: 'ZERO_FEE' } }
          : d.provinceCode === '01'
            ? { type: 'payment.waived', payload: { reason: 'ONLINE_EXEMPTION', baseAmountVnd: 8000 } }
            : { type: 'payment.requested', payload: { amountVnd: d.provinceCode === '68' ? 4000 : 8000 } };
      expect({ dossierId: d.dossierId, type: e?.type, payload: e?.payload }).toMatchObject({
        dossierId: d.dossierId,
        ...expected,
      });
    });
    const states = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM payment_dossiers WHERE dossier_id = ANY($1) AND state IN ('WAIVED', 'AWAITING_PAYMENT')`,
      [set.map((d) => d.dossierId)],
    );
    expect(Number(states.rows[0]?.n)).toBe(set.length);
    for (const d of set)
      expect(count('payment.requested.v1', d.dossierId) + count('payment.waived.v1', d.dossierId)).toBe(1);
  });

  it('checkout → pay at the gateway → signed callback → exactly one payment.completed.v1', async () => {
    const { dossierId, paymentId } = await payableDossier();
    const list = await api('GET', `/payments?dossierId=${dossierId}`, citizen);
    expect(list.status).toBe(200);
    expect(list.body['items']).toEqual([expect.objectContaining({ paymentId, status: 'PENDING', amountVnd: 8000 })]);
    const checkout = await api('POST', `/payments/${paymentId}/checkout`, citizen);
    expect(checkout.status).toBe(200);
    const sessionId = checkout.body['sessionId'] as string;
    expect(checkout.body['checkoutUrl']).toBe(`${h.gatewayUrl}/checkout/${sessionId}`);
    const page = await fetch(checkout.body['checkoutUrl'] as string);
    expect(await page.text()).toMatch(/8\.000/);
    const paid = await gw('POST', `/checkout/${sessionId}/pay`, { outcome: 'success', method: 'EWALLET' });
    expect(paid.status).toBe(200);
    const completed = await h.tap.waitFor('payment.completed.v1', (e) => e.dossierId === dossierId);
    expect(completed.payload).toMatchObject({ paymentId, amountVnd: 8000, method: 'EWALLET', online: true });
    const one = await api('GET', `/payments/${paymentId}`, citizen);
    expect(one.body).toMatchObject({ status: 'SUCCEEDED', settledVia: 'CALLBACK' });
    // Paying the same session again is refused by the gateway; nothing more is emitted.
    expect((await gw('POST', `/checkout/${sessionId}/pay`, { outcome: 'success' })).status).toBe(409);
  });

  it('sends the citizen back to the page the checkout names, on an allowed origin only (else 400, nothing opened)', async () => {
    const { dossierId, paymentId } = await payableDossier();
    const checkout = (body?: unknown) => api('POST', `/payments/${paymentId}/checkout`, citizen, body);
    const refused = await checkout({ returnUrl: `https://evil.example/dossiers/${dossierId}` });
    expect(refused.status).toBe(400);
    expect(refused.body['message']).toBe('returnUrl must be on one of: http://127.0.0.1:3000, http://localhost:3000');
    for (const body of [
      { returnUrl: 'not a url' },
      { returnUrl: 'http://127.0.0.1:3000.evil.example/' },
      { returnUrl: 'http://127.0.0.1:3001/' },
      { returnUrl: 'javascript:alert(1)' },
      { returnUrl: 42 },
      { returnUrl: `http://localhost:3000/${'x'.repeat(2000)}` },
      { redirect: 'http://localhost:3000/' },
    ]) {
      expect([(await checkout(body)).status, body]).toEqual([400, body]);
    }
    // Nothing was opened: no session at the gateway, none recorded on the intent.
    expect((await gwDb.query('SELECT 1 FROM gateway_sessions WHERE payment_id = $1', [paymentId])).rowCount).toBe(0);
    const before = await db.query<{ session_id: string | null }>(
      'SELECT session_id FROM payment_intents WHERE payment_id = $1',
      [paymentId],
    );
    expect(before.rows[0]!.session_id).toBeNull();

    const returnUrl = `http://localhost:3000/dossiers/${dossierId}`;
    const opened = await checkout({ returnUrl });
    expect(opened.status).toBe(200);
    expect(opened.body['returnUrl']).toBe(returnUrl);
    // The gateway keeps one page per session: asking again (with another page, or none) gets the same session back.
    const again = await checkout({ returnUrl: 'http://127.0.0.1:3000/elsewhere' });
    expect(again.body).toMatchObject({ sessionId: opened.body['sessionId'], returnUrl });
    expect((await checkout()).body).toMatchObject({ sessionId: opened.body['sessionId'], returnUrl });
    const paid = await gw('POST', `/checkout/${opened.body['sessionId'] as string}/pay`, { outcome: 'success' });
    expect(paid.body['returnUrl']).toBe(returnUrl);

    // Without a returnUrl and without PAYMENT_RETURN_URL (this harness sets none), the gateway has no page to send to.
    const plain = await payableDossier();
    const none = await api('POST', `/payments/${plain.paymentId}/checkout`, citizen);
    expect(none.body['returnUrl']).toBeNull();
    const paidPlain = await gw('POST', `/checkout/${none.body['sessionId'] as string}/pay`, { outcome: 'success' });
    expect(paidPlain.body['returnUrl']).toBeNull();
  });

  it('duplicate callbacks (sent concurrently) give one payment.completed.v1', async () => {
    const { dossierId, paymentId } = await payableDossier();
    // The test opens the session first with the 'duplicate' override; payment's checkout gets the same session back.
    const opened = await gw('POST', '/sessions', {
      paymentId,
      amountVnd: 8000,
      callbackUrl: `${h.paymentUrl}/payments/gateway/callbacks`,
      callbackMode: 'duplicate',
    });
    const checkout = await api('POST', `/payments/${paymentId}/checkout`, citizen);
    expect(checkout.body['sessionId']).toBe(opened.body['sessionId']);
    await gw('POST', `/checkout/${opened.body['sessionId'] as string}/pay`, { outcome: 'success' });
    await h.tap.waitFor('payment.completed.v1', (e) => e.dossierId === dossierId);
    await eventually('both callback copies to be answered 200', async () => {
      const r = await gwDb.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM gateway_callback_deliveries WHERE session_id = $1 AND status_code = 200',
        [opened.body['sessionId']],
      );
      return r.rows[0]!.n === 2;
    });
    await h.publish('identity.verified.v1', verified(submitted({ dossierId })));
    expect(count('payment.completed.v1', dossierId)).toBe(1);
  });

  it('a failed payment can be retried with a new intent, which then completes', async () => {
    const { dossierId, paymentId } = await payableDossier();
    expect((await api('POST', `/payments/dossiers/${dossierId}/intents`, citizen)).status).toBe(409); // still pending
    const first = await api('POST', `/payments/${paymentId}/checkout`, citizen);
    await gw('POST', `/checkout/${first.body['sessionId'] as string}/pay`, { outcome: 'failure' });
    const failed = await h.tap.waitFor('payment.failed.v1', (e) => e.dossierId === dossierId);
    expect(failed.payload).toMatchObject({ paymentId, reason: 'DECLINED', final: false });
    const retry = await api('POST', `/payments/dossiers/${dossierId}/intents`, citizen);
    expect(retry.status).toBe(201);
    const second = retry.body['paymentId'] as string;
    expect(second).not.toBe(paymentId);
    await h.tap.waitFor('payment.requested.v1', (e) => e.payload['paymentId'] === second);
    const checkout = await api('POST', `/payments/${second}/checkout`, citizen);
    await gw('POST', `/checkout/${checkout.body['sessionId'] as string}/pay`, { outcome: 'success' });
    const completed = await h.tap.waitFor('payment.completed.v1', (e) => e.dossierId === dossierId);
    expect(completed.payload['paymentId']).toBe(second);
    expect((await api('POST', `/payments/dossiers/${dossierId}/intents`, citizen)).status).toBe(409); // paid
  });

  it('refuses a callback with a bad, missing or stale signature (401) and changes nothing', async () => {
    const { dossierId, paymentId } = await payableDossier();
    const body = JSON.stringify({
      sessionId: 'cs_000000000000000000000000',
      paymentId,
      status: 'SUCCEEDED',
      amountVnd: 8000,
      gatewayReference: 'PGW-FORGED',
      method: 'CARD',
      occurredAt: new Date().toISOString(),
    });
    const now = Math.floor(Date.now() / 1000);
    const post = (signature?: string) =>
      fetch(`${h.paymentUrl}/payments/gateway/callbacks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(signature ? { 'x-gateway-signature': signature } : {}) },
        body,
      });
    expect((await post(signCallback('not-the-shared-secret-000', body, now))).status).toBe(401);
    expect((await post()).status).toBe(401);
    expect((await post(signCallback(WEBHOOK_SECRET, body, now - 301))).status).toBe(401);
    expect((await post(signCallback(WEBHOOK_SECRET, `${body} `, now))).status).toBe(401);
    const row = await db.query('SELECT status, flag FROM payment_intents WHERE payment_id = $1', [paymentId]);
    expect(row.rows[0]).toEqual({ status: 'PENDING', flag: null });
    // The genuine signature over the same bytes is accepted — the refusals above were about the signature only.
    const ok = await post(signCallback(WEBHOOK_SECRET, body, now));
    expect(ok.status).toBe(200);
    await h.tap.waitFor('payment.completed.v1', (e) => e.dossierId === dossierId);
    // A FAILED arriving after the success is ignored; an amount that does not match is flagged, not applied.
    const late = JSON.stringify({ ...JSON.parse(body), status: 'FAILED', gatewayReference: 'PGW-LATE' });
    const lateRes = await fetch(`${h.paymentUrl}/payments/gateway/callbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gateway-signature': signCallback(WEBHOOK_SECRET, late, now) },
      body: late,
    });
    expect(await lateRes.json()).toMatchObject({ outcome: 'ignored' });
    expect(count('payment.failed.v1', dossierId)).toBe(0);
  });

  it('reconciliation repairs a dropped callback exactly once (run twice)', async () => {
    const { dossierId, paymentId } = await payableDossier();
    const opened = await gw('POST', '/sessions', {
      paymentId,
      amountVnd: 8000,
      callbackUrl: `${h.paymentUrl}/payments/gateway/callbacks`,
      callbackMode: 'drop',
    });
    await api('POST', `/payments/${paymentId}/checkout`, citizen);
    await gw('POST', `/checkout/${opened.body['sessionId'] as string}/pay`, { outcome: 'success' });
    const operator = await h.env.issuer.operator();
    expect((await api('POST', '/payments/reconciliations', citizen)).status).toBe(403);
    const first = await api('POST', '/payments/reconciliations', operator);
    expect(first.status).toBe(200);
    expect(first.body['repaired']).toEqual([{ paymentId, outcome: 'completed' }]);
    const second = await api('POST', '/payments/reconciliations', operator);
    expect(second.body['repaired']).toEqual([]);
    const completed = await h.tap.waitFor('payment.completed.v1', (e) => e.dossierId === dossierId);
    expect(completed.payload['paymentId']).toBe(paymentId);
    const intent = await api('GET', `/payments/${paymentId}`, operator);
    expect(intent.body).toMatchObject({ status: 'SUCCEEDED', settledVia: 'RECONCILIATION' });
    const deliveries = await gwDb.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM gateway_callback_deliveries WHERE session_id = $1',
      [opened.body['sessionId']],
    );
    expect(deliveries.rows[0]!.n).toBe(0);
    expect(count('payment.completed.v1', dossierId)).toBe(1);
  });

  it('refunds once when the case is rejected, whatever the redeliveries', async () => {
    const { dossierId, paymentId } = await payableDossier();
    const checkout = await api('POST', `/payments/${paymentId}/checkout`, citizen);
    await gw('POST', `/checkout/${checkout.body['sessionId'] as string}/pay`, { outcome: 'success' });
    await h.tap.waitFor('payment.completed.v1', (e) => e.dossierId === dossierId);
    const rejection = { ...samplePayloads['case.completed.v1'], dossierId, outcome: 'REJECTED' as const };
    const stats = () => h.payment.get(MessagingService).consumer?.stats;
    const duplicatesBefore = stats()?.duplicates ?? 0;
    const eventId = uuidv7();
    await h.publish('case.completed.v1', rejection, eventId);
    await h.publish('case.completed.v1', rejection, eventId);
    // The same fact announced again under a new event id (a producer retry): the inbox knows the fact.
    await h.publish('case.completed.v1', rejection);
    const refunded = await h.tap.waitFor('payment.refunded.v1', (e) => e.dossierId === dossierId);
    expect(refunded.payload).toMatchObject({ paymentId, amountVnd: 8000 });
    await eventually('the redelivery and the re-announcement skipped as duplicates', () =>
      Promise.resolve((stats()?.duplicates ?? 0) - duplicatesBefore >= 2),
    );
    const g = await gwDb.query<{ n: number }>(`SELECT count(*)::int AS n FROM gateway_refunds WHERE payment_id = $1`, [
      paymentId,
    ]);
    expect(g.rows[0]!.n).toBe(1);
    expect(count('payment.refunded.v1', dossierId)).toBe(1);
    // An approved case refunds nothing.
    const other = await payableDossier();
    await h.publish('case.completed.v1', { ...samplePayloads['case.completed.v1'], dossierId: other.dossierId });
    expect(count('payment.refunded.v1', other.dossierId)).toBe(0);
  });

  /** Events of a topic the service wrote for a dossier (the database's word, whatever Kafka delivered yet). */
  const outboxRows = async (topic: string, dossierId: string) =>
    (
      await db.query<{ n: number; unsent: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE sent_at IS NULL)::int AS unsent FROM messaging_outbox
         WHERE topic LIKE '%' || $1 AND key = $2`,
        [topic, dossierId],
      )
    ).rows[0]!;
  const completedRows = (dossierId: string) => outboxRows('payment.completed.v1', dossierId);
  const intentRow = async (paymentId: string) =>
    (
      await db.query<Record<string, unknown>>(
        `SELECT status, method, settled_via, gateway_reference, cash_receipt_no, cash_recorded_by, cash_agency_code, flag
         FROM payment_intents WHERE payment_id = $1`,
        [paymentId],
      )
    ).rows[0]!;
  const AGENCY = samplePayloads['dossier.submitted.v1'].agencyCode; // H33.01

  describe('cash at the counter', () => {
    it('an officer of the agency records it: one payment.completed.v1 with online false; the same receipt answers the same', async () => {
      const { dossierId, paymentId } = await payableDossier(8000, { channel: 'COUNTER' });
      const officer = await h.env.issuer.officer(AGENCY, { sub: 'officer-h33-01' });
      const cash = (body: unknown) => api('POST', `/payments/${paymentId}/cash`, officer, body);

      // Sent twice at once (a double click at the counter): one records it, the other gets the same answer.
      const [recorded, twin] = await Promise.all([
        cash({ amountVnd: 8000, receiptNo: ' BL/2025-000123 ' }),
        cash({ amountVnd: 8000, receiptNo: 'BL/2025-000123' }),
      ]);
      expect(recorded.status).toBe(200);
      expect(twin).toEqual(recorded);
      expect(recorded.body).toMatchObject({
        paymentId,
        status: 'SUCCEEDED',
        method: 'CASH',
        settledVia: 'COUNTER',
        receiptNo: 'BL/2025-000123',
        gatewayReference: null,
      });
      const completed = await h.tap.waitFor('payment.completed.v1', (e) => e.dossierId === dossierId);
      expect(completed.payload).toMatchObject({
        paymentId,
        amountVnd: 8000,
        method: 'COUNTER',
        online: false,
        gatewayReference: 'CASH-BL/2025-000123',
      });
      expect(await intentRow(paymentId)).toMatchObject({
        cash_recorded_by: 'officer-h33-01',
        cash_agency_code: AGENCY,
      });
      // One audit record for the two requests, written by the transaction that completed the payment.
      const trail = await db.query<{ outcome: string; actor_sub: string; reason: string; tx: string }>(
        `SELECT outcome, actor_sub, entry::jsonb ->> 'reason' AS reason, xmin::text AS tx FROM audit_trail
          WHERE action = 'payment.cash' AND entry::jsonb ->> 'resource' = $1`,
        [paymentId],
      );
      const [intentTx] = (
        await db.query<{ tx: string }>('SELECT xmin::text AS tx FROM payment_intents WHERE payment_id = $1', [
          paymentId,
        ])
      ).rows;
      expect(trail.rows).toEqual([
        {
          outcome: 'allowed',
          actor_sub: 'officer-h33-01',
          reason: 'receipt BL/2025-000123, 8000 VND',
          tx: intentTx!.tx,
        },
      ]);
      // The citizen's view of the dossier's payment shows it paid in cash.
      const list = await api('GET', `/payments?dossierId=${dossierId}`, citizen);
      expect(list.body).toMatchObject({ state: 'PAID' });
      expect(list.body['items']).toEqual([
        expect.objectContaining({ paymentId, status: 'SUCCEEDED', method: 'CASH', receiptNo: 'BL/2025-000123' }),
      ]);

      // Sent again (an answer lost at the counter): the same receipt gets the same answer, and records nothing more.
      const again = await cash({ amountVnd: 8000, receiptNo: 'BL/2025-000123' });
      expect(again).toEqual({ status: 200, body: recorded.body });
      // Another receipt for the same fee would take it twice.
      const other = await cash({ amountVnd: 8000, receiptNo: 'BL/2025-000124' });
      expect(other.status).toBe(409);
      expect(other.body['message']).toBe(
        'cannot record the cash payment: the payment is already paid (in cash, receipt BL/2025-000123)',
      );
      // Paid: the online checkout is closed to it too.
      expect((await api('POST', `/payments/${paymentId}/checkout`, citizen)).status).toBe(409);
      await eventually('the outbox to be relayed', async () => (await completedRows(dossierId)).unsent === 0);
      expect((await completedRows(dossierId)).n).toBe(1);
      expect(count('payment.completed.v1', dossierId)).toBe(1);

      // Reconciliation does not miss cash in the gateway's ledger: it never went there.
      const report = await api('POST', '/payments/reconciliations', await h.env.issuer.operator());
      expect(report.status).toBe(200);
      expect(report.body['differences']).not.toContainEqual(expect.objectContaining({ paymentId }));
    });

    it('refuses, changing nothing: a citizen (403), another agency (404, audited), another amount or a bad body (400)', async () => {
      const { dossierId, paymentId } = await payableDossier(8000, { channel: 'COUNTER' });
      const cash = (token: string | undefined, body: unknown) =>
        api('POST', `/payments/${paymentId}/cash`, token, body);
      const ok = { amountVnd: 8000, receiptNo: 'BL-1' };
      expect((await cash(citizen, ok)).status).toBe(403);
      expect((await cash(await h.env.issuer.operator(), ok)).status).toBe(403);
      expect((await cash(undefined, ok)).status).toBe(401);
      expect((await cash(await h.env.issuer.officer('H79.01'), ok)).status).toBe(404);
      // The refusal is in the audit trail (its own transaction: the request failed).
      expect(
        (
          await db.query(
            `SELECT 1 FROM audit_trail WHERE action = 'payment.cash' AND outcome = 'denied' AND actor_sub = 'officer:H79.01'
              AND entry::jsonb ->> 'resource' = $1`,
            [paymentId],
          )
        ).rowCount,
      ).toBe(1);
      expect(
        h.logLines.some(
          (l) =>
            l['audit'] === true &&
            l['action'] === 'payment.cash' &&
            l['outcome'] === 'denied' &&
            l['resource'] === paymentId,
        ),
      ).toBe(true);
      const officer = await h.env.issuer.officer(AGENCY);
      const wrong = await cash(officer, { amountVnd: 7000, receiptNo: 'BL-1' });
      expect(wrong.status).toBe(400);
      expect(wrong.body['message']).toBe('amountVnd must be the amount due, 8000 VND (got 7000)');
      for (const body of [
        { amountVnd: 8000 },
        { receiptNo: 'BL-1' },
        { amountVnd: '8000', receiptNo: 'BL-1' },
        { amountVnd: 8000.5, receiptNo: 'BL-1' },
        { amountVnd: 0, receiptNo: 'BL-1' },
        { amountVnd: 8000, receiptNo: '' },
        { amountVnd: 8000, receiptNo: '   ' },
        { amountVnd: 8000, receiptNo: 'x'.repeat(41) },
        { amountVnd: 8000, receiptNo: 'BL-1\n' + 'x' },
        { amountVnd: 8000, receiptNo: 'BL-1', method: 'CASH' },
      ]) {
        expect([(await cash(officer, body)).status, body]).toEqual([400, body]);
      }
      expect(await intentRow(paymentId)).toMatchObject({ status: 'PENDING', method: null, cash_receipt_no: null });
      expect((await completedRows(dossierId)).n).toBe(0);
      // …and the fee can still be paid: the refusals were about the request only.
      expect((await cash(officer, ok)).status).toBe(200);
      await h.tap.waitFor('payment.completed.v1', (e) => e.dossierId === dossierId);
    });

    it('one receipt pays one dossier of the agency; a payment that no longer awaits payment is a 409', async () => {
      const officer = await h.env.issuer.officer(AGENCY);
      const first = await payableDossier(8000, { channel: 'COUNTER' });
      const second = await payableDossier(8000, { channel: 'COUNTER' });
      expect(
        (await api('POST', `/payments/${first.paymentId}/cash`, officer, { amountVnd: 8000, receiptNo: 'BL-77' }))
          .status,
      ).toBe(200);
      const reused = await api('POST', `/payments/${second.paymentId}/cash`, officer, {
        amountVnd: 8000,
        receiptNo: 'BL-77',
      });
      expect(reused.status).toBe(409);
      expect(reused.body['message']).toBe(
        `cannot record the cash payment: receipt BL-77 was already recorded for ${first.paymentId}`,
      );
      expect(await intentRow(second.paymentId)).toMatchObject({ status: 'PENDING', cash_receipt_no: null });
      // Another agency numbers its own receipts.
      const elsewhere = await payableDossier(8000, { channel: 'COUNTER', agencyCode: 'H79.01' });
      const otherOfficer = await h.env.issuer.officer('H79.01');
      expect(
        (
          await api('POST', `/payments/${elsewhere.paymentId}/cash`, otherOfficer, {
            amountVnd: 8000,
            receiptNo: 'BL-77',
          })
        ).status,
      ).toBe(200);

      // Withdrawn before paying: the payment is cancelled, and no cash can be taken for it.
      await h.publish('dossier.withdrawn.v1', {
        ...samplePayloads['dossier.withdrawn.v1'],
        dossierId: second.dossierId,
      });
      await eventually(
        'the withdrawal to cancel the payment',
        async () => (await intentRow(second.paymentId))['status'] === 'CANCELLED',
      );
      const late = await api('POST', `/payments/${second.paymentId}/cash`, officer, {
        amountVnd: 8000,
        receiptNo: 'BL-78',
      });
      expect(late.status).toBe(409);
      expect(late.body['message']).toBe(
        'cannot record the cash payment: the payment is CANCELLED, not awaiting payment',
      );
      // Paid online first: no cash on top.
      const online = await payableDossier(8000, { channel: 'COUNTER' });
      const checkout = await api('POST', `/payments/${online.paymentId}/checkout`, citizen);
      await gw('POST', `/checkout/${checkout.body['sessionId'] as string}/pay`, { outcome: 'success' });
      await h.tap.waitFor('payment.completed.v1', (e) => e.dossierId === online.dossierId);
      const onTop = await api('POST', `/payments/${online.paymentId}/cash`, officer, {
        amountVnd: 8000,
        receiptNo: 'BL-79',
      });
      expect(onTop.status).toBe(409);
      expect(onTop.body['message']).toBe('cannot record the cash payment: the payment is already paid (online)');
      for (const d of [second, online]) expect((await completedRows(d.dossierId)).n).toBe(d === online ? 1 : 0);
    });

    it('a checkout opened before the cash was taken: paying it too is flagged as a double payment, not completed again', async () => {
      const { dossierId, paymentId } = await payableDossier(8000, { channel: 'COUNTER' });
      const checkout = await api('POST', `/payments/${paymentId}/checkout`, citizen);
      expect(checkout.status).toBe(200);
      const officer = await h.env.issuer.officer(AGENCY);
      expect(
        (await api('POST', `/payments/${paymentId}/cash`, officer, { amountVnd: 8000, receiptNo: 'BL-90' })).status,
      ).toBe(200);
      // The gateway has no way to close a session: the citizen can still pay it.
      expect(
        (await gw('POST', `/checkout/${checkout.body['sessionId'] as string}/pay`, { outcome: 'success' })).status,
      ).toBe(200);
      await eventually(
        'the gateway payment to be flagged',
        async () => (await intentRow(paymentId))['flag'] === 'DOUBLE_PAYMENT',
      );
      expect(await intentRow(paymentId)).toMatchObject({ status: 'SUCCEEDED', method: 'CASH', settled_via: 'COUNTER' });
      // Reconciliation reports it for a refund by hand.
      const report = await api('POST', '/payments/reconciliations', await h.env.issuer.operator());
      expect(report.body['differences']).toContainEqual(
        expect.objectContaining({ kind: 'STATUS_MISMATCH', paymentId }),
      );
      await eventually('the outbox to be relayed', async () => (await completedRows(dossierId)).unsent === 0);
      expect((await completedRows(dossierId)).n).toBe(1);
    });

    it('a rejection after a cash payment records the refund as owed at the counter, once, without the gateway', async () => {
      const { dossierId, paymentId } = await payableDossier(8000, { channel: 'COUNTER' });
      const officer = await h.env.issuer.officer(AGENCY);
      expect(
        (await api('POST', `/payments/${paymentId}/cash`, officer, { amountVnd: 8000, receiptNo: 'BL-500' })).status,
      ).toBe(200);
      await h.tap.waitFor('payment.completed.v1', (e) => e.dossierId === dossierId);
      const rejection = { ...samplePayloads['case.completed.v1'], dossierId, outcome: 'REJECTED' as const };
      const stats = () => h.payment.get(MessagingService).consumer?.stats;
      const duplicatesBefore = stats()?.duplicates ?? 0;
      const eventId = uuidv7();
      await h.publish('case.completed.v1', rejection, eventId);
      await h.publish('case.completed.v1', rejection, eventId);
      // The same fact announced again under a new event id (a producer retry).
      const changedId = await h.publish('case.completed.v1', rejection);
      const refunded = await h.tap.waitFor('payment.refunded.v1', (e) => e.dossierId === dossierId);
      expect(refunded.payload).toMatchObject({
        paymentId,
        amountVnd: 8000,
        reason: `case rejected; paid in cash (receipt BL-500), to be paid back in cash at the counter of ${AGENCY}`,
      });
      await eventually('every trigger to be consumed', async () => {
        const r = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM messaging_inbox WHERE event_id = ANY($1)`,
          [[eventId, changedId]],
        );
        return r.rows[0]!.n === 1 && (stats()?.duplicates ?? 0) - duplicatesBefore >= 2;
      });
      const refunds = await db.query(
        'SELECT method, gateway_refund_id, amount_vnd FROM payment_refunds WHERE payment_id = $1',
        [paymentId],
      );
      expect(refunds.rows).toEqual([{ method: 'CASH_AT_COUNTER', gateway_refund_id: null, amount_vnd: '8000' }]);
      const g = await gwDb.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM gateway_refunds WHERE payment_id = $1`,
        [paymentId],
      );
      expect(g.rows[0]!.n).toBe(0);
      expect((await outboxRows('payment.refunded.v1', dossierId)).n).toBe(1);
      expect(count('payment.refunded.v1', dossierId)).toBe(1);
    });
  });

  it('scopes reads: another citizen gets 404 (audited); tokens are needed except for callback, health, metrics, docs', async () => {
    const { dossierId, paymentId } = await payableDossier();
    const stranger = await h.env.issuer.citizen('001099000999');
    expect((await api('GET', `/payments/${paymentId}`, stranger)).status).toBe(404);
    expect((await api('GET', `/payments?dossierId=${dossierId}`, stranger)).status).toBe(404);
    expect((await api('POST', `/payments/${paymentId}/checkout`, stranger)).status).toBe(404);
    expect(
      h.logLines.some((l) => l['audit'] === true && l['resource'] === paymentId && l['outcome'] === 'denied'),
    ).toBe(true);
    expect((await api('GET', `/payments/${paymentId}`, await h.env.issuer.officer('H33.01'))).status).toBe(200);
    // The operators' view of the trail: officers and citizens are refused; the chain verifies.
    expect((await api('GET', '/audit-trail', citizen)).status).toBe(403);
    expect((await api('GET', '/audit-trail')).status).toBe(401);
    const view = await api('GET', '/audit-trail?limit=500', await h.env.issuer.operator());
    expect(view.status).toBe(200);
    expect(view.body['verification']).toMatchObject({ ok: true });
    expect(view.body['entries']).toContainEqual(
      expect.objectContaining({ action: 'payment.read', outcome: 'denied', resource: paymentId }),
    );
    expect((await api('GET', `/payments/${paymentId}`)).status).toBe(401);
    expect((await api('POST', `/payments/${paymentId}/checkout`)).status).toBe(401);
    expect((await api('GET', `/payments?dossierId=${dossierId}&extra=1`, citizen)).status).toBe(400);
    expect((await fetch(`${h.paymentUrl}/health`)).status).toBe(200);
    expect(await (await fetch(`${h.paymentUrl}/metrics`)).text()).toMatch(/payment_gateway_callbacks_total/);
    expect((await fetch(`${h.paymentUrl}/docs/openapi.json`)).status).toBe(200);
    // The simulator's server API needs its API key.
    expect((await gw('GET', '/ledger', undefined, null)).status).toBe(401);
    expect(
      (await gw('POST', '/sessions', { paymentId, amountVnd: 1, callbackUrl: 'http://x' }, 'wrong-key')).status,
    ).toBe(401);
    expect((await gw('POST', '/refunds', { paymentId, amountVnd: 1, reason: 'x' }, null)).status).toBe(401);
  });
});
