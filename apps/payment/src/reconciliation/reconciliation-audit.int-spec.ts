import { Client } from 'pg';
import { GatewayClient } from '../gateway/gateway.client';
import { flows } from '../testing/flows';
import { startHarness, type Harness } from '../testing/payment-harness';
import type { ReconciliationReport } from './reconcile.handler';

jest.setTimeout(90_000);

interface TrailRow {
  outcome: string;
  actor: { sub: string; role: string } | null;
  resource: string | null;
  reason: string | null;
  correlationId: string | null;
  details: Record<string, unknown> | null;
}

/**
 * An operator's reconciliation changes payments (it applies results whose callback was lost, expires overdue
 * intents): each run is recorded in the audit trail once, naming the operator and what it changed, a run that
 * failed as failed; a refused request leaves no record; the chain verifies afterwards.
 */
describe('payment: audit trail of the operators’ reconciliations (real Kafka, PostgreSQL, Redis, HTTP)', () => {
  let h: Harness;
  let db: Client;
  let f: ReturnType<typeof flows>;
  const pid = '079099000456';
  let operator: string;

  beforeAll(async () => {
    h = await startHarness();
    db = new Client({ connectionString: h.env.databases['payment'] });
    await db.connect();
    f = flows(h, pid);
    operator = await h.env.issuer.operator();
  });

  afterAll(async () => {
    await db.end();
    await h.close();
  });

  const reconcile = async (token: string, correlationId: string) => {
    const res = await fetch(`${h.paymentUrl}/payments/reconciliations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'x-correlation-id': correlationId },
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const runs = async (): Promise<TrailRow[]> =>
    (
      await db.query<{ entry: string }>(`SELECT entry FROM audit_trail WHERE action = 'payment.reconcile' ORDER BY seq`)
    ).rows.map((r) => {
      const e = JSON.parse(r.entry) as TrailRow;
      return {
        outcome: e.outcome,
        actor: e.actor,
        resource: e.resource,
        reason: e.reason,
        correlationId: e.correlationId,
        details: e.details,
      };
    });

  it('records a run that repaired a lost callback, by the operator who ran it, and the chain verifies', async () => {
    expect((await reconcile(await h.env.issuer.citizen(pid), 'reconcile-citizen')).status).toBe(403);
    expect((await reconcile(await h.env.issuer.officer('P79'), 'reconcile-officer')).status).toBe(403);
    expect(await runs()).toEqual([]);

    // Paid at the gateway, its callback dropped: only a reconciliation completes this payment.
    const { paymentId } = await f.unpaidDossier();
    const opened = await f.gw('POST', '/sessions', {
      paymentId,
      amountVnd: 8000,
      callbackUrl: `${h.paymentUrl}/payments/gateway/callbacks`,
      callbackMode: 'drop',
    });
    await f.api('POST', `/payments/${paymentId}/checkout`, await h.env.issuer.citizen(pid));
    expect(
      (await f.gw('POST', `/checkout/${opened.body['sessionId'] as string}/pay`, { outcome: 'success' })).status,
    ).toBe(200);

    const res = await reconcile(operator, 'reconcile-audit-1');
    expect(res.status).toBe(200);
    const report = res.body as unknown as ReconciliationReport;
    expect(report.repaired).toEqual([{ paymentId, outcome: 'completed' }]);
    expect(await runs()).toEqual([
      {
        outcome: 'allowed',
        actor: { sub: 'operator:1', role: 'operator' },
        resource: `reconciliation:${report.startedAt}`,
        reason: `repaired 1, expired 0, differences ${report.differences.length}`,
        correlationId: 'reconcile-audit-1',
        details: {
          since: report.since,
          ledgerEntries: report.ledgerEntries,
          repaired: [{ paymentId, outcome: 'completed' }],
          expired: [],
          differences: report.differences.length,
        },
      },
    ]);

    const count = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail`)).rows[0]!.n;
    const view = await f.api('GET', '/audit-trail?limit=500', operator);
    expect(view.status).toBe(200);
    expect(view.body['verification']).toEqual({
      ok: true,
      entries: count,
      headHash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
    });
    expect(
      (view.body['entries'] as Record<string, unknown>[]).filter((e) => e['action'] === 'payment.reconcile'),
    ).toEqual([
      expect.objectContaining({ actor: { sub: 'operator:1', role: 'operator' }, correlationId: 'reconcile-audit-1' }),
    ]);
  });

  it('records a run that found nothing to change, and one that failed as failed', async () => {
    const before = await runs();
    const quiet = await reconcile(operator, 'reconcile-audit-2');
    expect(quiet.status).toBe(200);
    expect((quiet.body as unknown as ReconciliationReport).repaired).toEqual([]);

    const ledger = jest
      .spyOn(h.payment.get(GatewayClient), 'ledgerSince')
      .mockRejectedValueOnce(new Error('gateway ledger unreachable'));
    try {
      expect((await reconcile(operator, 'reconcile-audit-3')).status).toBe(500);
    } finally {
      ledger.mockRestore();
    }

    const after = await runs();
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length)).toEqual([
      expect.objectContaining({
        outcome: 'allowed',
        actor: { sub: 'operator:1', role: 'operator' },
        correlationId: 'reconcile-audit-2',
        details: expect.objectContaining({ repaired: [], expired: [] }) as unknown,
      }),
      {
        outcome: 'failed',
        actor: { sub: 'operator:1', role: 'operator' },
        resource: null,
        reason: 'gateway ledger unreachable',
        correlationId: 'reconcile-audit-3',
        details: null,
      },
    ]);
  });
});
