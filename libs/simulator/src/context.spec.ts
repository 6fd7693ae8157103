import { defaultSimulatorConfig } from './config';
import { RuntimeQuotas, type PaymentPlan } from './context';

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
