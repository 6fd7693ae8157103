import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why a dossier holds an attachment: the citizen answering a supplement request adds documents to a dossier that
 * was submitted long before, and the officer must tell those apart from the submitted ones. NULL while unclaimed and
 * for documents claimed by the submission (which predates this column and still leaves it empty): the reads map a
 * claimed NULL to SUBMISSION, so no backfill of existing rows is needed.
 */
export class AttachmentPurpose1764201600001 implements MigrationInterface {
  name = 'AttachmentPurpose1764201600001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE attachments ADD COLUMN purpose text CHECK (purpose IN ('SUBMISSION', 'SUPPLEMENT'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE attachments DROP COLUMN purpose`);
  }
}
