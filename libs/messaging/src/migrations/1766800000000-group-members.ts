import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The consumer group member each process instance last joined as (`instance` of IdempotentConsumer). A process
 * that was killed never sent its LeaveGroup, and the group's next rebalance waited for that member's session
 * timeout (30 s) before anything was consumed again; its successor on the same instance removes it first instead.
 * Bookkeeping of the group, not business state: one row per (group, instance), overwritten at each join.
 */
export class GroupMembers1766800000000 implements MigrationInterface {
  name = 'GroupMembers1766800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE messaging_group_members (
      group_id text NOT NULL,
      instance text NOT NULL,
      member_id text NOT NULL,
      joined_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (group_id, instance)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE messaging_group_members`);
  }
}
