import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AgencyLevel, Area, FormField, RequiredDocument, ServiceLevel, VneidLevel } from './data/types';
import { escapeLike, searchTerms } from './domain/search-text';

export interface ProcedureSummary {
  code: string;
  name: string;
  nameEn: string;
  area: Area;
  agencyLevel: AgencyLevel;
  ministryAgencyCode: string | null;
  serviceLevel: ServiceLevel;
  feeVnd: number;
  processingWorkingDays: number;
  requiredVneidLevel: VneidLevel;
}

export interface Procedure extends ProcedureSummary {
  requiredDocuments: RequiredDocument[];
  form: FormField[];
}

export interface ProcedureFilter {
  q?: string;
  area?: string;
  agencyLevel?: AgencyLevel;
  serviceLevel?: ServiceLevel;
  /** Procedures this agency handles: same level (and, for a ministry, its own procedures). */
  agency?: { code: string; level: AgencyLevel };
  page: number;
  pageSize: number;
}

/** A procedures row as PostgreSQL answers it (also inside json_agg, where bigint arrives as a number). */
export interface ProcedureRow {
  code: string;
  name: string;
  name_en: string;
  area: Area;
  agency_level: AgencyLevel;
  ministry_agency_code: string | null;
  service_level: ServiceLevel;
  fee_vnd: string | number;
  processing_working_days: number;
  required_vneid_level: VneidLevel;
  required_documents?: RequiredDocument[] | null;
  form?: FormField[] | null;
}

const SUMMARY_COLUMNS = `code, name, name_en, area, agency_level, ministry_agency_code, service_level, fee_vnd,
  processing_working_days, required_vneid_level`;

/** A whole procedure (summary, required documents and e-form) from its row. */
export function toProcedure(r: ProcedureRow): Procedure {
  return { ...toSummary(r), requiredDocuments: r.required_documents ?? [], form: r.form ?? [] };
}

function toSummary(r: ProcedureRow): ProcedureSummary {
  return {
    code: r.code,
    name: r.name,
    nameEn: r.name_en,
    area: r.area,
    agencyLevel: r.agency_level,
    ministryAgencyCode: r.ministry_agency_code,
    serviceLevel: r.service_level,
    feeVnd: Number(r.fee_vnd),
    processingWorkingDays: r.processing_working_days,
    requiredVneidLevel: r.required_vneid_level,
  };
}

@Injectable()
export class CatalogQueries {
  constructor(private readonly ds: DataSource) {}

  async search(f: ProcedureFilter): Promise<{ items: ProcedureSummary[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    // Each word must occur in the accent-free name (Vietnamese or English) or code; the trigram index serves LIKE.
    for (const word of searchTerms(f.q ?? '')) where.push(`search_text LIKE ${param(`%${escapeLike(word)}%`)}`);
    if (f.area) where.push(`area = ${param(f.area)}`);
    if (f.agencyLevel) where.push(`agency_level = ${param(f.agencyLevel)}`);
    if (f.serviceLevel) where.push(`service_level = ${param(f.serviceLevel)}`);
    if (f.agency) {
      where.push(`agency_level = ${param(f.agency.level)}`);
      if (f.agency.level === 'ministry') {
        where.push(`(ministry_agency_code IS NULL OR ministry_agency_code = ${param(f.agency.code)})`);
      }
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = await this.ds.query<(ProcedureRow & { total: string })[]>(
      `SELECT ${SUMMARY_COLUMNS}, count(*) OVER () AS total FROM procedures ${clause}
       ORDER BY popularity DESC, code LIMIT ${param(f.pageSize)} OFFSET ${param((f.page - 1) * f.pageSize)}`,
      params,
    );
    let total = rows[0] ? Number(rows[0].total) : 0;
    if (rows.length === 0 && f.page > 1) {
      const counted = await this.ds.query<
        {
          n: string;
        }[]
      >(`SELECT count(*) AS n FROM procedures ${clause}`, params.slice(0, -2));
      total = Number(counted[0]?.n ?? 0);
    }
    return { items: rows.map(toSummary), total };
  }

  async byCode(code: string, manager: EntityManager = this.ds.manager): Promise<Procedure | null> {
    const rows = await manager.query<ProcedureRow[]>(
      `SELECT ${SUMMARY_COLUMNS}, required_documents, form FROM procedures WHERE code = $1`,
      [code],
    );
    const r = rows[0];
    if (!r) return null;
    return toProcedure(r);
  }

  async areas(): Promise<{ id: string; name: string; nameEn: string; procedureCount: number }[]> {
    const rows = await this.ds.query<{ id: string; name: string; name_en: string; n: string }[]>(
      `SELECT a.id, a.name, a.name_en, count(p.code) AS n FROM areas a LEFT JOIN procedures p ON p.area = a.id
       GROUP BY a.id ORDER BY a.sort_order`,
    );
    return rows.map((r) => ({ id: r.id, name: r.name, nameEn: r.name_en, procedureCount: Number(r.n) }));
  }
}
