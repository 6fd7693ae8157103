import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The page the gateway sends the citizen back to, fixed when the checkout session is opened (the gateway keeps one
 * per session), so a repeated checkout can say where this one returns.
 */
export class IntentReturnUrl1764300000002 implements MigrationInterface {
  name = 'IntentReturnUrl1764300000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment_intents ADD COLUMN return_url text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment_intents DROP COLUMN return_url`);
  }
}
