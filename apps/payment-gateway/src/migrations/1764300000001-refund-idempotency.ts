import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refund requests carry an idempotency key, as the real platform's do: a merchant that retries after a lost answer
 * names the same key and gets the first refund back. `requests` counts every request a refund answered (the first and
 * each replay), so a test can tell how often the merchant asked.
 */
export class RefundIdempotency1764300000001 implements MigrationInterface {
  name = 'RefundIdempotency1764300000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE gateway_refunds
        ADD COLUMN idempotency_key text UNIQUE,
        ADD COLUMN requests        integer NOT NULL DEFAULT 1`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE gateway_refunds DROP COLUMN requests, DROP COLUMN idempotency_key`);
  }
}
