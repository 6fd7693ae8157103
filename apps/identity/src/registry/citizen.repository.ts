import type { EntityManager } from 'typeorm';
import type { CitizenRecord, VneidLevel } from '@hoso/population';

/** Anything that runs SQL: the DataSource's manager or a transaction's. */
export type Sql = Pick<EntityManager, 'query'>;

interface CitizenRow {
  personal_id: string;
  full_name: string;
  gender: 'male' | 'female';
  birth_date: string;
  birth_province_code: string;
  permanent_address: string;
  current_province_code: string;
  ethnicity: string;
  nationality: string;
  deceased: boolean;
  deceased_at: string | null;
  vneid_level: number;
  phone: string | null;
}

// Dates as text: node-pg would turn a `date` into a local-midnight Date and shift it by the time zone.
const COLUMNS = `personal_id, full_name, gender, birth_date::text AS birth_date, birth_province_code, permanent_address,
  current_province_code, ethnicity, nationality, deceased, deceased_at::text AS deceased_at, vneid_level, phone`;

export const FIND_CITIZEN_SQL = `SELECT ${COLUMNS} FROM citizens WHERE personal_id = $1`;

function toRecord(r: CitizenRow): CitizenRecord {
  return {
    personalId: r.personal_id,
    fullName: r.full_name,
    gender: r.gender,
    birthDate: r.birth_date,
    birthProvinceCode: r.birth_province_code,
    permanentAddress: r.permanent_address,
    currentProvinceCode: r.current_province_code,
    ethnicity: r.ethnicity,
    nationality: r.nationality,
    deceased: r.deceased,
    deceasedAt: r.deceased_at,
    vneidLevel: r.vneid_level as VneidLevel,
    phone: r.phone,
  };
}

/** One citizen by personal ID (primary-key lookup), or null. */
export async function findCitizen(sql: Sql, personalId: string): Promise<CitizenRecord | null> {
  const rows: CitizenRow[] = await sql.query(FIND_CITIZEN_SQL, [personalId]);
  const row = rows[0];
  return row ? toRecord(row) : null;
}

/** Inserts a batch with one statement: one array parameter per column, zipped by unnest. */
export async function insertCitizens(sql: Sql, batch: readonly CitizenRecord[]): Promise<void> {
  if (batch.length === 0) return;
  const col = <T>(f: (c: CitizenRecord) => T): T[] => batch.map(f);
  await sql.query(
    `INSERT INTO citizens (personal_id, full_name, gender, birth_date, birth_province_code, permanent_address,
       current_province_code, ethnicity, nationality, deceased, deceased_at, vneid_level, phone)
     SELECT * FROM unnest($1::char(12)[], $2::text[], $3::text[], $4::date[], $5::char(2)[], $6::text[],
       $7::char(2)[], $8::text[], $9::text[], $10::boolean[], $11::date[], $12::smallint[], $13::text[])`,
    [
      col((c) => c.personalId),
      col((c) => c.fullName),
      col((c) => c.gender),
      col((c) => c.birthDate),
      col((c) => c.birthProvinceCode),
      col((c) => c.permanentAddress),
      col((c) => c.currentProvinceCode),
      col((c) => c.ethnicity),
      col((c) => c.nationality),
      col((c) => c.deceased),
      col((c) => c.deceasedAt),
      col((c) => c.vneidLevel),
      col((c) => c.phone),
    ],
  );
}
