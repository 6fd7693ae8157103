import { defaultSimulatorConfig } from './config';
import { planBlock, TraitPlanner, type DossierTraits } from './plan';
import { BinaryQuota, QuotaStream, spreadMarks, WeightedPicker } from './quota';
import { Rng } from './random';

const count = <T>(items: readonly T[], p: (t: T) => boolean) => items.filter(p).length;

describe('quotas', () => {
  it.each([1, 2, 3, 42])('keeps every category within one of its share after any number of draws (seed %i)', (seed) => {
    const weights = { a: 0.05, b: 0.2, c: 0.75 } as const;
    const stream = new QuotaStream(weights, new Rng(seed));
    const got = { a: 0, b: 0, c: 0 };
    let worst = 0;
    for (let n = 1; n <= 5000; n++) {
      got[stream.next()]++;
      for (const k of ['a', 'b', 'c'] as const) worst = Math.max(worst, Math.abs(got[k] - n * weights[k]));
    }
    expect(worst).toBeLessThan(1.0001);
    expect(stream.counts()).toEqual(got);
  });

  it('a yes/no quota: never a whole call away from its rate, 0 and 1 exact', () => {
    for (const rate of [0.02, 0.05, 0.5, 0.9]) {
      const q = new BinaryQuota(rate, new Rng(7));
      let yes = 0;
      let worst = 0;
      for (let n = 1; n <= 2000; n++) {
        if (q.next()) yes++;
        worst = Math.max(worst, Math.abs(yes - rate * n));
      }
      expect(worst).toBeLessThan(1.0001);
    }
    const never = new BinaryQuota(0, new Rng(1));
    const always = new BinaryQuota(1, new Rng(1));
    expect(Array.from({ length: 10 }, () => never.next()).some(Boolean)).toBe(false);
    expect(Array.from({ length: 10 }, () => always.next()).every(Boolean)).toBe(true);
    expect(() => new BinaryQuota(1.5, new Rng(1))).toThrow(RangeError);
  });

  it('spreads marks evenly: every run of consecutive items holds its share to within one', () => {
    const marks = spreadMarks(300, 0.07, new Rng(3));
    expect(count(marks, Boolean)).toBeGreaterThanOrEqual(20);
    expect(count(marks, Boolean)).toBeLessThanOrEqual(22);
    for (let from = 0; from < 300; from += 37) {
      const slice = marks.slice(from, from + 50);
      expect(Math.abs(count(slice, Boolean) - 0.07 * slice.length)).toBeLessThan(1.0001);
    }
  });

  it('the seed decides where the marks fall, not how many', () => {
    const runs = [1, 2, 3, 4, 5].map((seed) => spreadMarks(100, 0.37, new Rng(seed)));
    expect(new Set(runs.map((r) => r.map(Number).join(''))).size).toBeGreaterThan(1);
    for (const r of runs) expect(Math.abs(count(r, Boolean) - 37)).toBeLessThan(1.0001);
    expect(spreadMarks(100, 0.37, new Rng(1))).toEqual(runs[0]);
  });

  it('a weighted pick follows its weights', () => {
    const picker = new WeightedPicker([
      ['x', 1],
      ['y', 3],
      ['z', 0],
    ] as const);
    const rng = new Rng(5);
    const picks = Array.from({ length: 4000 }, () => picker.pick(rng));
    expect(picks).not.toContain('z');
    expect(count(picks, (p) => p === 'y') / 4000).toBeCloseTo(0.75, 1);
    expect(() => new WeightedPicker([['x', 0]])).toThrow(RangeError);
  });
});

describe('dossier traits per block', () => {
  const config = defaultSimulatorConfig();
  const within = (n: number, total: number, share: number) => Math.abs(n - total * share) <= 1.0001;

  it.each([300, 137, 1000])('allocates %i dossiers with every stratum at its share to within one', (size) => {
    const block = planBlock(size, config, new Rng(11));
    expect(block).toHaveLength(size);
    const online = block.filter((t) => t.channel === 'ONLINE');
    expect(within(online.length, size, config.channel.onlineShare)).toBe(true);
    for (const channel of ['ONLINE', 'COUNTER'] as const) {
      const group = block.filter((t) => t.channel === channel);
      const full = group.filter((t) => t.serviceLevel === 'FULL');
      expect(within(full.length, group.length, config.procedures.fullyOnlineShare)).toBe(true);
      for (const level of ['FULL', 'PARTIAL'] as const) {
        const cell = group.filter((t) => t.serviceLevel === level);
        expect(
          within(
            count(cell, (t) => t.identityFailure),
            cell.length,
            config.identity.failureRate,
          ),
        ).toBe(true);
      }
    }
    expect(
      within(
        count(block, (t) => t.identityFailure),
        size,
        config.identity.failureRate,
      ),
    ).toBe(true);
    expect(
      within(
        count(block, (t) => t.attachments),
        size,
        config.documents.attachmentShare,
      ),
    ).toBe(true);
  });

  it('shuffles the block: channels are not in runs', () => {
    const block = planBlock(300, config, new Rng(4));
    const firstHalfOnline = count(block.slice(0, 150), (t) => t.channel === 'ONLINE');
    expect(firstHalfOnline).toBeGreaterThan(80);
    expect(firstHalfOnline).toBeLessThan(130);
  });

  it('is the same for the same seed, and exact for the whole run when its size is known', () => {
    const take = (planner: TraitPlanner, n: number) => Array.from({ length: n }, () => planner.next());
    const a = take(new TraitPlanner(config, 9, 250), 250);
    expect(take(new TraitPlanner(config, 9, 250), 250)).toEqual(a);
    expect(take(new TraitPlanner(config, 10, 250), 250)).not.toEqual(a);
    expect(
      within(
        count(a, (t: DossierTraits) => t.channel === 'ONLINE'),
        250,
        0.7,
      ),
    ).toBe(true);
    // Open-ended runs go block by block, each exact.
    const open = take(new TraitPlanner(config, 9, undefined, 100), 300);
    for (let b = 0; b < 3; b++) {
      const block = open.slice(b * 100, b * 100 + 100);
      expect(
        within(
          count(block, (t) => t.channel === 'ONLINE'),
          100,
          0.7,
        ),
      ).toBe(true);
    }
  });
});
