import { Registry } from 'prom-client';
import { registerReadinessGauges } from './readiness.gauge';

async function values(registry: Registry): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of await registry.getMetricsAsJSON()) {
    for (const v of m.values) {
      const check = (v.labels as Record<string, string | undefined>)['check'];
      out[check ? `${m.name}{${check}}` : m.name] = v.value;
    }
  }
  return out;
}

describe('readiness gauges', () => {
  it('follow the checks: ready while all pass, not ready with the failing check named', async () => {
    let redisUp = true;
    const registry = new Registry();
    registerReadinessGauges(
      registry,
      {
        database: () => Promise.resolve(),
        redis: () => (redisUp ? Promise.resolve('PONG') : Promise.reject(new Error('ECONNREFUSED'))),
      },
      50,
    );
    expect(await values(registry)).toEqual({
      service_ready: 1,
      'service_readiness_check_up{database}': 1,
      'service_readiness_check_up{redis}': 1,
    });

    redisUp = false;
    // One run of the checks serves the scrapes of the same second.
    await new Promise((r) => setTimeout(r, 1100));
    expect(await values(registry)).toEqual({
      service_ready: 0,
      'service_readiness_check_up{database}': 1,
      'service_readiness_check_up{redis}': 0,
    });
  });

  it('counts a check that does not answer in time as down', async () => {
    const registry = new Registry();
    registerReadinessGauges(registry, { kafka: () => new Promise(() => undefined) }, 20);
    expect(await values(registry)).toEqual({ service_ready: 0, 'service_readiness_check_up{kafka}': 0 });
  });
});
