import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { eventually } from '@hoso/testing';
import { MetricsService } from './metrics';

const metric = async (m: MetricsService, name: string): Promise<number> => {
  const line = (await m.registry.getSingleMetricAsString(name)).split('\n').find((l) => l.startsWith(`${name}{`));
  return Number(line?.split(' ').pop());
};

describe('MetricsService', () => {
  it('reports the heap right after a full collection: what the process keeps, and its release', async () => {
    const m = new MetricsService('test');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const first = await eventually(
      'a full collection seen',
      async () => (await metric(m, 'nodejs_heap_used_after_full_gc_bytes')) || undefined,
    );
    expect(first).toBeGreaterThan(1_000_000);
    // 50 MB kept alive shows in the next reading; the same amount of garbage would not.
    const kept = Array.from({ length: 50 }, () => new Array<number>(131_072).fill(1));
    gc();
    const withKept = await eventually('the next full collection seen', async () => {
      const v = await metric(m, 'nodejs_heap_used_after_full_gc_bytes');
      return v > first + 40_000_000 ? v : undefined;
    });
    expect(kept).toHaveLength(50);
    kept.length = 0;
    gc();
    await eventually('the heap back down after the release', async () => {
      const v = await metric(m, 'nodejs_heap_used_after_full_gc_bytes');
      return v < withKept - 40_000_000 ? v : undefined;
    });
    // Three full collections of a test worker's heap: slow on a busy machine.
  }, 60_000);
});
