import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { DossierStatus } from './domain/status';
import type { DossierAttachmentView } from './read-dossiers/dossier.view';

export interface DossierRow {
  id: string;
  receipt_code: string;
  procedure_code: string;
  agency_code: string;
  requested_agency_code: string;
  handling_agency_code: string;
  province_code: string;
  channel: 'ONLINE' | 'COUNTER';
  service_level: 'FULL' | 'PARTIAL';
  applicant_personal_id: string;
  applicant_full_name: string;
  applicant_birth_date: string;
  submitted_by_sub: string;
  form: Record<string, unknown>;
  fee_vnd: string;
  processing_working_days: number;
  required_vneid_level: number;
  prefilled_fields: number | null;
  form_field_count: number;
  status: DossierStatus;
  status_at: Date;
  submitted_at: Date;
  updated_at: Date;
}

export interface HistoryRow {
  status: DossierStatus | null;
  applied: boolean;
  source: string;
  event_id: string | null;
  reason: string | null;
  occurred_at: Date;
  recorded_at: Date;
}

export interface NewHistoryEntry {
  dossierId: string;
  status: DossierStatus | null;
  applied: boolean;
  source: string;
  eventId: string | null;
  reason: string | null;
  occurredAt: Date;
}

// `applicant_birth_date` as text: a DATE must not travel through a JS Date and a time zone.
const COLUMNS = `d.*, to_char(d.applicant_birth_date, 'YYYY-MM-DD') AS applicant_birth_date`;

/** Raw SQL over the dossier tables; every write takes the caller's transaction manager. */
@Injectable()
export class DossierRepository {
  constructor(private readonly ds: DataSource) {}

  async byId(id: string, m: EntityManager = this.ds.manager, forUpdate = false): Promise<DossierRow | null> {
    const rows = await m.query<DossierRow[]>(
      `SELECT ${COLUMNS} FROM dossiers d WHERE d.id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0] ?? null;
  }

  async byReceiptCode(code: string, m: EntityManager = this.ds.manager): Promise<DossierRow | null> {
    const rows = await m.query<DossierRow[]>(`SELECT ${COLUMNS} FROM dossiers d WHERE d.receipt_code = $1`, [code]);
    return rows[0] ?? null;
  }

  async history(dossierId: string, m: EntityManager = this.ds.manager): Promise<HistoryRow[]> {
    return await m.query<HistoryRow[]>(
      `SELECT status, applied, source, event_id, reason, occurred_at, recorded_at FROM dossier_status_history
       WHERE dossier_id = $1 ORDER BY occurred_at, id`,
      [dossierId],
    );
  }

  /** The dossier's documents in upload order; a claimed attachment without a purpose came with the submission. */
  async attachments(dossierId: string, m: EntityManager = this.ds.manager): Promise<DossierAttachmentView[]> {
    return await m.query<DossierAttachmentView[]>(
      `SELECT id, file_name AS "fileName", content_type AS "contentType", size_bytes::int AS "sizeBytes", sha256,
              COALESCE(purpose, 'SUBMISSION') AS purpose
       FROM attachments WHERE dossier_id = $1 ORDER BY created_at, id`,
      [dossierId],
    );
  }

  async addHistory(m: EntityManager, e: NewHistoryEntry): Promise<void> {
    await this.addHistoryMany(m, [e]);
  }

  /** History entries in one statement, their ids in the order given. */
  async addHistoryMany(m: EntityManager, entries: readonly NewHistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await m.query(
      `INSERT INTO dossier_status_history (dossier_id, status, applied, source, event_id, reason, occurred_at)
       SELECT d, s, a, src, e, r, o
       FROM unnest($1::uuid[], $2::text[], $3::boolean[], $4::text[], $5::uuid[], $6::text[], $7::timestamptz[])
         WITH ORDINALITY AS u(d, s, a, src, e, r, o, n)
       ORDER BY n`,
      [
        entries.map((e) => e.dossierId),
        entries.map((e) => e.status),
        entries.map((e) => e.applied),
        entries.map((e) => e.source),
        entries.map((e) => e.eventId),
        entries.map((e) => e.reason),
        entries.map((e) => e.occurredAt.toISOString()),
      ],
    );
  }

  async setStatus(
    m: EntityManager,
    id: string,
    status: DossierStatus,
    at: Date,
    handlingAgencyCode?: string,
  ): Promise<void> {
    await this.setStatuses(m, [{ id, status, at, handlingAgencyCode: handlingAgencyCode ?? null }]);
  }

  /**
   * Current statuses (and the handling agency where it changed) of several dossiers in one statement; `status`
   * null keeps the status (only the handling agency moves).
   */
  async setStatuses(
    m: EntityManager,
    updates: readonly { id: string; status: DossierStatus | null; at: Date; handlingAgencyCode: string | null }[],
  ): Promise<void> {
    if (updates.length === 0) return;
    await m.query(
      `UPDATE dossiers AS d SET status = COALESCE(u.s, d.status),
         status_at = CASE WHEN u.s IS NULL THEN d.status_at ELSE u.at END, updated_at = now(),
         handling_agency_code = COALESCE(u.h, d.handling_agency_code)
       FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[]) AS u(id, s, at, h)
       WHERE d.id = u.id`,
      [
        updates.map((u) => u.id),
        updates.map((u) => u.status),
        updates.map((u) => u.at.toISOString()),
        updates.map((u) => u.handlingAgencyCode),
      ],
    );
  }

  /** Status and status time of the given dossiers, rows locked in id order (one global order: no deadlocks). */
  async lockStatuses(
    m: EntityManager,
    ids: readonly string[],
  ): Promise<Map<string, { status: DossierStatus; at: Date }>> {
    const rows = await m.query<{ id: string; status: DossierStatus; status_at: Date }[]>(
      `SELECT id, status, status_at FROM dossiers WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, { status: r.status, at: new Date(r.status_at) }]));
  }

  async list(filter: {
    applicantPersonalId?: string;
    agencyCode?: string;
    status?: DossierStatus;
    page: number;
    pageSize: number;
  }): Promise<{ rows: (DossierRow & { procedure_name: string })[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (filter.applicantPersonalId) where.push(`d.applicant_personal_id = ${param(filter.applicantPersonalId)}`);
    if (filter.agencyCode) {
      const p = param(filter.agencyCode);
      where.push(`(d.agency_code = ${p} OR d.handling_agency_code = ${p})`);
    }
    if (filter.status) where.push(`d.status = ${param(filter.status)}`);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const counted = await this.ds.query<{ n: string }[]>(`SELECT count(*) AS n FROM dossiers d ${clause}`, params);
    const rows = await this.ds.query<(DossierRow & { procedure_name: string })[]>(
      `SELECT ${COLUMNS}, p.name AS procedure_name FROM dossiers d JOIN procedures p ON p.code = d.procedure_code
       ${clause} ORDER BY d.submitted_at DESC, d.id DESC
       LIMIT ${param(filter.pageSize)} OFFSET ${param((filter.page - 1) * filter.pageSize)}`,
      params,
    );
    return { rows, total: Number(counted[0]?.n ?? 0) };
  }
}
