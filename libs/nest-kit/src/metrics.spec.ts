import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { eventually } from '@hoso/testing';
import { MetricsService } from './metrics';

const metric = async (m: MetricsService, name: string): Promise<number> => {
  const line = (await m.registry.getSingleMetricAsString(name)).split('\n').find((l) => l.startsWith(`${name}{`));
  return Number(line?.split(' ').pop());
};

describe('MetricsService', () => {
  it('reports the used heap after a full collection once one has run, within the heap V8 holds', async () => {
    const m = new MetricsService('test');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const reading = await eventually(
      'a full collection seen',
      async () => (await metric(m, 'nodejs_heap_used_after_full_gc_bytes')) || undefined,
    );
    expect(reading).toBeGreaterThan(1_000_000);
    expect(reading).toBeLessThanOrEqual(getHeapStatistics().total_heap_size);
  }, 60_000);
});
