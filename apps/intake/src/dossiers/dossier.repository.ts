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
    await m.query(
      `INSERT INTO dossier_status_history (dossier_id, status, applied, source, event_id, reason, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [e.dossierId, e.status, e.applied, e.source, e.eventId, e.reason, e.occurredAt],
    );
  }

  async setStatus(
    m: EntityManager,
    id: string,
    status: DossierStatus,
    at: Date,
    handlingAgencyCode?: string,
  ): Promise<void> {
    await m.query(
      `UPDATE dossiers SET status = $2, status_at = $3, updated_at = now(),
         handling_agency_code = COALESCE($4, handling_agency_code)
       WHERE id = $1`,
      [id, status, at, handlingAgencyCode ?? null],
    );
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
