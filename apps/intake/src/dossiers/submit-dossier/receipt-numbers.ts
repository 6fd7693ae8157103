import { ServiceUnavailableException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MAX_DAILY_SEQUENCE } from '../domain/receipt-code';
import { ReceiptBlocks } from '../domain/receipt-code-blocks';

export const DEFAULT_RECEIPT_BLOCK_SIZE = 100;

/**
 * Receipt sequence numbers for submissions: unique per agency and Vietnamese day across every replica (blocks are
 * disjoint ranges of `receipt_counters`), increasing within one process, not gap-free (a block's unused rest, a
 * restart, a refused write leave gaps). See the README's "Receipt codes".
 * Provided by a factory (DossiersModule), which passes the block size.
 */
export class ReceiptNumbers {
  private readonly blocks: ReceiptBlocks;
  private readonly refills = new Map<string, Promise<void>>();

  constructor(
    private readonly ds: DataSource,
    blockSize = DEFAULT_RECEIPT_BLOCK_SIZE,
  ) {
    this.blocks = new ReceiptBlocks(blockSize);
  }

  async next(agencyCode: string, day: string): Promise<number> {
    for (;;) {
      const n = this.blocks.take(agencyCode, day);
      if (n !== null) return n;
      await this.refill(agencyCode, day);
    }
  }

  /** Returns a number that was not used, if nothing was handed out after it (see ReceiptBlocks.giveBack). */
  giveBack(agencyCode: string, day: string, n: number): void {
    this.blocks.giveBack(agencyCode, day, n);
  }

  /** One reservation per agency and day at a time; whoever needs a number meanwhile waits for it. */
  private refill(agencyCode: string, day: string): Promise<void> {
    const key = `${agencyCode}|${day}`;
    let pending = this.refills.get(key);
    if (!pending) {
      pending = this.reserve(agencyCode, day).finally(() => this.refills.delete(key));
      this.refills.set(key, pending);
    }
    return pending;
  }

  private async reserve(agencyCode: string, day: string): Promise<void> {
    const size = this.blocks.nextBlockSize(agencyCode, day);
    // Its own statement, outside any submission's transaction: the row is locked only while it moves.
    const [row] = await this.ds.query<{ last_value: number }[]>(
      `INSERT INTO receipt_counters (agency_code, day, last_value) VALUES ($1, $2, $3)
       ON CONFLICT (agency_code, day) DO UPDATE SET last_value = receipt_counters.last_value + $3
       RETURNING last_value`,
      [agencyCode, day, size],
    );
    if (!row) throw new Error('receipt_counters: no row returned');
    if (row.last_value - size + 1 > MAX_DAILY_SEQUENCE) {
      throw new ServiceUnavailableException(`receipt numbers of ${agencyCode} for ${day} are used up`);
    }
    this.blocks.add(agencyCode, day, row.last_value, size);
  }
}
