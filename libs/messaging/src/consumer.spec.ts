import { byKey, parseLsn } from './consumer';

const m = (key: string | null, n: number) => ({ message: { key: key === null ? null : Buffer.from(key) }, n });

describe('byKey (the order a batch is applied in)', () => {
  it('groups by key in ascending order and keeps each key’s own events in partition order', () => {
    const batch = [m('d3', 1), m('d1', 2), m('d3', 3), m('d2', 4), m('d1', 5), m('d3', 6)];
    const applied = byKey(batch).map((x) => `${x.message.key?.toString() ?? ''}#${String(x.n)}`);
    expect(applied).toEqual(['d1#2', 'd1#5', 'd2#4', 'd3#1', 'd3#3', 'd3#6']);
  });

  it('puts keyless messages first, in their arrival order, and leaves the input untouched', () => {
    const batch = [m('b', 1), m(null, 2), m('a', 3), m(null, 4)];
    expect(byKey(batch).map((x) => x.n)).toEqual([2, 4, 3, 1]);
    expect(batch.map((x) => x.n)).toEqual([1, 2, 3, 4]);
  });

  it('gives two batches with the same keys the same lock order, whatever their arrival order', () => {
    const a = byKey([m('k9', 1), m('k2', 2), m('k5', 3)]).map((x) => x.message.key?.toString());
    const b = byKey([m('k5', 1), m('k9', 2), m('k2', 3)]).map((x) => x.message.key?.toString());
    expect(a).toEqual(b);
  });
});

describe('parseLsn (WAL positions that wait for asynchronous commits compare as numbers)', () => {
  it('orders positions across the 32-bit boundary and within a segment', () => {
    expect(parseLsn('0/16B3748') < parseLsn('0/16B3749')).toBe(true);
    expect(parseLsn('0/FFFFFFFF') < parseLsn('1/0')).toBe(true);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
  });

  it('refuses what is not an LSN', () => {
    expect(() => parseLsn('16B374D848')).toThrow('not an LSN');
  });
});
