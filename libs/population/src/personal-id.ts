/**
 * Vietnam's 12-digit personal identification number (số định danh cá nhân, printed on the chip ID card):
 *
 *   PPP G YY SSSSSS
 *   PPP     province where the birth was registered: '0' + the 2-digit administrative province code
 *   G       century and gender (even = male, odd = female): 0/1 1900–1999, 2/3 2000–2099, 4/5 2100–2199,
 *           6/7 2200–2299, 8/9 2300–2399 (Circular 07/2016/TT-BCA, art. 7; 8/9 is sometimes quoted as 1800–1899,
 *           but the circular says the 24th century; no living person carries either reading)
 *   YY      last two digits of the birth year
 *   SSSSSS  serial; carries no meaning
 *
 * Province codes are the 63 codes of Decision 124/2004/QĐ-TTg. The 2025 reform merged them into 34 units, each
 * keeping the code of the province that hosts its seat, so every code in use (before or after 1 July 2025) is one of
 * the 63 below. IDs are never reissued when provinces merge, so parsing must keep knowing every legacy code.
 */

export type Gender = 'male' | 'female';

export interface LegacyProvince {
  /** 2-digit code of Decision 124/2004/QĐ-TTg (the ID carries it as '0' + code). */
  readonly code: string;
  readonly name: string;
  /** 2-digit code of the province it belongs to since 1 July 2025 (the old code of the new unit's seat). */
  readonly currentCode: string;
  /** Approximate population (2023–2024 statistics): weights the synthetic registry. */
  readonly population: number;
}

export interface CurrentProvince {
  readonly code: string;
  readonly name: string;
  /** Centrally-run city (thành phố) or province (tỉnh): decides how an address names it. */
  readonly kind: 'city' | 'province';
  /** Sum of its legacy provinces' populations, so the two tables can never disagree. */
  readonly population: number;
}

const legacy = (code: string, name: string, currentCode: string, population: number): LegacyProvince => ({
  code,
  name,
  currentCode,
  population,
});

export const LEGACY_PROVINCES: readonly LegacyProvince[] = Object.freeze([
  legacy('01', 'Hà Nội', '01', 8_587_000),
  legacy('02', 'Hà Giang', '08', 906_000),
  legacy('04', 'Cao Bằng', '04', 547_000),
  legacy('06', 'Bắc Kạn', '19', 328_000),
  legacy('08', 'Tuyên Quang', '08', 805_000),
  legacy('10', 'Lào Cai', '15', 770_000),
  legacy('11', 'Điện Biên', '11', 639_000),
  legacy('12', 'Lai Châu', '12', 482_000),
  legacy('14', 'Sơn La', '14', 1_300_000),
  legacy('15', 'Yên Bái', '15', 846_000),
  legacy('17', 'Hòa Bình', '25', 880_000),
  legacy('19', 'Thái Nguyên', '19', 1_340_000),
  legacy('20', 'Lạng Sơn', '20', 802_000),
  legacy('22', 'Quảng Ninh', '22', 1_381_000),
  legacy('24', 'Bắc Giang', '24', 1_922_000),
  legacy('25', 'Phú Thọ', '25', 1_510_000),
  legacy('26', 'Vĩnh Phúc', '25', 1_200_000),
  legacy('27', 'Bắc Ninh', '24', 1_488_000),
  legacy('30', 'Hải Dương', '31', 1_956_000),
  legacy('31', 'Hải Phòng', '31', 2_097_000),
  legacy('33', 'Hưng Yên', '33', 1_300_000),
  legacy('34', 'Thái Bình', '33', 1_880_000),
  legacy('35', 'Hà Nam', '37', 881_000),
  legacy('36', 'Nam Định', '37', 1_887_000),
  legacy('37', 'Ninh Bình', '37', 1_010_000),
  legacy('38', 'Thanh Hóa', '38', 3_760_000),
  legacy('40', 'Nghệ An', '40', 3_442_000),
  legacy('42', 'Hà Tĩnh', '42', 1_324_000),
  legacy('44', 'Quảng Bình', '44', 918_000),
  legacy('45', 'Quảng Trị', '44', 650_000),
  legacy('46', 'Thừa Thiên Huế', '46', 1_166_000),
  legacy('48', 'Đà Nẵng', '48', 1_245_000),
  legacy('49', 'Quảng Nam', '48', 1_522_000),
  legacy('51', 'Quảng Ngãi', '51', 1_248_000),
  legacy('52', 'Bình Định', '52', 1_504_000),
  legacy('54', 'Phú Yên', '66', 877_000),
  legacy('56', 'Khánh Hòa', '56', 1_253_000),
  legacy('58', 'Ninh Thuận', '56', 600_000),
  legacy('60', 'Bình Thuận', '68', 1_250_000),
  legacy('62', 'Kon Tum', '51', 580_000),
  legacy('64', 'Gia Lai', '52', 1_590_000),
  legacy('66', 'Đắk Lắk', '66', 1_918_000),
  legacy('67', 'Đắk Nông', '68', 670_000),
  legacy('68', 'Lâm Đồng', '68', 1_333_000),
  legacy('70', 'Bình Phước', '75', 1_030_000),
  legacy('72', 'Tây Ninh', '80', 1_190_000),
  legacy('74', 'Bình Dương', '79', 2_763_000),
  legacy('75', 'Đồng Nai', '75', 3_310_000),
  legacy('77', 'Bà Rịa - Vũng Tàu', '79', 1_200_000),
  legacy('79', 'Hồ Chí Minh', '79', 9_457_000),
  legacy('80', 'Long An', '80', 1_730_000),
  legacy('82', 'Tiền Giang', '82', 1_790_000),
  legacy('83', 'Bến Tre', '86', 1_300_000),
  legacy('84', 'Trà Vinh', '86', 1_020_000),
  legacy('86', 'Vĩnh Long', '86', 1_030_000),
  legacy('87', 'Đồng Tháp', '82', 1_600_000),
  legacy('89', 'An Giang', '91', 1_910_000),
  legacy('91', 'Kiên Giang', '91', 1_760_000),
  legacy('92', 'Cần Thơ', '92', 1_260_000),
  legacy('93', 'Hậu Giang', '92', 730_000),
  legacy('94', 'Sóc Trăng', '92', 1_200_000),
  legacy('95', 'Bạc Liêu', '96', 925_000),
  legacy('96', 'Cà Mau', '96', 1_210_000),
]);

