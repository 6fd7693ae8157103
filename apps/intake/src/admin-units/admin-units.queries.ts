import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface Province {
  code: string;
  name: string;
  fullName: string;
  nameEn: string;
  kind: string;
  population: number;
  mergedFrom: string[];
  mergedIntoCode: string | null;
}

export interface Commune {
  code: string;
  name: string;
  provinceCode: string;
  mergedIntoCode: string | null;
}

@Injectable()
export class AdminUnitQueries {
  constructor(private readonly ds: DataSource) {}

  async provinces(includeMerged: boolean): Promise<Province[]> {
    const rows = await this.ds.query<
      {
        code: string;
        name: string;
        full_name: string;
        name_en: string;
        kind: string;
        population: string;
        merged_from: string[];
        merged_into_code: string | null;
      }[]
    >(`SELECT * FROM provinces ${includeMerged ? '' : 'WHERE merged_into_code IS NULL'} ORDER BY code`);
    return rows.map((r) => ({
      code: r.code,
      name: r.name,
      fullName: r.full_name,
      nameEn: r.name_en,
      kind: r.kind,
      population: Number(r.population),
      mergedFrom: r.merged_from,
      mergedIntoCode: r.merged_into_code,
    }));
  }

  async provinceExists(code: string): Promise<boolean> {
    const rows = await this.ds.query<unknown[]>(`SELECT 1 FROM provinces WHERE code = $1`, [code]);
    return rows.length > 0;
  }

  async communes(provinceCode: string, includeMerged: boolean): Promise<Commune[]> {
    const rows = await this.ds.query<
      { code: string; name: string; province_code: string; merged_into_code: string | null }[]
    >(
      `SELECT code, name, province_code, merged_into_code FROM communes
       WHERE province_code = $1 ${includeMerged ? '' : 'AND merged_into_code IS NULL'} ORDER BY code`,
      [provinceCode],
    );
    return rows.map((r) => ({
      code: r.code,
      name: r.name,
      provinceCode: r.province_code,
      mergedIntoCode: r.merged_into_code,
    }));
  }
}
