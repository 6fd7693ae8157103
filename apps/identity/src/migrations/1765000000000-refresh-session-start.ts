import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `session_started_at`: when the sign-in that began a refresh family happened, copied onto every token of the
 * family, so a refresh can enforce the session's absolute lifetime without looking for the family's first row.
 * Existing families get the creation time of their oldest token, which is their sign-in.
 */
export class RefreshSessionStart1765000000000 implements MigrationInterface {
  name = 'RefreshSessionStart1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens ADD COLUMN session_started_at timestamptz`);
    await q.query(`
      UPDATE refresh_tokens r SET session_started_at = f.started
        FROM (SELECT family_id, min(created_at) AS started FROM refresh_tokens GROUP BY family_id) f
       WHERE r.family_id = f.family_id`);
    await q.query(`ALTER TABLE refresh_tokens ALTER COLUMN session_started_at SET NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN session_started_at`);
  }
}
