import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AgencyLevel } from '../catalog/data/types';
import { MAX_SUCCESSOR_HOPS } from './domain/merge';

export interface Agency {
  code: string;
  name: string;
  nameEn: string;
  level: AgencyLevel;
  provinceCode: string | null;
  communeCode: string | null;
  /** Set when the agency's unit was merged: new dossiers go to this agency (or its own successor). */
  successorCode: string | null;
}

export interface AgencyRow {
  code: string;
  name: string;
  name_en: string;
  level: AgencyLevel;
  province_code: string | null;
  commune_code: string | null;
  successor_code: string | null;
}

export const toAgency = (r: AgencyRow): Agency => ({
  code: r.code,
  name: r.name,
  nameEn: r.name_en,
  level: r.level,
  provinceCode: r.province_code,
  communeCode: r.commune_code,
  successorCode: r.successor_code,
});

@Injectable()
export class AgencyQueries {
  constructor(private readonly ds: DataSource) {}

  async byCode(code: string, manager: EntityManager = this.ds.manager): Promise<Agency | null> {
    const rows = await manager.query<AgencyRow[]>(`SELECT * FROM agencies WHERE code = $1`, [code]);
    return rows[0] ? toAgency(rows[0]) : null;
  }

  /**
   * The agency that takes a new dossier addressed to `code`: the agency itself, or — when its unit was merged —
   * the end of its successor chain. Null when the code is unknown.
   */
  async resolveForSubmission(code: string, manager: EntityManager = this.ds.manager): Promise<Agency | null> {
    const rows = await manager.query<AgencyRow[]>(
      `WITH RECURSIVE chain AS (
         SELECT code, successor_code, 0 AS hops FROM agencies WHERE code = $1
         UNION ALL
         SELECT a.code, a.successor_code, c.hops + 1 FROM agencies a JOIN chain c ON a.code = c.successor_code
         WHERE c.hops < $2
       )
       SELECT a.* FROM chain c JOIN agencies a ON a.code = c.code
       WHERE c.successor_code IS NULL ORDER BY c.hops LIMIT 1`,
      [code, MAX_SUCCESSOR_HOPS],
    );
    return rows[0] ? toAgency(rows[0]) : null;
  }

  async list(filter: { provinceCode?: string; level?: AgencyLevel }): Promise<Agency[]> {
    const where = ['successor_code IS NULL'];
    const params: unknown[] = [];
    if (filter.provinceCode) {
      params.push(filter.provinceCode);
      where.push(`province_code = $${params.length}`);
    }
    if (filter.level) {
      params.push(filter.level);
      where.push(`level = $${params.length}`);
    }
    const rows = await this.ds.query<AgencyRow[]>(
      `SELECT * FROM agencies WHERE ${where.join(' AND ')}
       ORDER BY CASE level WHEN 'ministry' THEN 0 WHEN 'province' THEN 1 ELSE 2 END, code`,
      params,
    );
    return rows.map(toAgency);
  }
}