/** The 34 units in force since 1 July 2025 (Resolution 202/2025/QH15): 6 cities and 28 provinces. */
const CURRENT_UNITS: readonly (readonly [code: string, name: string, kind: CurrentProvince['kind']])[] = [
  ['01', 'Hà Nội', 'city'],
  ['04', 'Cao Bằng', 'province'],
  ['08', 'Tuyên Quang', 'province'],
  ['11', 'Điện Biên', 'province'],
  ['12', 'Lai Châu', 'province'],
  ['14', 'Sơn La', 'province'],
  ['15', 'Lào Cai', 'province'],
  ['19', 'Thái Nguyên', 'province'],
  ['20', 'Lạng Sơn', 'province'],
  ['22', 'Quảng Ninh', 'province'],
  ['24', 'Bắc Ninh', 'province'],
  ['25', 'Phú Thọ', 'province'],
  ['31', 'Hải Phòng', 'city'],
  ['33', 'Hưng Yên', 'province'],
  ['37', 'Ninh Bình', 'province'],
  ['38', 'Thanh Hóa', 'province'],
  ['40', 'Nghệ An', 'province'],
  ['42', 'Hà Tĩnh', 'province'],
  ['44', 'Quảng Trị', 'province'],
  ['46', 'Huế', 'city'],
  ['48', 'Đà Nẵng', 'city'],
  ['51', 'Quảng Ngãi', 'province'],
  ['52', 'Gia Lai', 'province'],
  ['56', 'Khánh Hòa', 'province'],
  ['66', 'Đắk Lắk', 'province'],
  ['68', 'Lâm Đồng', 'province'],
  ['75', 'Đồng Nai', 'province'],
  ['79', 'Hồ Chí Minh', 'city'],
  ['80', 'Tây Ninh', 'province'],
  ['82', 'Đồng Tháp', 'province'],
  ['86', 'Vĩnh Long', 'province'],
  ['91', 'An Giang', 'province'],
  ['92', 'Cần Thơ', 'city'],
  ['96', 'Cà Mau', 'province'],
];

export const CURRENT_PROVINCES: readonly CurrentProvince[] = Object.freeze(
  CURRENT_UNITS.map(([code, name, kind]) => ({
    code,
    name,
    kind,
    population: LEGACY_PROVINCES.filter((p) => p.currentCode === code).reduce((sum, p) => sum + p.population, 0),
  })),
);

const legacyByCode: ReadonlyMap<string, LegacyProvince> = new Map(LEGACY_PROVINCES.map((p) => [p.code, p]));
const currentByCode: ReadonlyMap<string, CurrentProvince> = new Map(CURRENT_PROVINCES.map((p) => [p.code, p]));

export function legacyProvince(code: string): LegacyProvince | undefined {
  return legacyByCode.get(code);
}

export function currentProvince(code: string): CurrentProvince | undefined {
  return currentByCode.get(code);
}

