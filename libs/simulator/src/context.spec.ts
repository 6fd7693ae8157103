import { defaultSimulatorConfig } from './config';
import { RuntimeQuotas, SETTLE_PATIENCE_MS, settle, type Ctx, type PaymentPlan } from './context';
import { HttpError, type HttpResponse } from './http';

describe('payment plans', () => {
  const config = defaultSimulatorConfig();
  const plans = (quotas: RuntimeQuotas, channels: readonly ('ONLINE' | 'COUNTER')[]) =>
    channels.map((channel) => ({ channel, plan: quotas.paymentPlan(channel) }));
  const mixed = Array.from({ length: 400 }, (_, i): 'ONLINE' | 'COUNTER' => (i % 7 < 3 ? 'COUNTER' : 'ONLINE'));

  it('pays in cash only at the counter, counterCashShare of the paid counter dossiers to within one', () => {
    const all = plans(new RuntimeQuotas(config, 7), mixed);
    expect(all.filter((p) => p.channel === 'ONLINE' && p.plan === 'cash')).toEqual([]);
    const paidAtCounter = all.filter((p) => p.channel === 'COUNTER' && !['withdraw', 'expire'].includes(p.plan));
    const cash = paidAtCounter.filter((p) => p.plan === 'cash').length;
    expect(Math.abs(cash - paidAtCounter.length * config.payment.counterCashShare)).toBeLessThanOrEqual(1);
  });

  it('keeps abandonments at their share of all fee-paying dossiers, whatever the cash share', () => {
    for (const counterCashShare of [0, 0.9, 1]) {
      const quotas = new RuntimeQuotas({ ...config, payment: { ...config.payment, counterCashShare } }, 7);
      const all = plans(quotas, mixed);
      const abandoned = all.filter((p) => (['withdraw', 'expire'] as PaymentPlan[]).includes(p.plan)).length;
      expect(Math.abs(abandoned - mixed.length * config.payment.abandonRate)).toBeLessThanOrEqual(1);
      const cash = all.filter((p) => p.plan === 'cash').length;
      if (counterCashShare === 0) expect(cash).toBe(0);
      else expect(cash).toBeGreaterThan(0);
    }
  });
});

describe('settle: a state-changing request sent again on server errors', () => {
  /** A context whose pauses only add up (no real waiting): settle needs nothing else of it. */
  const pausing = () => {
    const pauses: number[] = [];
    const ctx = {
      lifetime: {
        sleep: (ms: number) => {
          pauses.push(ms);
          return Promise.resolve();
        },
      },
    } as unknown as Ctx;
    return { ctx, pauses };
  };
  const answer = (status: number): HttpResponse => ({
    status,
    headers: {},
    text: `status ${String(status)}`,
    durationMs: 1,
  });

  it('keeps sending through a restart of several seconds (502s) and returns the first answer that is not a 5xx', async () => {
    const { ctx, pauses } = pausing();
    // About 8 s of 502s, what payment answers while the payment platform it calls starts again.
    const statuses = [502, 502, 502, 502, 502, 502, 502, 200];
    let sent = 0;
    const res = await settle(ctx, '/checkout', () => Promise.resolve(answer(statuses[sent++] ?? 200)));
    expect(res?.status).toBe(200);
    expect(sent).toBe(8);
    expect(pauses.reduce((a, b) => a + b, 0)).toBeGreaterThan(5000);
    // Backs off, and never waits more than 2 s between two attempts.
    expect(pauses).toEqual([...pauses].sort((a, b) => a - b));
    expect(Math.max(...pauses)).toBe(2000);
  });

  it('returns a 4xx at once, and null when the platform says the change was already made', async () => {
    const { ctx, pauses } = pausing();
    expect((await settle(ctx, '/x', () => Promise.resolve(answer(409))))?.status).toBe(409);
    expect(pauses).toEqual([]);
    const made = await settle(
      ctx,
      '/x',
      () => Promise.resolve(answer(503)),
      () => Promise.resolve(true),
    );
    expect(made).toBeNull();
  });

  it('gives up with the last server error once its pauses would pass its patience', async () => {
    const { ctx, pauses } = pausing();
    let sent = 0;
    const failing = settle(ctx, '/checkout', () => {
      sent++;
      return Promise.resolve(answer(503));
    });
    await expect(failing).rejects.toBeInstanceOf(HttpError);
    await expect(failing).rejects.toThrow(/503/);
    const waited = pauses.reduce((a, b) => a + b, 0);
    expect(waited).toBeLessThanOrEqual(SETTLE_PATIENCE_MS);
    expect(waited + 2000).toBeGreaterThan(SETTLE_PATIENCE_MS);
    expect(sent).toBe(pauses.length + 1);
  });
});
