import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The outbox and inbox of a service; every service database includes this migration. */
export class MessagingTables1764115200000 implements MigrationInterface {
  name = 'MessagingTables1764115200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE messaging_outbox (
        id         bigserial PRIMARY KEY,
        event_id   uuid        NOT NULL UNIQUE,
        topic      text        NOT NULL,
        key        text        NOT NULL,
        value      text        NOT NULL,
        headers    jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at    timestamptz
      )`);
    // The relay only ever scans unsent rows in id order; cleanup only sent ones by age.
    await q.query(`CREATE INDEX messaging_outbox_unsent ON messaging_outbox (id) WHERE sent_at IS NULL`);
    await q.query(`CREATE INDEX messaging_outbox_sent_at ON messaging_outbox (sent_at) WHERE sent_at IS NOT NULL`);
    await q.query(`
      CREATE TABLE messaging_inbox (
        consumer     text        NOT NULL,
        event_id     uuid        NOT NULL,
        topic        text        NOT NULL,
        "partition"  integer     NOT NULL,
        "offset"     bigint      NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
    await q.query(`CREATE INDEX messaging_inbox_processed_at ON messaging_inbox (processed_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE messaging_inbox`);
    await q.query(`DROP TABLE messaging_outbox`);
  }
}
