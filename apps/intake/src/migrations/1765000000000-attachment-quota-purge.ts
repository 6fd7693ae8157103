import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the upload quota and the purge of unattached uploads read and write:
 *
 * - `attachments_unattached_owner`: one user's unattached uploads and their sizes, so the quota check before each
 *   upload is an index-only sum over a handful of entries (a citizen's attached documents are left out).
 * - `attachments_unattached_age`: the oldest unattached uploads first, for the purge.
 * - `attachment_file_deletions`: files whose row is gone and which are still to be removed from storage. The row's
 *   delete and this entry commit together, and the file is removed after the commit, so a claim that wins never
 *   loses its file, and a process that stops between the commit and the removal leaves a queued key that the next
 *   purge run removes instead of a file nobody knows about.
 */
export class AttachmentQuotaPurge1765000000000 implements MigrationInterface {
  name = 'AttachmentQuotaPurge1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX attachments_unattached_owner ON attachments (owner_sub) INCLUDE (size_bytes) WHERE dossier_id IS NULL`,
    );
    await q.query(`CREATE INDEX attachments_unattached_age ON attachments (created_at) WHERE dossier_id IS NULL`);
    await q.query(`
      CREATE TABLE attachment_file_deletions (
        storage_key text PRIMARY KEY,
        size_bytes  bigint NOT NULL,
        queued_at   timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE attachment_file_deletions`);
    await q.query(`DROP INDEX attachments_unattached_age`);
    await q.query(`DROP INDEX attachments_unattached_owner`);
  }
}
