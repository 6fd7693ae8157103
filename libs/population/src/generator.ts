/**
 * Deterministic synthetic population registry. Every citizen is a pure function of (seed, index): the seed and the
 * index are hashed into the state of a small PRNG that draws that one record, so any record can be produced on its
 * own (random access), batches can be streamed in any order, and the same seed always gives the same registry.
 *
 * The records follow this file's draw order: changing the order or the tables changes the data for every seed.
 */
import type { CitizenRecord, VneidLevel } from './citizen';
import {
  CURRENT_PROVINCES,
  type CurrentProvince,
  currentProvince,
  currentProvinceDisplayName,
  type Gender,
  LEGACY_PROVINCES,
  type LegacyProvince,
} from './personal-id';
import {
  AGE_BANDS,
  DEFAULT_MIGRATION_PULL,
  DEFAULT_URBAN_SHARE,
  ETHNIC_NAMING,
  FEMALE_GIVEN_NAMES,
  FEMALE_MIDDLE_NAMES,
  HAMLET_WORDS,
  KINH_FAMILY_NAMES,
  MALE_GIVEN_NAMES,
  MALE_MIDDLE_NAMES,
  MIGRATION_PULL,
  MINORITY_SHARES_BY_PROVINCE,
  MOBILE_PREFIXES,
  PLACE_NAME_HEADS,
  PLACE_NAME_TAILS,
  type Region,
  REGION_OF_CURRENT,
  STREET_NAMES,
  URBAN_SHARE,
  type Weighted,
} from './synthetic-data';

export type { CitizenRecord, VneidLevel } from './citizen';

export const REGISTRY_DEFAULT_SEED = 20251;

/**
 * Upper bound on the number of citizens per seed. The 6-digit serial is a bijection of the index over [0, 10^6), so
 * two indexes below this bound never share a serial, hence never share an ID, whatever their other digits.
 */
export const REGISTRY_MAX_CITIZENS = 1_000_000;

/**
 * The registry's "today": ages, deaths and the post-merger province codes are computed against this fixed date, not
 * the clock, so the data does not drift from one run to the next.
 */
export const REGISTRY_REFERENCE_DATE = '2026-01-01';

/**
 * Math functions bound once. Inside Jest's vm sandbox every `Math.x` lookup goes through the sandbox global and is
 * about a hundred times slower than here; the generator makes millions of them, which turned a 200,000-row test from
 * one second into minutes.
 */
const { floor, imul, min, max } = Math;

const DAY_MS = 86_400_000;
/** Day numbers (days since 1970-01-01) of the reference date and of the merger. */
const REFERENCE_DAY = Date.UTC(2026, 0, 1) / DAY_MS;
/** Births registered from this date carry the merged province's code (Resolution 202/2025/QH15). */
const MERGER_DAY = Date.UTC(2025, 6, 1) / DAY_MS;
const DAYS_PER_YEAR = 365.25;

// ---------------------------------------------------------------------------------------------------------------
// Randomness: a 32-bit integer hash to derive states, mulberry32 to draw within one record.

/** Avalanching 32-bit hash (the splitmix32/murmur3 finaliser): nearby inputs give unrelated outputs. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = imul(z ^ (z >>> 16), 0x21f0aaad);
  z = imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** mulberry32: uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return at(items, this.int(items.length));
  }
}

function at<T>(items: readonly T[], i: number): T {
  const item = items[i];
  if (item === undefined) throw new RangeError(`index ${i} outside a table of ${items.length}`);
  return item;
}

/** Weighted choice by cumulative weights; tables are small, so a linear scan beats a binary search. */
class Sampler<T> {
  private readonly values: T[] = [];
  private readonly cumulative: number[] = [];
  private readonly total: number;

