import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import { canonicalJson } from '@hoso/contracts';
import { audit, type AuditEntry } from './audit';

export const AUDIT_TRAIL_TABLE = 'audit_trail';
const HEAD_TABLE = 'audit_trail_head';
/** The hash before the first entry: a fixed, published value, so a trail cannot be restarted unnoticed. */
export const AUDIT_GENESIS_HASH = createHash('sha256').update('hoso audit trail genesis').digest('hex');

/** One security-relevant action, as stored: the log entry plus when, and details that say what exactly. */
export interface AuditRecord extends AuditEntry {
  at: Date;
  details?: Record<string, unknown>;
}

/** The stored text of an entry: exactly the bytes its hash covers. */
export function auditEntryText(r: AuditRecord): string {
  return canonicalJson({
    action: r.action,
    outcome: r.outcome,
    actor: r.actor,
    resource: r.resource ?? null,
    reason: r.reason ?? null,
    correlationId: r.correlationId ?? null,
    details: r.details ?? null,
    at: r.at.toISOString(),
  });
}

/** sha256(previous hash ‖ entry text), hex; the same formula as the SQL in appendAuditRecord. */
export function chainHash(previousHex: string, entryText: string): string {
  return createHash('sha256').update(Buffer.from(previousHex, 'hex')).update(entryText, 'utf8').digest('hex');
}

/**
 * Appends an entry to the service's audit trail inside the caller's transaction, so the record and the action
 * commit or roll back together. One statement: the head row's update takes its row lock and re-reads the latest
 * committed head after any wait (PostgreSQL re-evaluates an UPDATE on the newest row version), so concurrent
 * appends are serialised into one chain without a read-then-write race. The lock is held until the caller
 * commits: audited actions of one service commit one after another (they are rare next to the dossier flow).
 */
export async function appendAuditRecord(m: Pick<EntityManager, 'query'>, r: AuditRecord): Promise<void> {
  const text = auditEntryText(r);
  await m.query(
    `WITH head AS (
       UPDATE ${HEAD_TABLE}
          SET seq = seq + 1, prev_hash = hash, hash = sha256(hash || convert_to($1, 'UTF8'))
        WHERE id = 1
       RETURNING seq, prev_hash, hash)
     INSERT INTO ${AUDIT_TRAIL_TABLE} (seq, entry, prev_hash, hash)
     SELECT seq, $1, prev_hash, hash FROM head`,
    [text],
  );
}

/**
 * Records a security-relevant action twice: in the audit trail (same transaction as the action, tamper-evident)
 * and as an `audit: true` log line for shipping and alerting. The log line is written only after the append
 * succeeded, so a logged decision always has its record (unless the caller's transaction then rolls back).
 */
export async function recordAudit(
  m: Pick<EntityManager, 'query'>,
  logger: Logger,
  entry: AuditEntry,
  details?: Record<string, unknown>,
): Promise<void> {
  await appendAuditRecord(m, { ...entry, at: new Date(), ...(details ? { details } : {}) });
  audit(logger, entry);
}

export type AuditVerification =
  { ok: true; entries: number; headHash: string } | { ok: false; entries: number; brokenAt: number; reason: string };

/**
 * Walks the whole trail in order and checks every link: each entry's previous hash is the hash of the entry before
 * it (the genesis hash for the first), its hash is sha256(previous ‖ stored text), the sequence has no gap, and the
 * head row names the last entry — so an edited, removed or inserted entry, or a cut-off tail, is found at the first
 * entry where the chain no longer holds. Reads in pages (keyset on seq); memory does not grow with the trail.
 */
