import { MAX_DAILY_SEQUENCE } from './receipt-code';

/** Numbers reserved in the database for one agency and day, handed out in order from memory. */
interface Block {
  next: number;
  last: number;
  /** Size of the last reservation: the next one doubles it (up to the maximum). */
  size: number;
}

/**
 * Receipt sequence numbers held by this process, per agency and Vietnamese day.
 *
 * A process reserves a block of numbers at a time (`receipt_counters` moves by the block's size in one short
 * statement) and hands them out from memory, so the counter row is locked for a moment per block instead of through
 * every submission's commit. Blocks start small and double while an agency keeps using them up that day, so a quiet
 * agency leaves short gaps and a busy one goes back to the database rarely.
 */
export class ReceiptBlocks {
  private readonly blocks = new Map<string, Block>();

  constructor(
    private readonly maxBlockSize: number,
    private readonly firstBlockSize = Math.min(8, maxBlockSize),
  ) {
    if (!Number.isInteger(maxBlockSize) || maxBlockSize < 1) throw new RangeError('block size must be at least 1');
  }

  /** The next number of the agency's day from memory, or null when a block must be reserved first. */
  take(agencyCode: string, day: string): number | null {
    const block = this.blocks.get(keyOf(agencyCode, day));
    if (!block || block.next > block.last) return null;
    return block.next++;
  }

  /** How many numbers to reserve next for the agency's day. */
  nextBlockSize(agencyCode: string, day: string): number {
    const block = this.blocks.get(keyOf(agencyCode, day));
    return block ? Math.min(this.maxBlockSize, block.size * 2) : this.firstBlockSize;
  }

  /**
   * Adds the numbers `last - size + 1 … last` just reserved. Numbers above MAX_DAILY_SEQUENCE are dropped; a block
   * still unused is replaced (another caller reserved too: its remainder becomes a gap).
   */
  add(agencyCode: string, day: string, last: number, size: number): void {
    this.prune(day);
    this.blocks.set(keyOf(agencyCode, day), {
      next: last - size + 1,
      last: Math.min(last, MAX_DAILY_SEQUENCE),
      size,
    });
  }

  /** Puts back `n` if it was the last one handed out (a write that did not happen), so it is used next. */
  giveBack(agencyCode: string, day: string, n: number): void {
    const block = this.blocks.get(keyOf(agencyCode, day));
    if (block && block.next === n + 1) block.next = n;
  }

  /** Forgets the blocks of days before `day`: they are never used again. */
  private prune(day: string): void {
    for (const [key] of this.blocks) {
      if (key.slice(key.lastIndexOf('|') + 1) < day) this.blocks.delete(key);
    }
  }
}

const keyOf = (agencyCode: string, day: string) => `${agencyCode}|${day}`;