  constructor(table: Weighted<T>) {
    let sum = 0;
    for (const [value, weight] of table) {
      if (weight <= 0) continue;
      sum += weight;
      this.values.push(value);
      this.cumulative.push(sum);
    }
    if (this.values.length === 0) throw new RangeError('a sampler needs at least one positive weight');
    this.total = sum;
  }

  draw(rng: Rng): T {
    const u = rng.next() * this.total;
    for (let i = 0; i < this.cumulative.length; i++) {
      if (u < (this.cumulative[i] as number)) return this.values[i] as T;
    }
    return this.values[this.values.length - 1] as T;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Serial numbers: a keyed Feistel permutation of the index over 1000 x 1000, so serials look random yet are unique.

const HALF = 1000;
const FEISTEL_ROUNDS = 4;

interface SeedContext {
  readonly seed: number;
  readonly hash: number;
  readonly keys: readonly number[];
}

let lastContext: SeedContext | undefined;

function seedContext(seed: number): SeedContext {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (lastContext?.seed === seed) return lastContext;
  // Fold the high bits in too, so seeds that differ only above 2^32 still differ.
  const hash = mix32(mix32(seed >>> 0) ^ Math.floor(seed / 4_294_967_296));
  const keys = Array.from({ length: FEISTEL_ROUNDS }, (_, r) => mix32(hash ^ Math.imul(r + 1, 0x85ebca6b)));
  lastContext = { seed, hash, keys };
  return lastContext;
}

function roundFunction(half: number, key: number): number {
  return mix32(half ^ key) % HALF;
}

function permuteSerial(keys: readonly number[], index: number): number {
  let left = floor(index / HALF);
  let right = index % HALF;
  for (const key of keys) {
    const next = (left + roundFunction(right, key)) % HALF;
    left = right;
    right = next;
  }
  return left * HALF + right;
}

function unpermuteSerial(keys: readonly number[], serial: number): number {
  let left = floor(serial / HALF);
  let right = serial % HALF;
  for (let r = keys.length - 1; r >= 0; r--) {
    const previousRight = left;
    left = (right - roundFunction(previousRight, keys[r] as number) + HALF) % HALF;
    right = previousRight;
  }
  return left * HALF + right;
}

// ---------------------------------------------------------------------------------------------------------------
// Precomputed samplers.

const AGE_SAMPLER = new Sampler(AGE_BANDS);
const BIRTH_PROVINCE_SAMPLER = new Sampler<LegacyProvince>(LEGACY_PROVINCES.map((p) => [p, p.population] as const));
const KINH_FAMILY_SAMPLER = new Sampler(KINH_FAMILY_NAMES);
const MOBILE_SAMPLER = new Sampler(MOBILE_PREFIXES);
const MIGRATION_SAMPLER = new Sampler<CurrentProvince>(
  CURRENT_PROVINCES.map((p) => [p, p.population * (MIGRATION_PULL[p.code] ?? DEFAULT_MIGRATION_PULL)] as const),
);
const HAMLET_SAMPLERS = new Map(
  (Object.entries(HAMLET_WORDS) as [Region, Weighted<string>][]).map(([region, words]) => [region, new Sampler(words)]),
);
const ETHNICITY_SAMPLERS = new Map(
  LEGACY_PROVINCES.map((p) => {
    const minorities = Object.entries(MINORITY_SHARES_BY_PROVINCE[p.code] ?? {});
    const minorityShare = minorities.reduce((sum, [, share]) => sum + share, 0);
    return [p.code, new Sampler<string>([['Kinh', 1 - minorityShare], ...minorities])] as const;
  }),
);
const LEVELS_CHILD = new Sampler<VneidLevel>([
  [0, 0.85],
  [1, 0.05],
  [2, 0.1],
]);
const LEVELS_ADULT = new Sampler<VneidLevel>([
  [0, 0.15],
  [1, 0.25],
  [2, 0.6],
]);

// ---------------------------------------------------------------------------------------------------------------
// Drawing one citizen.

interface CivilDate {
  year: number;
  iso: string;
}

/**
 * Calendar date of a day number (days since 1970-01-01), by H. Hinnant's days_from_civil inverse: pure integer
 * arithmetic, several times faster than formatting a Date, which dominated the generator's profile.
 */
function civilDate(days: number): CivilDate {
  const z = days + 719_468;
  const era = floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = floor((doe - floor(doe / 1460) + floor(doe / 36_524) - floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100));
  const mp = floor((5 * doy + 2) / 153);
  const day = doy - floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year, iso: `${year}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}` };
}

function zeroPad(n: number, width: number): string {
  return `000000000${n}`.slice(-width);
}

function kinhFamilyName(rng: Rng, birthProvince: LegacyProvince): string {
  const name = KINH_FAMILY_SAMPLER.draw(rng);
  // The same family names are spelt Huỳnh and Võ from Quảng Nam and Nghệ An southwards. (Codes are zero-padded, so
  // comparing the strings compares the numbers.)
  if (name === 'Hoàng' && birthProvince.code >= '48') return 'Huỳnh';
  if (name === 'Vũ' && birthProvince.code >= '40') return 'Võ';
  return name;
}

function kinhMiddleName(rng: Rng, gender: Gender, birthYear: number, given: string): string {
  // Văn and Thị were near-universal for older generations and are much rarer among the young.
  const traditionalShare =
    gender === 'male'
      ? birthYear < 1980
        ? 0.6
        : birthYear < 2000
          ? 0.45
          : 0.2
      : birthYear < 1980
        ? 0.7
        : birthYear < 2000
          ? 0.5
          : 0.25;
  if (rng.chance(traditionalShare)) return gender === 'male' ? 'Văn' : 'Thị';
  const names = gender === 'male' ? MALE_MIDDLE_NAMES : FEMALE_MIDDLE_NAMES;
  let middle = rng.pick(names);
  // "Minh Minh" is not a name: redraw once, then fall back to the traditional one.
  if (middle === given) middle = rng.pick(names);
  return middle === given ? (gender === 'male' ? 'Văn' : 'Thị') : middle;
}

function fullName(
  rng: Rng,
  ethnicity: string,
  gender: Gender,
  birthYear: number,
  birthProvince: LegacyProvince,
): string {
  const naming = ETHNIC_NAMING[ethnicity] ?? { order: 'family-first' };
  const male = gender === 'male';
  const given = rng.pick(
    (male ? naming.maleGiven : naming.femaleGiven) ?? (male ? MALE_GIVEN_NAMES : FEMALE_GIVEN_NAMES),
  );
  const prefixed = `${(male ? naming.malePrefix : naming.femalePrefix) ?? ''}${given}`;
  if (naming.order === 'no-family') return prefixed;
  const family = naming.families ? rng.pick(naming.families) : kinhFamilyName(rng, birthProvince);
  if (naming.order === 'family-last') return `${prefixed} ${family}`;
  const middles = male ? naming.maleMiddles : naming.femaleMiddles;
  const middle = middles ? rng.pick(middles) : kinhMiddleName(rng, gender, birthYear, given);
  return middle ? `${family} ${middle} ${prefixed}` : `${family} ${prefixed}`;
}

function placeName(rng: Rng): string {
  const head = rng.pick(PLACE_NAME_HEADS);
  let tail = rng.pick(PLACE_NAME_TAILS);
  if (tail === head) tail = rng.pick(PLACE_NAME_TAILS.filter((t) => t !== head));
  return `${head} ${tail}`;
}

function permanentAddress(rng: Rng, province: CurrentProvince): string {
  const region = REGION_OF_CURRENT[province.code] ?? 'north';
  const urban = rng.chance(URBAN_SHARE[province.code] ?? DEFAULT_URBAN_SHARE);
  // Since July 2025 there is no district level: ward or commune, then province.
  const tail = `${urban ? 'Phường' : 'Xã'} ${placeName(rng)}, ${currentProvinceDisplayName(province)}`;
  if (!urban) {
    const word = (HAMLET_SAMPLERS.get(region) ?? new Sampler<string>([['Thôn', 1]])).draw(rng);
    const hamlet = rng.chance(0.5) ? `${1 + rng.int(15)}` : placeName(rng);
    return `${word} ${hamlet}, ${tail}`;
  }
  const house = 1 + rng.int(300);
  const street = rng.pick(STREET_NAMES);
  const alley = rng.chance(0.4) ? 1 + rng.int(200) : 0;
  if (region === 'south') {
    // Southern convention: "45/12 Lê Lợi" is house 12 in the alley opening at number 45.
    return `${alley ? `${alley}/${house}` : house} ${street}, ${tail}`;
  }
  const streetWord = province.code === '01' ? 'phố' : 'đường';
  if (!alley) return `Số ${house} ${streetWord} ${street}, ${tail}`;
  // Alleys are ngõ in the north, kiệt in Huế and Đà Nẵng, hẻm elsewhere.
  const alleyWord =
    region === 'north' || region === 'uplands'
      ? 'ngõ'
      : province.code === '46' || province.code === '48'
        ? 'kiệt'
        : 'hẻm';
  return `Số ${house}, ${alleyWord} ${alley} ${streetWord} ${street}, ${tail}`;
}

function deathProbability(age: number): number {
  if (age < 15) return 0.002;
  if (age < 40) return 0.005;
  if (age < 60) return 0.012;
  if (age < 75) return 0.05;
  return 0.15;
}

function phoneProbability(age: number): number {
  if (age < 14) return 0;
  if (age < 18) return 0.8;
  if (age < 80) return 0.97;
  return 0.6;
}

function synthesize(context: SeedContext, index: number): CitizenRecord {
  const rng = new Rng(mix32(context.hash ^ mix32(index)));

  const [fromAge, toAge] = AGE_SAMPLER.draw(rng);
  const daysBack = floor((fromAge + rng.next() * (toAge - fromAge + 1)) * DAYS_PER_YEAR);
  const age = floor(daysBack / DAYS_PER_YEAR);
  const birthDay = REFERENCE_DAY - daysBack;
  const { iso: birthDate, year: birthYear } = civilDate(birthDay);

  // Boys outnumber girls at birth; women outlive men.
  const maleShare = age < 15 ? 0.525 : age < 60 ? 0.5 : age < 80 ? 0.44 : 0.36;
  const gender: Gender = rng.chance(maleShare) ? 'male' : 'female';

  const birthProvince = BIRTH_PROVINCE_SAMPLER.draw(rng);
  const ethnicity = (ETHNICITY_SAMPLERS.get(birthProvince.code) as Sampler<string>).draw(rng);
  const name = fullName(rng, ethnicity, gender, birthYear, birthProvince);

  // Most people live in the province they were born in; the rest moved mostly to the big cities.
  const stays = rng.chance(age < 18 ? 0.9 : 0.8);
  const migrated = MIGRATION_SAMPLER.draw(rng);
  const residence = stays ? (currentProvince(birthProvince.currentCode) as CurrentProvince) : migrated;
  const address = permanentAddress(rng, residence);

  const deceased = rng.chance(deathProbability(age));
  // Deaths fall within the last 15 years and never before birth.
  const deathDaysBack = rng.int(max(1, min(daysBack, 15 * 365)));
  const deceasedAt = deceased ? civilDate(REFERENCE_DAY - deathDaysBack).iso : null;

  const vneidLevel = (age < 14 ? LEVELS_CHILD : LEVELS_ADULT).draw(rng);
  const hasPhone = rng.chance(phoneProbability(age));
  const prefix = rng.pick(MOBILE_SAMPLER.draw(rng));
  const subscriber = zeroPad(rng.int(10_000_000), 7);

  // The ID carries the registration province as it was named on the birth date.
  const birthProvinceCode = birthDay >= MERGER_DAY ? birthProvince.currentCode : birthProvince.code;
  // Same layout as formatPersonalId (a test holds them together), built inline because every part is valid here.
  const centuryDigit = (floor((birthYear - 1900) / 100) << 1) | (gender === 'female' ? 1 : 0);
  const personalId = `0${birthProvinceCode}${centuryDigit}${zeroPad(birthYear % 100, 2)}${zeroPad(
    permuteSerial(context.keys, index),
    6,
  )}`;

  return {
    personalId,
    fullName: name,
    gender,
    birthDate,
    birthProvinceCode,
    permanentAddress: address,
    currentProvinceCode: residence.code,
    ethnicity,
    nationality: 'Việt Nam',
    deceased,
    deceasedAt,
    vneidLevel,
    phone: hasPhone ? `${prefix}${subscriber}` : null,
  };
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= REGISTRY_MAX_CITIZENS) {
    throw new RangeError(`citizen index must be an integer in [0, ${REGISTRY_MAX_CITIZENS}), got ${index}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Public API.

/** The citizen at `index` of the registry generated from `seed`, without generating the ones before it. */
export function citizenAt(seed: number, index: number): CitizenRecord {
  checkIndex(index);
  return synthesize(seedContext(seed), index);
}

/** Citizens [startIndex, startIndex + size) as an array: one batch to insert, never the whole registry. */
export function generateCitizenBatch(seed: number, startIndex: number, size: number): CitizenRecord[] {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`batch size must be a non-negative integer`);
  if (size === 0) return [];
  checkIndex(startIndex);
  checkIndex(startIndex + size - 1);
  const context = seedContext(seed);
  const batch = new Array<CitizenRecord>(size);
  for (let i = 0; i < size; i++) batch[i] = synthesize(context, startIndex + i);
  return batch;
}

/** Streams citizens 0 … count-1 (or from `startIndex`), one at a time. */
export function* generateCitizens(opts: {
  count: number;
  seed?: number;
  startIndex?: number;
}): Generator<CitizenRecord, void, undefined> {
  const seed = opts.seed ?? REGISTRY_DEFAULT_SEED;
  const start = opts.startIndex ?? 0;
  if (!Number.isInteger(opts.count) || opts.count < 0) throw new RangeError('count must be a non-negative integer');
  if (opts.count === 0) return;
  checkIndex(start);
  checkIndex(start + opts.count - 1);
  const context = seedContext(seed);
  for (let i = 0; i < opts.count; i++) yield synthesize(context, start + i);
}

/**
 * Index of the citizen holding `personalId` in the registry of `seed`, or null. Inverts the serial permutation, so
 * it costs one record, not a scan: lets a test or the simulator look a citizen up without a database.
 */
export function indexOfPersonalId(seed: number, count: number, personalId: string): number | null {
  if (!/^\d{12}$/.test(personalId)) return null;
  const context = seedContext(seed);
  const index = unpermuteSerial(context.keys, Number(personalId.slice(6)));
  if (index >= Math.min(count, REGISTRY_MAX_CITIZENS)) return null;
  return synthesize(context, index).personalId === personalId ? index : null;
}

/** The citizen holding `personalId` among the first `count` of the registry of `seed`, or null. */
export function findCitizenByPersonalId(seed: number, count: number, personalId: string): CitizenRecord | null {
  const index = indexOfPersonalId(seed, count, personalId);
  return index === null ? null : citizenAt(seed, index);
}

/**
 * A well-formed personal ID that is guaranteed absent from the first `count` citizens of `seed` (it is the ID the
 * citizen at `count + n` would get, and serials never repeat below REGISTRY_MAX_CITIZENS): the simulator's NOT_FOUND.
 */
export function unregisteredPersonalId(seed: number, count: number, n = 0): string {
  return citizenAt(seed, count + n).personalId;
}
