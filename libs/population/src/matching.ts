/**
 * Applicant verification against the population registry, run for every `dossier.submitted.v1`.
 *
 * The caller is whoever submitted the dossier, and the reason and detail go back to them (through
 * `identity.rejected.v1` and the portal). So the rules are written to never reveal registry data to a caller who
 * does not already know it:
 *
 *  - Details describe the claim, never the record: no registry name, birth date, death date or account level.
 *  - Checks run in order of how much the caller must already know to learn the answer:
 *    1. NOT_FOUND: whether an ID is registered is all an ID alone can tell.
 *    2. DECEASED: before any field comparison, so a dossier in a dead person's name is stopped and flagged as such
 *       (a likely identity fraud) whatever else was typed; death registration is a civil-status fact, and the
 *       caller learns nothing about the person beyond it.
 *    3. BIRTH_DATE_MISMATCH: the ID already carries the birth year, so this confirms least.
 *    4. NAME_MISMATCH: "who holds this ID" is the most sensitive fact; it is confirmed only to a caller who already
 *       gave the exact birth date, so the name cannot be guessed one try at a time from the ID alone.
 *    5. VNEID_LEVEL_TOO_LOW: about the account, not the person; only meaningful once the identity is established.
 */
import type { CitizenRecord, VneidLevel } from './citizen';

export type VerificationFailureReason =
  'NOT_FOUND' | 'NAME_MISMATCH' | 'BIRTH_DATE_MISMATCH' | 'DECEASED' | 'VNEID_LEVEL_TOO_LOW';

export type VerificationResult = { ok: true } | { ok: false; reason: VerificationFailureReason; detail: string };

export interface ApplicantClaim {
  personalId: string;
  fullName: string;
  birthDate: string;
}

/** Tone marks (dấu thanh) once decomposed: huyền, sắc, ngã, hỏi, nặng. */
const TONE_MARKS = /[\u0300\u0301\u0303\u0309\u0323]/g;
const ALL_MARKS = /\p{M}/gu;
/** Apostrophe look-alikes that keyboards and OCR produce in names such as H'Mông or H'Nga. */
const APOSTROPHES = /[\u2019\u2018\u02bc\u0060\u00b4]/g;

/**
 * Comparison key of a name: insensitive to case, spacing, Unicode form (NFC/NFD) and to where the tone mark sits
 * ("Hòa"/"Hoà", "Thủy"/"Thuỷ": the old and new spelling conventions of the same name both circulate in registries),
 * but keeps every letter, vowel mark and tone, so "Nguyen" and "Nguyễn" stay different names.
 */
export function nameKey(name: string): string {
  return name
    .normalize('NFD')
    .replace(APOSTROPHES, "'")
    .toLowerCase()
    .split(/\s+/u)
    .filter((syllable) => syllable.length > 0)
    .map((syllable) => {
      // A syllable carries one tone: pull it out and append it, so its position no longer matters.
      const tones = (syllable.match(TONE_MARKS) ?? []).sort().join('');
      return syllable.replace(TONE_MARKS, '').normalize('NFC') + tones;
    })
    .join(' ');
}

/** The name with every diacritic removed ("Nguyễn Văn Đức" → "nguyen van duc"): only to explain a mismatch. */
function withoutDiacritics(name: string): string {
  return nameKey(name).normalize('NFD').replace(ALL_MARKS, '').replace(/đ/g, 'd');
}

export function namesMatch(claimed: string, registered: string): boolean {
  return nameKey(claimed) === nameKey(registered);
}

function fail(reason: VerificationFailureReason, detail: string): VerificationResult {
  return { ok: false, reason, detail };
}

export function verifyApplicant(
  record: CitizenRecord | null,
  claim: ApplicantClaim,
  requiredVneidLevel: VneidLevel,
): VerificationResult {
  // A record for another ID would be a lookup bug; answering from it would leak someone else's data.
  if (record === null || record.personalId !== claim.personalId) {
    return fail('NOT_FOUND', 'No citizen with this personal identification number is in the population registry.');
  }
  if (record.deceased) {
    return fail(
      'DECEASED',
      'The population registry records the holder of this personal identification number as deceased.',
    );
  }
  if (claim.birthDate.trim() !== record.birthDate) {
    return fail(
      'BIRTH_DATE_MISMATCH',
      'The birth date given does not match the population registry for this personal identification number.',
    );
  }
  if (!namesMatch(claim.fullName, record.fullName)) {
    // Typing without diacritics is the commonest cause; saying so helps the genuine citizen, and by now the caller
    // has shown the ID and the exact birth date, so it confirms nothing they could not see on the ID card.
    const onlyDiacritics = withoutDiacritics(claim.fullName) === withoutDiacritics(record.fullName);
    return fail(
      'NAME_MISMATCH',
      onlyDiacritics
        ? 'The full name given differs from the population registry in its diacritics. Vietnamese diacritics are ' +
            "part of the name ('Nguyen' is not 'Nguyễn'): enter the name exactly as on the ID card."
        : 'The full name given does not match the population registry for this personal identification number.',
    );
  }
  if (record.vneidLevel < requiredVneidLevel) {
    return fail(
      'VNEID_LEVEL_TOO_LOW',
      `This procedure requires a level-${requiredVneidLevel} VNeID account; the applicant's account is below that level.` +
        (requiredVneidLevel === 2 ? ' Level 2 is granted after identity verification in person.' : ''),
    );
  }
  return { ok: true };
}
