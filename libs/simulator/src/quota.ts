/**
 * Stratified quotas instead of coin flips. With independent draws, 300 dossiers at a 5 % rate give 15 ± 4
 * abandonments — a rate off by more than a point from sampling noise alone, so a small run could never be checked
 * against its configuration. These allocators keep every count within one of its share after any number of draws,
 * and the seed only decides where in the sequence the marks fall.
 */
import type { Rng } from './random';

/**
 * Categories in proportion to their weights, one decision at a time (for outcomes whose population is only known
 * as the run goes: the fee-paying dossiers, the cases claimed, the cases completed). Each step credits every
 * category its share and hands out the one with the most credit: after n steps no category is a whole unit above
 * or below n × share.
 */
export class QuotaStream<K extends string> {
  private readonly keys: K[];
  private readonly shares: number[];
  private readonly credit: number[];
  private readonly given: number[];

  constructor(weights: Readonly<Record<K, number>>, rng: Rng) {
    const entries = (Object.entries(weights) as [K, number][]).filter(([, w]) => w > 0);
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    if (entries.length === 0 || !Number.isFinite(total)) throw new RangeError('a quota needs a positive weight');
    this.keys = entries.map(([k]) => k);
    this.shares = entries.map(([, w]) => w / total);
    // A random head start below one share: the seed moves the marks along the sequence without widening the bound.
    const start = entries.map((_, i) => rng.next() * (this.shares[i] as number));
    const mean = start.reduce((a, b) => a + b, 0) / start.length;
    this.credit = start.map((c) => c - mean);
    this.given = entries.map(() => 0);
  }

  next(): K {
    let best = 0;
    for (let i = 0; i < this.keys.length; i++) {
      this.credit[i] = (this.credit[i] as number) + (this.shares[i] as number);
      if ((this.credit[i] as number) > (this.credit[best] as number)) best = i;
    }
    this.credit[best] = (this.credit[best] as number) - 1;
    this.given[best] = (this.given[best] as number) + 1;
    return this.keys[best] as K;
  }

  counts(): Record<K, number> {
    return Object.fromEntries(this.keys.map((k, i) => [k, this.given[i] as number])) as Record<K, number>;
  }
}

/** A yes/no quota: `next()` is true for about `rate` of the calls, never a whole call away from it. */
export class BinaryQuota {
  private readonly stream: QuotaStream<'yes' | 'no'> | null;
  private readonly always: boolean;

  constructor(rate: number, rng: Rng) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`a rate must be in [0, 1], got ${rate}`);
    this.always = rate === 1;
    this.stream = rate === 0 || rate === 1 ? null : new QuotaStream({ yes: rate, no: 1 - rate }, rng);
    // Keep the rng draws the same whatever the rate, so other streams of the same rng do not shift.
    if (!this.stream) rng.next();
  }

  next(): boolean {
    return this.stream ? this.stream.next() === 'yes' : this.always;
  }
}

/**
 * Marks `rate` of the items of a list (in its order), evenly spaced from a seeded offset: the marks of any prefix
 * number floor(rate × length + u) − floor(u), so the list and every run of consecutive items are within one of
 * their share. Used on a list sorted by the strata already assigned, so each stratum gets its share too.
 */
export function spreadMarks(length: number, rate: number, rng: Rng): boolean[] {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`a rate must be in [0, 1], got ${rate}`);
  const u = rng.next();
  const marks: boolean[] = [];
  for (let i = 0; i < length; i++) marks.push(Math.floor((i + 1) * rate + u) > Math.floor(i * rate + u));
  return marks;
}

/** Weighted random choice, for attributes whose exact mix does not enter a checked rate (province, procedure). */
export class WeightedPicker<T> {
  private readonly values: T[] = [];
  private readonly cumulative: number[] = [];
  private readonly total: number;

  constructor(table: readonly (readonly [T, number])[]) {
    let sum = 0;
    for (const [value, weight] of table) {
      if (!(weight > 0)) continue;
      sum += weight;
      this.values.push(value);
      this.cumulative.push(sum);
    }
    if (this.values.length === 0) throw new RangeError('a weighted choice needs at least one positive weight');
    this.total = sum;
  }

  pick(rng: Rng): T {
    const u = rng.next() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (u < (this.cumulative[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    return this.values[lo] as T;
  }
}
