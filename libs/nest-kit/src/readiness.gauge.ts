import { Gauge, type Registry } from 'prom-client';

/** `p`, or a rejection once `ms` passed without an answer (a hanging dependency counts as down). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      reject(new Error(`no answer in ${ms} ms`));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Whether each named check answered within `timeoutMs`, as GET /health/ready judges it. */
export async function probeReadiness(
  checks: Readonly<Record<string, () => Promise<unknown>>>,
  timeoutMs: number,
): Promise<Record<string, boolean>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, boolean]> => {
      try {
        await withTimeout(check(), timeoutMs);
        return [name, true];
      } catch {
        return [name, false];
      }
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * `service_ready` (1 when every readiness check passes, as GET /health/ready would answer) and
 * `service_readiness_check_up{check}`. Both gauges of one scrape share one run of the checks: prom-client collects
 * the metrics of a registry concurrently, and two runs could disagree.
 */
export function registerReadinessGauges(
  registry: Registry,
  checks: Readonly<Record<string, () => Promise<unknown>>>,
  timeoutMs: number,
): void {
  let shared: { at: number; result: Promise<Record<string, boolean>> } | null = null;
  const probe = () => {
    if (!shared || Date.now() - shared.at > 1000)
      shared = { at: Date.now(), result: probeReadiness(checks, timeoutMs) };
    return shared.result;
  };
  // A second HealthModule on the same registry (one process hosting two Nest applications) reports the latest one.
  for (const name of ['service_ready', 'service_readiness_check_up']) registry.removeSingleMetric(name);
  new Gauge({
    name: 'service_ready',
    help: 'Whether the service is ready (1) or not (0): every readiness check passes, as GET /health/ready answers',
    registers: [registry],
    async collect() {
      this.set(Object.values(await probe()).every(Boolean) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'service_readiness_check_up',
    help: 'Whether one readiness check (database, kafka, consumer, redis, an upstream…) passes (1) or not (0)',
    labelNames: ['check'],
    registers: [registry],
    async collect() {
      for (const [check, up] of Object.entries(await probe())) this.set({ check }, up ? 1 : 0);
    },
  });
}
