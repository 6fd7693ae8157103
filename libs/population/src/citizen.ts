import type { Gender } from './personal-id';

export type VneidLevel = 0 | 1 | 2;

/** One row of the population registry (CSDL quốc gia về dân cư) as the identity service sees it. */
export interface CitizenRecord {
  /** 12-digit personal identification number; unique. */
  personalId: string;
  /** Family name, middle name(s), given name, with Vietnamese diacritics, NFC. */
  fullName: string;
  gender: Gender;
  /** ISO date YYYY-MM-DD; its year and the gender agree with the ID's digits 4–6. */
  birthDate: string;
  /**
   * 2-digit code of the province where the birth was registered, as carried by the ID: a legacy code for births
   * before 1 July 2025, the merged province's code after.
   */
  birthProvinceCode: string;
  /** Permanent residence (thường trú): house or hamlet, ward or commune, current province. */
  permanentAddress: string;
  /** 2-digit code of the current (34-unit) province of permanent residence. */
  currentProvinceCode: string;
  ethnicity: string;
  nationality: string;
  deceased: boolean;
  /** ISO date of death, null while alive. */
  deceasedAt: string | null;
  /** VNeID account level: 0 none, 1 registered online, 2 identity verified in person. */
  vneidLevel: VneidLevel;
  /** Vietnamese mobile number (10 digits), null when none is on record. */
  phone: string | null;
}
