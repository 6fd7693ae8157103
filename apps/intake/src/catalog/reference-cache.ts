import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { toAgency, type Agency, type AgencyRow } from '../admin-units/agency.queries';
import { MAX_SUCCESSOR_HOPS } from '../admin-units/domain/merge';
import { toProcedure, type Procedure, type ProcedureRow } from './catalog.queries';

/** The procedures and agencies as of one `reference_version`, read in one snapshot. */
export interface ReferenceSnapshot {
  /** `reference_version.version` (bigint, as text) the data belongs to. */
  version: string;
  procedures: ReadonlyMap<string, Procedure>;
  agencies: ReadonlyMap<string, Agency>;
}

/**
 * The agency that takes a new dossier addressed to `code`: the agency itself, or — when its unit was merged — the end
 * of its successor chain, at most MAX_SUCCESSOR_HOPS hops away. Null when the code is unknown or the chain is broken
 * or too long (the same answers as the recursive SQL lookup of AgencyQueries.resolveForSubmission).
 */
export function resolveForSubmission(agencies: ReadonlyMap<string, Agency>, code: string): Agency | null {
  let agency = agencies.get(code);
  for (let hops = 0; agency && hops <= MAX_SUCCESSOR_HOPS; hops++) {
    if (agency.successorCode === null) return agency;
    agency = agencies.get(agency.successorCode);
  }
  return null;
}

interface SnapshotRow {
  version: string;
  procedures: ProcedureRow[];
  agencies: AgencyRow[];
}

/**
 * Procedures and agencies kept in memory for the submission path, which would otherwise read both on every request.
 *
 * Freshness: the data is tagged with the `reference_version` it was read with (one statement, one snapshot), and
 * every change of either table moves that version in the same transaction (a trigger). A submission writes only if
 * the version it validated against is still the current one — checked inside its own write statement, so it costs no
 * round trip — and otherwise reloads and starts over. So no replica ever routes a dossier by data older than the
 * write's snapshot, however the change was made (a merge on another replica, a re-seed, a hand edit); a merge on this
 * replica also drops the cache at once (`invalidate`) so the next submission does not have to find out.
 */
@Injectable()
export class ReferenceCache {
  private snapshot: ReferenceSnapshot | null = null;
  private loading: Promise<ReferenceSnapshot> | null = null;
  private generation = 0;

  constructor(private readonly ds: DataSource) {}

  /** The data in memory, read from the database first when there is none (or it was invalidated). */
  async current(): Promise<ReferenceSnapshot> {
    if (this.snapshot) return this.snapshot;
    // Concurrent callers share one read.
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return await this.loading;
  }

  /**
   * Drops the data in memory; with `staleVersion`, only if that is still the version held (several submissions that
   * found the same stale version cause one reload, not one each).
   */
  invalidate(staleVersion?: string): void {
    if (staleVersion !== undefined && this.snapshot && this.snapshot.version !== staleVersion) return;
    this.snapshot = null;
    this.generation++;
  }

  private async load(): Promise<ReferenceSnapshot> {
    const generation = this.generation;
    const [row] = await this.ds.query<SnapshotRow[]>(
      `SELECT (SELECT version::text FROM reference_version) AS version,
              (SELECT coalesce(json_agg(p), '[]') FROM (
                 SELECT code, name, name_en, area, agency_level, ministry_agency_code, service_level, fee_vnd,
                        processing_working_days, required_vneid_level, required_documents, form FROM procedures) p
              ) AS procedures,
              (SELECT coalesce(json_agg(a), '[]') FROM (
                 SELECT code, name, name_en, level, province_code, commune_code, successor_code FROM agencies) a
              ) AS agencies`,
    );
    if (!row) throw new Error('reference data: no answer');
    const snapshot: ReferenceSnapshot = {
      version: row.version,
      procedures: new Map(row.procedures.map((r) => [r.code, toProcedure(r)])),
      agencies: new Map(row.agencies.map((r) => [r.code, toAgency(r)])),
    };
    // An invalidation while this read was in flight may be about a change it did not see: do not keep it.
    if (generation === this.generation) this.snapshot = snapshot;
    return snapshot;
  }
}
