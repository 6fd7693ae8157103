import { applyHeapGrowing } from './heap';

describe('applyHeapGrowing', () => {
  it('hands V8 the growing factor', () => {
    const flags: string[] = [];
    expect(applyHeapGrowing(25, (f) => flags.push(f))).toBe(true);
    expect(flags).toEqual(['--heap-growing-percent=25']);
  });

  it('leaves V8 its own policy for 0', () => {
    const flags: string[] = [];
    expect(applyHeapGrowing(0, (f) => flags.push(f))).toBe(false);
    expect(flags).toEqual([]);
  });

  it('refuses a value V8 would misread', () => {
    expect(() => applyHeapGrowing(-1, () => undefined)).toThrow(RangeError);
    expect(() => applyHeapGrowing(2.5, () => undefined)).toThrow(RangeError);
  });
});