/** Name as written in an address line: "Thành phố Hà Nội", "Tỉnh Lâm Đồng". */
export function currentProvinceDisplayName(p: CurrentProvince): string {
  return `${p.kind === 'city' ? 'Thành phố' : 'Tỉnh'} ${p.name}`;
}

export interface PersonalIdParts {
  /** 2-digit legacy province code of the birth registration place (the ID carries '0' + this). */
  provinceCode: string;
  gender: Gender;
  birthYear: number;
  /** The 6-digit serial. */
  serial: string;
}

export type ParsePersonalIdResult = { ok: true; value: PersonalIdParts } | { ok: false; error: string };

/** First year of the century each century/gender digit pair stands for (index = digit >> 1). */
const CENTURY_START = [1900, 2000, 2100, 2200, 2300] as const;

/**
 * Decodes a personal ID. `asOf` (default: now) bounds the birth year: a digit that can only mean a birth in the
 * future (today every digit from 4 up) is refused, which is what catches most mistyped century digits.
 * Error messages never repeat the whole ID: they end up in logs, and the ID is personal data.
 */
export function parsePersonalId(id: string, asOf: Date = new Date()): ParsePersonalIdResult {
  if (typeof id !== 'string' || !/^\d{12}$/.test(id)) {
    const length = typeof id === 'string' ? id.length : 0;
    return { ok: false, error: `personal ID must be exactly 12 digits (got ${length} characters)` };
  }
  const province = id.slice(0, 3);
  const provinceCode = province.slice(1);
  if (province[0] !== '0' || !legacyByCode.has(provinceCode)) {
    return { ok: false, error: `unknown province code '${province}' in personal ID` };
  }
  // Character-code arithmetic: this runs once per row in bulk checks, where even a Number() call adds up.
  const centuryDigit = id.charCodeAt(3) - 48;
  const centuryStart = CENTURY_START[centuryDigit >> 1] ?? 1900;
  const birthYear = centuryStart + (id.charCodeAt(4) - 48) * 10 + (id.charCodeAt(5) - 48);
  const currentYear = asOf.getUTCFullYear();
  if (centuryStart > currentYear) {
    return {
      ok: false,
      error: `bad century digit ${centuryDigit} in personal ID: it stands for a birth in ${centuryStart}–${centuryStart + 99}`,
    };
  }
  if (birthYear > currentYear) {
    return { ok: false, error: `personal ID encodes birth year ${birthYear}, which is in the future` };
  }
  return {
    ok: true,
    value: { provinceCode, gender: centuryDigit % 2 === 0 ? 'male' : 'female', birthYear, serial: id.slice(6) },
  };
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Year of a calendar-valid ISO date (YYYY-MM-DD), or null. */
export function isoDateYear(date: string): number | null {
  const m = ISO_DATE.exec(date);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 2023-02-30 over into March: a valid date survives the round trip unchanged.
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return year;
}

/**
 * True when `id` parses and agrees with what is given: a birth date (ISO YYYY-MM-DD) must fall in the year named by
 * the century digit and the year digits; a gender must match the parity of the century digit.
 */
export function isValidPersonalId(id: string, birthDate?: string, gender?: Gender): boolean {
  const parsed = parsePersonalId(id);
  if (!parsed.ok) return false;
  if (birthDate !== undefined && isoDateYear(birthDate) !== parsed.value.birthYear) return false;
  return gender === undefined || gender === parsed.value.gender;
}

/** Builds the 12-digit ID. Throws a RangeError on parts that no valid ID could carry. */
export function formatPersonalId(parts: {
  provinceCode: string;
  gender: Gender;
  birthYear: number;
  serial: string | number;
}): string {
  // Accept the 3-digit form ('001') as well as the 2-digit code, since both circulate.
  const code =
    parts.provinceCode.length === 3 && parts.provinceCode[0] === '0' ? parts.provinceCode.slice(1) : parts.provinceCode;
  if (!legacyByCode.has(code)) throw new RangeError(`unknown province code '${parts.provinceCode}'`);
  const centuryIndex = Math.floor((parts.birthYear - 1900) / 100);
  if (!Number.isInteger(parts.birthYear) || centuryIndex < 0 || centuryIndex >= CENTURY_START.length) {
    throw new RangeError(`birth year ${parts.birthYear} is outside 1900–2399`);
  }
  const serial = typeof parts.serial === 'number' ? String(parts.serial).padStart(6, '0') : parts.serial;
  if (!/^\d{6}$/.test(serial)) throw new RangeError('serial must be 6 digits (or an integer 0–999999)');
  const centuryDigit = centuryIndex * 2 + (parts.gender === 'female' ? 1 : 0);
  return `0${code}${centuryDigit}${String(parts.birthYear % 100).padStart(2, '0')}${serial}`;
}
