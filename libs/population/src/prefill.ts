/**
 * E-form prefill from the population registry: the portal fills these fields for the citizen instead of asking
 * (data entered once and reused; the programme counts on it to remove a fifth of the fields typed).
 */
import type { CitizenRecord } from './citizen';

export const PREFILL_SOURCES = [
  'fullName',
  'birthDate',
  'gender',
  'personalId',
  'permanentAddress',
  'provinceCode',
  'ethnicity',
  'nationality',
] as const;

export type PrefillSource = (typeof PREFILL_SOURCES)[number];

const GENDER_LABEL = { male: 'Nam', female: 'Nữ' } as const;

const READERS: Readonly<Record<PrefillSource, (record: CitizenRecord) => string>> = {
  fullName: (r) => r.fullName,
  birthDate: (r) => r.birthDate,
  // Forms print gender the way the ID card does.
  gender: (r) => GENDER_LABEL[r.gender],
  personalId: (r) => r.personalId,
  permanentAddress: (r) => r.permanentAddress,
  // The province the citizen lives in now, which is the one a form's province field means.
  provinceCode: (r) => r.currentProvinceCode,
  ethnicity: (r) => r.ethnicity,
  nationality: (r) => r.nationality,
};

/** Values for the requested sources only: a form receives no registry field it did not ask for. */
export function prefillValues(
  record: CitizenRecord,
  sources: readonly PrefillSource[],
): Partial<Record<PrefillSource, string>> {
  const values: Partial<Record<PrefillSource, string>> = {};
  for (const source of sources) {
    // Sources can come from catalog data at run time: ignore anything outside the known list.
    if (Object.hasOwn(READERS, source)) values[source] = READERS[source](record);
  }
  return values;
}
