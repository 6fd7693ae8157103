// Seed-data types for the intake service's procedure catalog and administrative units.
// Pure TypeScript: no framework imports, so the data can be loaded by services, tests and scripts alike.

/** Procedure areas (lĩnh vực) used to group the catalog. */
export const AREAS = [
  'civil-status',
  'residence',
  'driving-licence',
  'business-registration',
  'construction',
  'land',
  'social-insurance',
  'judicial-records',
  'identity-documents',
  'education',
  'tax',
] as const;
export type Area = (typeof AREAS)[number];

/**
 * Level of the agency that receives and decides a dossier. Since 1 July 2025 Vietnam has two local levels
 * (province and commune); the district level no longer exists.
 */
export const AGENCY_LEVELS = ['commune', 'province', 'ministry'] as const;
export type AgencyLevel = (typeof AGENCY_LEVELS)[number];

/** FULL = toàn trình (submission, payment and result all online); PARTIAL = một phần (some step in person). */
export const SERVICE_LEVELS = ['FULL', 'PARTIAL'] as const;
export type ServiceLevel = (typeof SERVICE_LEVELS)[number];

/** VNeID account level a citizen needs to submit the procedure online (0 = no VNeID requirement). */
export type VneidLevel = 0 | 1 | 2;

/** Attributes of the National Population Database that can prefill a form field: the registry's own list. */
export { PREFILL_SOURCES, type PrefillSource } from '@hoso/population';

/** E-form fields: defined with the form rules they obey, shared with the portal. */
import type { FormField } from '@hoso/e-forms';
export { FORM_FIELD_TYPES, type FormFieldType, type FormField } from '@hoso/e-forms';

/** A document (thành phần hồ sơ) the applicant attaches. */
export interface RequiredDocument {
  name: string;
  nameEn: string;
  required: boolean;
}

/** An administrative procedure (thủ tục hành chính) of the national catalog. */
export interface ProcedureSeed {
  /** National catalog code, format `N.NNNNNN` (e.g. '1.001193' for birth registration). */
  code: string;
  name: string;
  nameEn: string;
  area: Area;
  agencyLevel: AgencyLevel;
  /** For ministry-level procedures, the code of the ministry agency that handles them; otherwise null. */
  ministryAgencyCode: string | null;
  serviceLevel: ServiceLevel;
  /** Base fee or charge (phí, lệ phí) in VND, before any exemption or online reduction. */
  feeVnd: number;
  /** Statutory processing time in working days (1 = within the working day of reception). */
  processingWorkingDays: number;
  requiredVneidLevel: VneidLevel;
  /** Relative weight 1–100, used by the simulator to pick procedures. */
  popularity: number;
  requiredDocuments: RequiredDocument[];
  form: FormField[];
}

/** A procedure area with display names. */
export interface AreaSeed {
  id: Area;
  name: string;
  nameEn: string;
}

/** A province or centrally-run city of the current (post-1 July 2025) structure: 28 provinces and 6 cities. */
export interface ProvinceSeed {
  /** 2-digit code; for merged provinces the code of the province that hosts the seat. */
  code: string;
  /** Short name with diacritics, e.g. 'Lâm Đồng'. */
  name: string;
  /** Official full name, e.g. 'Tỉnh Lâm Đồng', 'Thành phố Huế'. */
  fullName: string;
  /** ASCII name. */
  nameEn: string;
  kind: 'city' | 'province';
  /** Approximate population (sum of the former provinces' averages), used to weight the simulator. */
  population: number;
  /** Names of the former provinces merged into this one (including the one that kept its name); empty if unchanged. */
  mergedFrom: string[];
}

/** A former province of the 63-province structure, kept as data so old codes stay resolvable. */
export interface LegacyProvinceSeed {
  code: string;
  name: string;
  /** Code of the current province it is now part of (its own code when unchanged). */
  mergedInto: string;
  /** Approximate average population before the merger. */
  population: number;
}

/** A commune-level unit (phường, xã, đặc khu). */
export interface CommuneSeed {
  /** 5-digit code. */
  code: string;
  /** Full name with its kind, e.g. 'Phường Hoàn Kiếm', 'Xã Sóc Sơn', 'Đặc khu Côn Đảo'. */
  name: string;
  provinceCode: string;
  /** Set on a former unit that was merged into another commune; it stays as data, marked merged. */
  mergedIntoCode?: string;
}

/** An agency that receives and processes dossiers. */
export interface AgencySeed {
  /** `P<provinceCode>` for a province service centre, `C<communeCode>` for a commune, a short code for a ministry. */
  code: string;
  name: string;
  nameEn: string;
  level: AgencyLevel;
  provinceCode: string | null;
  communeCode: string | null;
}

export const FEE_CHANNELS = ['ONLINE', 'COUNTER', 'ANY'] as const;
export type FeeChannel = (typeof FEE_CHANNELS)[number];

/**
 * A fee exemption or reduction (miễn, giảm phí, lệ phí). Applies to one procedure or all (`procedureCode` null),
 * nationwide or in one province (`provinceCode` null = nationwide), for a submission channel, over a period.
 */
export interface FeeExemptionSeed {
  id: string;
  procedureCode: string | null;
  provinceCode: string | null;
  channel: FeeChannel;
  kind: 'EXEMPT' | 'REDUCED';
  /** For REDUCED: the fee charged instead of the base fee. */
  reducedFeeVnd: number | null;
  /** ISO date (inclusive). */
  validFrom: string;
  /** ISO date (inclusive), or null when open-ended. */
  validTo: string | null;
  /** Legal basis or source of the policy. */
  basis: string;
}
