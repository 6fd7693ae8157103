import { prune, throughput, type OffsetSample } from './throughput';

describe('throughput over the last minute', () => {
  it('divides the offset deltas by the time between the first and last sample in the window', () => {
    const samples: OffsetSample[] = [
      { at: 0, start: 10, end: 100, committed: { metrics: 90 } },
      { at: 10_000, start: 10, end: 150, committed: { metrics: 100, payment: 15 } },
      { at: 20_000, start: 10, end: 200, committed: { metrics: 190, payment: 30 } },
    ];
    const t = throughput(samples, 20_000);
    expect(t.windowSeconds).toBe(20);
    expect(t.inPerSec).toBe(5);
    // payment first committed inside the window: measured from the log start (10), not from zero.
    expect(t.outPerSec).toEqual({ metrics: 5, payment: 1 });
  });

  it('has no rate with fewer than two samples', () => {
    expect(throughput([{ at: 0, start: 0, end: 3, committed: {} }], 0)).toEqual({
      windowSeconds: 0,
      inPerSec: null,
      outPerSec: {},
    });
  });

  it('keeps one sample before the window as the baseline', () => {
    const s = [0, 30_000, 50_000, 70_000, 90_000].map((at) => ({ at }));
    expect(prune(s, 100_000).map((x) => x.at)).toEqual([30_000, 50_000, 70_000, 90_000]);
  });
});
