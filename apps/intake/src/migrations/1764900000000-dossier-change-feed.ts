import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The dossier change feed (`GET /dossiers/changes`): every status change stamps its dossier with the writing
 * transaction's id (`status_xid`) and a number from a sequence (`status_seq`), and the feed is read in
 * (status_xid, status_seq) order on one btree index, a keyset page at a time.
 *
 * Why not `updated_at` or the sequence alone: both are taken while a transaction runs, not when it commits, so a
 * change with a smaller key can become visible after a reader went past it. The feed therefore only hands out rows
 * written by transactions below a horizon under which every transaction of this database has ended, so no row with
 * a key below it can appear later, and ordering by the transaction id first keeps every row still to come above the
 * cursor. A later change of a dossier moves it to a later key (the feed shows each
 * dossier at its latest change). See dossier-changes.query.ts.
 *
 * A trigger stamps the rows, so every writer of the status (submission, the status projection, any later one) is
 * covered without having to remember it; it fires only when the status really changes.
 */
export class DossierChangeFeed1764900000000 implements MigrationInterface {
  name = 'DossierChangeFeed1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE dossiers_status_seq AS bigint`);
    await q.query(`ALTER TABLE dossiers ADD COLUMN status_xid xid8, ADD COLUMN status_seq bigint`);
    // Existing dossiers become changes of this migration's transaction, in submission order.
    await q.query(`
      UPDATE dossiers d SET status_xid = pg_current_xact_id(), status_seq = o.seq
      FROM (SELECT id, nextval('dossiers_status_seq') AS seq FROM
              (SELECT id FROM dossiers ORDER BY submitted_at, id) s) o
      WHERE o.id = d.id`);
    await q.query(`ALTER TABLE dossiers ALTER COLUMN status_xid SET NOT NULL, ALTER COLUMN status_seq SET NOT NULL`);
    await q.query(`
      CREATE FUNCTION dossiers_stamp_status_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.status_xid := pg_current_xact_id();
        NEW.status_seq := nextval('dossiers_status_seq');
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER dossiers_status_inserted BEFORE INSERT ON dossiers
      FOR EACH ROW EXECUTE FUNCTION dossiers_stamp_status_change()`);
    await q.query(`
      CREATE TRIGGER dossiers_status_changed BEFORE UPDATE OF status ON dossiers
      FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION dossiers_stamp_status_change()`);
    await q.query(`CREATE INDEX dossiers_status_change ON dossiers (status_xid, status_seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER dossiers_status_changed ON dossiers`);
    await q.query(`DROP TRIGGER dossiers_status_inserted ON dossiers`);
    await q.query(`DROP FUNCTION dossiers_stamp_status_change()`);
    await q.query(`ALTER TABLE dossiers DROP COLUMN status_seq, DROP COLUMN status_xid`);
    await q.query(`DROP SEQUENCE dossiers_status_seq`);
  }
}
