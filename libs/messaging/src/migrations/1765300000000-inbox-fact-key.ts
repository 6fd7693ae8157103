import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The inbox also remembers each event's business fact (`factKeyOf` in @hoso/contracts), one row per consumer and
 * fact: the same fact published again under a new event id is skipped like a redelivered event.
 *
 * Nullable, without a default: adding the column rewrites nothing, rows written before it (and by a consumer of
 * the previous release still running during a rolling deployment) keep a null key, and the unique index skips
 * them (partial), so they never conflict. A re-announcement of a fact handled before this migration is therefore
 * not recognised by the inbox (no payload was kept to derive its key from): the handlers' own guards remain for it.
 */
export class InboxFactKey1765300000000 implements MigrationInterface {
  name = 'InboxFactKey1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messaging_inbox ADD COLUMN fact_key text`);
    // Built over rows that are all null (none indexed): one scan of the inbox while its writes wait.
    await q.query(
      `CREATE UNIQUE INDEX messaging_inbox_fact_key ON messaging_inbox (consumer, fact_key) WHERE fact_key IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX messaging_inbox_fact_key`);
    await q.query(`ALTER TABLE messaging_inbox DROP COLUMN fact_key`);
  }
}
