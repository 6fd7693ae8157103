import type { DataSource, EntityManager } from 'typeorm';
import { agencies, communes, provinces } from '../admin-units/data';
import { areas } from '../catalog/data/areas';
import { procedures } from '../catalog/data/procedures';
import type { ProcedureSeed } from '../catalog/data/types';
import { normaliseSearchText } from '../catalog/domain/search-text';

export interface SeedResult {
  areas: number;
  procedures: number;
  provinces: number;
  communes: number;
  agencies: number;
  ms: number;
}

/** Search text of a procedure: code and both names, normalised (accent-free, lower case). */
export function procedureSearchText(p: Pick<ProcedureSeed, 'code' | 'name' | 'nameEn'>): string {
  return normaliseSearchText(`${p.code} ${p.name} ${p.nameEn}`);
}

// A lock id of our own: two instances starting together seed one after the other instead of deadlocking.
const SEED_LOCK = 7_301_001;

/**
 * Upserts the catalog and the administrative units from the data files, in one transaction, as one statement per
 * table (jsonb_to_recordset). Idempotent: run at every start-up and by `nx run intake:seed`.
 *
 * Descriptive columns (names, fees, forms…) follow the files; structural changes operators made at run time
 * (a unit merged into another, communes moved to a successor province) are kept, never undone by a re-seed.
 */
export async function seedReferenceData(ds: DataSource): Promise<SeedResult> {
  const started = performance.now();
  await ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock($1)', [SEED_LOCK]);
    await upsertAreas(m);
    await upsertProcedures(m);
    await upsertProvinces(m);
    await upsertCommunes(m);
    await upsertAgencies(m);
  });
  return {
    areas: areas.length,
    procedures: procedures.length,
    provinces: provinces.length,
    communes: communes.length,
    agencies: agencies.length,
    ms: Math.round(performance.now() - started),
  };
}

async function upsertAreas(m: EntityManager): Promise<void> {
  await m.query(
    `INSERT INTO areas (id, name, name_en, sort_order)
     SELECT id, name, "nameEn", ord FROM jsonb_to_recordset($1::jsonb) AS t(id text, name text, "nameEn" text, ord int)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en, sort_order = EXCLUDED.sort_order`,
    [JSON.stringify(areas.map((a, i) => ({ ...a, ord: i })))],
  );
}

async function upsertProcedures(m: EntityManager): Promise<void> {
  const rows = procedures.map((p) => ({ ...p, searchText: procedureSearchText(p) }));
  await m.query(
    `INSERT INTO procedures (code, name, name_en, area, agency_level, ministry_agency_code, service_level, fee_vnd,
       processing_working_days, required_vneid_level, popularity, required_documents, form, search_text, updated_at)
     SELECT code, name, "nameEn", area, "agencyLevel", "ministryAgencyCode", "serviceLevel", "feeVnd",
       "processingWorkingDays", "requiredVneidLevel", popularity, "requiredDocuments", form, "searchText", now()
     FROM jsonb_to_recordset($1::jsonb) AS t(code text, name text, "nameEn" text, area text, "agencyLevel" text,
       "ministryAgencyCode" text, "serviceLevel" text, "feeVnd" bigint, "processingWorkingDays" int,
       "requiredVneidLevel" smallint, popularity int, "requiredDocuments" jsonb, form jsonb, "searchText" text)
     ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en, area = EXCLUDED.area,
       agency_level = EXCLUDED.agency_level, ministry_agency_code = EXCLUDED.ministry_agency_code,
       service_level = EXCLUDED.service_level, fee_vnd = EXCLUDED.fee_vnd,
       processing_working_days = EXCLUDED.processing_working_days, required_vneid_level = EXCLUDED.required_vneid_level,
       popularity = EXCLUDED.popularity, required_documents = EXCLUDED.required_documents, form = EXCLUDED.form,
       search_text = EXCLUDED.search_text, updated_at = now()
     WHERE (procedures.name, procedures.name_en, procedures.area, procedures.agency_level,
            procedures.ministry_agency_code, procedures.service_level, procedures.fee_vnd,
            procedures.processing_working_days, procedures.required_vneid_level, procedures.popularity,
            procedures.required_documents, procedures.form, procedures.search_text)
       IS DISTINCT FROM
           (EXCLUDED.name, EXCLUDED.name_en, EXCLUDED.area, EXCLUDED.agency_level, EXCLUDED.ministry_agency_code,
            EXCLUDED.service_level, EXCLUDED.fee_vnd, EXCLUDED.processing_working_days,
            EXCLUDED.required_vneid_level, EXCLUDED.popularity, EXCLUDED.required_documents, EXCLUDED.form,
            EXCLUDED.search_text)`,
    [JSON.stringify(rows)],
  );
}

async function upsertProvinces(m: EntityManager): Promise<void> {
  await m.query(
    `INSERT INTO provinces (code, name, full_name, name_en, kind, population, merged_from)
     SELECT code, name, "fullName", "nameEn", kind, population, "mergedFrom"
     FROM jsonb_to_recordset($1::jsonb) AS t(code text, name text, "fullName" text, "nameEn" text, kind text,
       population bigint, "mergedFrom" jsonb)
     ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, full_name = EXCLUDED.full_name,
       name_en = EXCLUDED.name_en, kind = EXCLUDED.kind, population = EXCLUDED.population,
       merged_from = EXCLUDED.merged_from`,
    [JSON.stringify(provinces)],
  );
}

async function upsertCommunes(m: EntityManager): Promise<void> {
  // Two passes: successors must exist before a former unit can point at them.
  await m.query(
    `INSERT INTO communes (code, name, province_code)
     SELECT code, name, "provinceCode" FROM jsonb_to_recordset($1::jsonb) AS t(code text, name text, "provinceCode" text)
     ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name`,
    [JSON.stringify(communes)],
  );
  const merged = communes.filter((c) => c.mergedIntoCode !== undefined);
  if (merged.length) {
    await m.query(
      `UPDATE communes c SET merged_into_code = t."mergedIntoCode", merged_at = COALESCE(c.merged_at, now())
       FROM jsonb_to_recordset($1::jsonb) AS t(code text, "mergedIntoCode" text)
       WHERE c.code = t.code AND c.merged_into_code IS NULL`,
      [JSON.stringify(merged)],
    );
  }
}

async function upsertAgencies(m: EntityManager): Promise<void> {
  await m.query(
    `INSERT INTO agencies (code, name, name_en, level, province_code, commune_code)
     SELECT code, name, "nameEn", level, "provinceCode", "communeCode"
     FROM jsonb_to_recordset($1::jsonb) AS t(code text, name text, "nameEn" text, level text, "provinceCode" text,
       "communeCode" text)
     ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en`,
    [JSON.stringify(agencies)],
  );
}
