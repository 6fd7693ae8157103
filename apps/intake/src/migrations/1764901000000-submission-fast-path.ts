import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What lets a submission be one statement:
 *
 * - `reference_version`: a number that moves whenever the procedures or agencies change (seed, unit merge, a hand
 *   edit), so every replica can keep them in memory and a submission can check, inside its own write, that what it
 *   validated and routed against is still current. The bump is a deferred constraint trigger: it takes the row's
 *   lock at commit, after every other lock of the transaction, so it cannot close a deadlock cycle with a merge or a
 *   seed, and it writes the row once per transaction, however many rows the transaction changed.
 * - `intake_refuse(text)`: raises, so a statement can abort itself (all its writes with it) when a check on what it
 *   just wrote fails, e.g. an attachment claimed by someone else in the meantime.
 */
export class SubmissionFastPath1764901000000 implements MigrationInterface {
  name = 'SubmissionFastPath1764901000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reference_version (
        id         boolean PRIMARY KEY DEFAULT true CHECK (id),
        version    bigint NOT NULL,
        changed_by xid8
      )`);
    await q.query(`INSERT INTO reference_version (version) VALUES (1)`);
    await q.query(`
      CREATE FUNCTION intake_bump_reference_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE reference_version SET version = version + 1, changed_by = pg_current_xact_id()
        WHERE changed_by IS DISTINCT FROM pg_current_xact_id();
        RETURN NULL;
      END $$`);
    for (const table of ['procedures', 'agencies']) {
      await q.query(`
        CREATE CONSTRAINT TRIGGER ${table}_reference_version AFTER INSERT OR UPDATE OR DELETE ON ${table}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION intake_bump_reference_version()`);
    }
    await q.query(`
      CREATE FUNCTION intake_refuse(reason text) RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'intake_refuse: ' || reason;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION intake_refuse(text)`);
    for (const table of ['procedures', 'agencies']) {
      await q.query(`DROP TRIGGER ${table}_reference_version ON ${table}`);
    }
    await q.query(`DROP FUNCTION intake_bump_reference_version()`);
    await q.query(`DROP TABLE reference_version`);
  }
}
