/**
 * What the simulator reads from intake's public catalog (procedures with their e-forms, commune agencies) and how
 * a citizen or an officer fills an e-form.
 */
import type { CitizenRecord, PrefillSource } from '@hoso/population';
import type { HttpClient } from './http';
import { joinUrl } from './http';
import type { Rng } from './random';

export interface FormField {
  name: string;
  type: 'text' | 'date' | 'number' | 'select' | 'boolean' | 'email' | 'phone' | 'personalId';
  required: boolean;
  options?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  prefill?: PrefillSource;
}

export interface CatalogProcedure {
  code: string;
  name: string;
  agencyLevel: 'commune' | 'province' | 'ministry';
  ministryAgencyCode: string | null;
  serviceLevel: 'FULL' | 'PARTIAL';
  feeVnd: number;
  requiredVneidLevel: 0 | 1 | 2;
  form: FormField[];
}

export interface CatalogAgency {
  code: string;
  level: 'commune' | 'province' | 'ministry';
  provinceCode: string | null;
  successorCode: string | null;
}

/** The configured procedures' definitions; an unknown code is a configuration error, reported all at once. */
export async function loadProcedures(http: HttpClient, intake: string, codes: string[]): Promise<CatalogProcedure[]> {
  const found = await Promise.all(
    codes.map(async (code) => {
      const res = await http.request('GET', joinUrl(intake, `/procedures/${encodeURIComponent(code)}`), {
        retry: true,
      });
      if (res.status === 404) return { code, missing: true as const };
      if (res.status !== 200) throw new Error(`GET /procedures/${code} answered ${res.status}: ${res.text}`);
      return JSON.parse(res.text) as CatalogProcedure;
    }),
  );
  const missing = found.flatMap((p) => ('missing' in p ? [p.code] : []));
  if (missing.length) throw new Error(`procedures not in intake's catalog: ${missing.join(', ')}`);
  return found as CatalogProcedure[];
}

/** Commune agencies that take new dossiers, by province. */
export async function loadCommuneAgencies(http: HttpClient, intake: string): Promise<Map<string, string[]>> {
  const agencies = await http.json<CatalogAgency[]>('GET', joinUrl(intake, '/agencies?level=commune'), {
    retry: true,
  });
  const byProvince = new Map<string, string[]>();
  for (const a of agencies) {
    if (a.successorCode || !a.provinceCode) continue;
    byProvince.set(a.provinceCode, [...(byProvince.get(a.provinceCode) ?? []), a.code]);
  }
  for (const list of byProvince.values()) list.sort();
  return byProvince;
}

/** Registry attributes the form can be prefilled with. */
export function prefillSources(p: CatalogProcedure): PrefillSource[] {
  return [...new Set(p.form.flatMap((f) => (f.prefill ? [f.prefill] : [])))];
}

/** The name as typed without its diacritics ("Nguyễn Văn Đức" → "Nguyen Van Duc"): the registry check fails it. */
export function misspell(name: string): string {
  const plain = name.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');
  return plain === name ? `${name}h` : plain;
}

const WORDS = ['Hồ sơ', 'kê khai', 'theo', 'quy định', 'đề nghị', 'giải quyết', 'cơ quan', 'nơi cư trú'];

/** A value matching the catalog's simple patterns (digits of a fixed length, optionally a suffix). */
function fromPattern(pattern: string, rng: Rng): string {
  const digits = /^\^\\d\{(\d+)\}/.exec(pattern);
  if (!digits) throw new Error(`no value generator for the form pattern ${pattern}`);
  let v = String(1 + rng.int(9));
  while (v.length < Number(digits[1])) v += String(rng.int(10));
  if (!new RegExp(pattern).test(v)) throw new Error(`no value generator for the form pattern ${pattern}`);
  return v;
}

function textValue(f: FormField, rng: Rng): string {
  if (f.pattern) return fromPattern(f.pattern, rng);
  const max = f.max ?? 255;
  let v = `${rng.pick(WORDS)} ${rng.pick(WORDS)} ${1 + rng.int(99)}`;
  while (f.min !== undefined && v.length < f.min) v += ` ${rng.pick(WORDS)}`;
  return v.slice(0, max);
}

function pastDate(rng: Rng): string {
  const t = Date.UTC(2015, 0, 1) + rng.int(9 * 365) * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/**
 * The e-form as the applicant (or the officer at the counter, from the ID card) fills it: prefillable fields from
 * the registry values, every other required field with a plausible value. `misspellName` types the applicant's
 * name without its diacritics, the commonest reason the registry check fails.
 */
export function fillForm(
  p: CatalogProcedure,
  values: Partial<Record<PrefillSource, string>>,
  citizen: CitizenRecord,
  rng: Rng,
  misspellName: boolean,
): Record<string, unknown> {
  const form: Record<string, unknown> = {};
  for (const f of p.form) {
    const pre = f.prefill ? values[f.prefill] : undefined;
    if (pre !== undefined) {
      form[f.name] = f.prefill === 'fullName' && misspellName ? misspell(pre) : pre;
      continue;
    }
    if (!f.required) continue;
    switch (f.type) {
      case 'text':
        form[f.name] = textValue(f, rng);
        break;
      case 'date':
        form[f.name] = pastDate(rng);
        break;
      case 'number': {
        const min = f.min ?? 1;
        const max = f.max ?? min + 9;
        form[f.name] = min + rng.int(Math.max(1, Math.min(10, max - min + 1)));
        break;
      }
      case 'select':
        form[f.name] = rng.pick(f.options ?? []);
        break;
      case 'boolean':
        form[f.name] = true;
        break;
      case 'email':
        form[f.name] = `cong.dan.${citizen.personalId.slice(-6)}@example.vn`;
        break;
      case 'phone': {
        const phone = citizen.phone ?? '';
        form[f.name] = new RegExp(f.pattern ?? '^0\\d{9}$').test(phone) ? phone : '0912345678';
        break;
      }
      case 'personalId':
        form[f.name] = citizen.personalId;
        break;
    }
  }
  return form;
}
