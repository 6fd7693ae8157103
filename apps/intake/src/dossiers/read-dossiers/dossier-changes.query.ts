import type { DataSource } from 'typeorm';
import type { DossierStatus } from '../domain/status';

/**
 * A position in the dossier change feed: after the change (xid, seq). Opaque to callers (base64url of `xid.seq`),
 * so the scheme can change without breaking them.
 *
 * Keyed on the writing transaction's id first, not on a timestamp or the sequence alone: transactions commit out of
 * order, so a change stamped earlier may become visible after a reader went past it. The feed reads only changes
 * of transactions below a horizon under which every transaction of this database has ended; every change still to
 * come belongs to a transaction at or above it, hence sorts after every change handed out. Waiting for the horizon
 * costs a change the time the oldest writing transaction of intake's database still runs (milliseconds), never a
 * missed change; a re-read overlap window would instead need a bound on how long a transaction may take, which
 * nothing enforces.
 *
 * The horizon is not simply the snapshot's xmin: transaction ids are shared by every database of the server, and a
 * transaction held open in another service's database (a relay waiting on Kafka) would hold this feed back with it.
 * So a first statement lists the transaction ids of this database's sessions (and the next id to be assigned, read
 * before the list), and the reading statement's horizon is the oldest of those still in progress in its snapshot,
 * or that next id. A transaction of this database still running in the second snapshot either had its id before
 * the first statement, and then was listed (it was running all along), or got it later, at or above the next id.
 */
export interface ChangeCursor {
  xid: string;
  seq: string;
}

const CURSOR = /^(\d{1,20})\.(\d{1,19})$/;

export function encodeCursor(c: ChangeCursor): string {
  return Buffer.from(`${c.xid}.${c.seq}`, 'latin1').toString('base64url');
}

/** The cursor in `raw`, or null when it is not one the feed handed out. */
export function decodeCursor(raw: string): ChangeCursor | null {
  if (raw.length > 64) return null;
  const m = CURSOR.exec(Buffer.from(raw, 'base64url').toString('latin1'));
  return m ? { xid: m[1] as string, seq: m[2] as string } : null;
}

/** The start of the feed (every dossier at its latest change). */
export const FEED_START: ChangeCursor = { xid: '0', seq: '0' };

export interface DossierChangeRow {
  id: string;
  receipt_code: string;
  agency_code: string;
  handling_agency_code: string;
  status: DossierStatus;
  status_at: Date;
  status_xid: string;
  status_seq: string;
}

export interface DossierChangesPage {
  rows: DossierChangeRow[];
  /** Where the next read starts: after the last row, or at the horizon once the feed is read to it. */
  next: ChangeCursor;
}

/**
 * $1: the next transaction id before the list was read; $2: this database's transaction ids (mod 2^32). The
 * snapshot's in-progress ids are 64-bit and within 2^31 of one another, so their low 32 bits tell them apart.
 */
const HORIZON = `LEAST($1::xid8, (SELECT x FROM pg_snapshot_xip(pg_current_snapshot()) x
                   WHERE (x::text::bigint % 4294967296)::text = ANY($2::text[]) ORDER BY x LIMIT 1))`;

// Sequences start at 1: (horizon, 0) is before every change of the horizon's transaction and after every change
// below it.
const atHorizon = (horizon: string): ChangeCursor => ({ xid: horizon, seq: '0' });

/** The later of two positions: a cursor never moves back (a caller may hand in one from a later snapshot). */
const later = (a: ChangeCursor, b: ChangeCursor): ChangeCursor =>
  BigInt(a.xid) > BigInt(b.xid) || (a.xid === b.xid && BigInt(a.seq) > BigInt(b.seq)) ? a : b;

export class DossierChangesQuery {
  constructor(private readonly ds: DataSource) {}

  /**
   * Up to `limit` (1 or more) dossiers whose status changed after `cursor`, oldest change first. One statement, so
   * the horizon is the xmin of the very snapshot the rows are read in (`pg_current_snapshot()` is the statement's
   * snapshot).
   */
  async page(cursor: ChangeCursor, limit: number): Promise<DossierChangesPage> {
    const local = await this.localTransactions();
    const rows = await this.ds.query<(Partial<DossierChangeRow> & { horizon: string })[]>(
      `WITH h AS MATERIALIZED (SELECT ${HORIZON} AS xmin)
       SELECT h.xmin::text AS horizon, c.* FROM h LEFT JOIN LATERAL (
         SELECT d.id, d.receipt_code, d.agency_code, d.handling_agency_code, d.status, d.status_at,
                d.status_xid::text AS status_xid, d.status_seq::text AS status_seq
         FROM dossiers d
         WHERE (d.status_xid, d.status_seq) > ($3::xid8, $4::bigint) AND d.status_xid < h.xmin
         ORDER BY d.status_xid, d.status_seq
         LIMIT $5
       ) c ON true`,
      [local.next, local.running, cursor.xid, cursor.seq, limit],
    );
    const changes = rows.filter((r): r is DossierChangeRow & { horizon: string } => r.id != null);
    const last = changes[changes.length - 1];
    if (changes.length >= limit && last) {
      return { rows: changes, next: { xid: last.status_xid, seq: last.status_seq } };
    }
    // Read up to the horizon: the next read may start there, past the transactions that changed no status.
    return { rows: changes, next: later(atHorizon(rows[0]?.horizon ?? '0'), cursor) };
  }

  /**
   * The next transaction id (from this statement's snapshot, taken before the list is read) and the ids, modulo
   * 2^32 as the lock table shows them, of the transactions of this database's sessions.
   */
  private async localTransactions(): Promise<{ next: string; running: string[] }> {
    const rows = await this.ds.query<{ next: string; running: string[] }[]>(
      `SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS next,
              ARRAY(SELECT l.transactionid::text FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted
                      AND a.datname = current_database()) AS running`,
    );
    return rows[0] ?? { next: '0', running: [] };
  }

  /** The feed's current horizon: a cursor to follow the changes from now on, without reading the past ones. */
  async now(): Promise<ChangeCursor> {
    const local = await this.localTransactions();
    const rows = await this.ds.query<{ horizon: string }[]>(`SELECT (${HORIZON})::text AS horizon`, [
      local.next,
      local.running,
    ]);
    return atHorizon(rows[0]?.horizon ?? '0');
  }
}
