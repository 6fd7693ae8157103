import { MAX_DAILY_SEQUENCE } from './receipt-code';
import { ReceiptBlocks } from './receipt-code-blocks';

describe('ReceiptBlocks', () => {
  it('hands out a reserved block in order, then asks for a bigger one, up to the maximum', () => {
    const b = new ReceiptBlocks(20);
    expect(b.take('C1', '2026-03-16')).toBeNull();
    expect(b.nextBlockSize('C1', '2026-03-16')).toBe(8);
    b.add('C1', '2026-03-16', 8, 8);
    expect(Array.from({ length: 8 }, () => b.take('C1', '2026-03-16'))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(b.take('C1', '2026-03-16')).toBeNull();
    expect(b.nextBlockSize('C1', '2026-03-16')).toBe(16);
    // Another process took 9…24 meanwhile: this one continues after it.
    b.add('C1', '2026-03-16', 40, 16);
    expect(b.take('C1', '2026-03-16')).toBe(25);
    expect(b.nextBlockSize('C1', '2026-03-16')).toBe(20);
  });

  it('keeps agencies and days apart and forgets past days', () => {
    const b = new ReceiptBlocks(100);
    b.add('C1', '2026-03-16', 8, 8);
    b.add('C2', '2026-03-16', 8, 8);
    expect(b.take('C1', '2026-03-16')).toBe(1);
    expect(b.take('C2', '2026-03-16')).toBe(1);
    b.add('C1', '2026-03-17', 8, 8);
    expect(b.take('C1', '2026-03-17')).toBe(1);
    expect(b.take('C1', '2026-03-16')).toBeNull();
    expect(b.nextBlockSize('C2', '2026-03-16')).toBe(8);
  });

  it('takes back only the last number handed out', () => {
    const b = new ReceiptBlocks(100);
    b.add('C1', 'd', 8, 8);
    const [one, two] = [b.take('C1', 'd'), b.take('C1', 'd')];
    b.giveBack('C1', 'd', one ?? 0);
    expect(b.take('C1', 'd')).toBe(3);
    b.giveBack('C1', 'd', 3);
    expect(b.take('C1', 'd')).toBe(3);
    expect(two).toBe(2);
  });

  it('never hands out a number above the daily maximum', () => {
    const b = new ReceiptBlocks(100);
    b.add('C1', 'd', MAX_DAILY_SEQUENCE + 5, 8);
    const taken: number[] = [];
    for (let n = b.take('C1', 'd'); n !== null; n = b.take('C1', 'd')) taken.push(n);
    expect(taken).toEqual([MAX_DAILY_SEQUENCE - 2, MAX_DAILY_SEQUENCE - 1, MAX_DAILY_SEQUENCE]);
  });
});