export async function verifyAuditTrail(m: Pick<EntityManager, 'query'>, pageSize = 5_000): Promise<AuditVerification> {
  let expectedPrev = AUDIT_GENESIS_HASH;
  let expectedSeq = 1;
  let entries = 0;
  for (;;) {
    const rows = await m.query<{ seq: string; entry: string; prev_hash: string; hash: string }[]>(
      // Ordered by the bigint column, not by the text alias of the same name.
      `SELECT t.seq::text AS seq, entry, encode(prev_hash, 'hex') AS prev_hash, encode(hash, 'hex') AS hash
         FROM ${AUDIT_TRAIL_TABLE} t WHERE t.seq >= $1 ORDER BY t.seq LIMIT $2`,
      [expectedSeq, pageSize],
    );
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq) {
        return { ok: false, entries, brokenAt: expectedSeq, reason: `entry ${expectedSeq} is missing` };
      }
      if (row.prev_hash !== expectedPrev) {
        return { ok: false, entries, brokenAt: seq, reason: `entry ${seq} does not link to the entry before it` };
      }
      if (chainHash(row.prev_hash, row.entry) !== row.hash) {
        return { ok: false, entries, brokenAt: seq, reason: `entry ${seq} was changed after it was written` };
      }
      expectedPrev = row.hash;
      expectedSeq = seq + 1;
      entries += 1;
    }
    if (rows.length < pageSize) break;
  }
  const [head] = await m.query<{ seq: string; hash: string }[]>(
    `SELECT seq::text AS seq, encode(hash, 'hex') AS hash FROM ${HEAD_TABLE} WHERE id = 1`,
  );
  if (!head || Number(head.seq) !== entries || head.hash !== expectedPrev) {
    return {
      ok: false,
      entries,
      brokenAt: entries + 1,
      reason: `the trail ends at entry ${entries} but its head names entry ${head?.seq ?? '(none)'}`,
    };
  }
  return { ok: true, entries, headHash: expectedPrev };
}

/**
 * The audit trail of a service's database. Entries are never updated or deleted: a trigger refuses it for every
 * role (the runtime role has no way around it short of DDL, which it should not hold), and the hash chain shows
 * any change made by one that does.
 */
export class AuditTrailTables1764900000000 implements MigrationInterface {
  name = 'AuditTrailTables1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ${AUDIT_TRAIL_TABLE} (
        seq         bigint      PRIMARY KEY,
        entry       text        NOT NULL,
        prev_hash   bytea       NOT NULL,
        hash        bytea       NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        action      text GENERATED ALWAYS AS (entry::jsonb ->> 'action') STORED,
        outcome     text GENERATED ALWAYS AS (entry::jsonb ->> 'outcome') STORED,
        actor_sub   text GENERATED ALWAYS AS (entry::jsonb -> 'actor' ->> 'sub') STORED
      )`);
    await q.query(`CREATE INDEX audit_trail_action ON ${AUDIT_TRAIL_TABLE} (action, seq)`);
    await q.query(`CREATE INDEX audit_trail_actor ON ${AUDIT_TRAIL_TABLE} (actor_sub, seq)`);
    await q.query(`
      CREATE TABLE ${HEAD_TABLE} (
        id        int    PRIMARY KEY CHECK (id = 1),
        seq       bigint NOT NULL,
        prev_hash bytea,
        hash      bytea  NOT NULL
      )`);
    await q.query(`INSERT INTO ${HEAD_TABLE} (id, seq, hash) VALUES (1, 0, decode($1, 'hex'))`, [AUDIT_GENESIS_HASH]);
    await q.query(`
      CREATE FUNCTION audit_trail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the audit trail is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_trail_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${AUDIT_TRAIL_TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${AUDIT_TRAIL_TABLE}`);
    await q.query(`DROP TABLE ${HEAD_TABLE}`);
    await q.query(`DROP FUNCTION audit_trail_append_only()`);
  }
}

/**
 * The trail is append-only by privilege too, not only by its trigger: no role but the table's owner keeps UPDATE,
 * DELETE or TRUNCATE on it. The runtime role of a service database (deploy/local/db-roles.ts) receives data rights
 * on every new table through the owner's default privileges, so by the time this runs it holds them on the trail;
 * the migration cannot name that role (it differs per service and environment), so it revokes from every grantee the
 * table's access list shows, whoever it is. Where one role does everything (the owner itself) nothing changes.
 * db-roles.ts does the same after granting on the tables of a database migrated before its roles existed.
 */
export class AuditTrailAppendOnlyPrivileges1766700000000 implements MigrationInterface {
  name = 'AuditTrailAppendOnlyPrivileges1766700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON ${AUDIT_TRAIL_TABLE} FROM PUBLIC`);
    await q.query(`
      DO $$
      DECLARE grantee regrole;
      BEGIN
        FOR grantee IN
          SELECT DISTINCT a.grantee::regrole
            FROM pg_class c, aclexplode(c.relacl) a
           WHERE c.oid = '${AUDIT_TRAIL_TABLE}'::regclass AND a.grantee <> 0 AND a.grantee <> c.relowner
             AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
        LOOP
          EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON ${AUDIT_TRAIL_TABLE} FROM %s', grantee);
        END LOOP;
      END $$`);
  }

  async down(): Promise<void> {
    // Nothing to restore: handing the trail's rewrite rights back to the runtime role is never wanted.
  }
}
