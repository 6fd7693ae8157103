import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { currentLanguage, i18n, setLanguage } from './index';
import { formatDate, formatDateTime, formatPercent, formatVnd, formatWorkingDays } from './format';
import { en } from './locales/en';
import { vi } from './locales/vi';

type Tree = { [k: string]: string | Tree };

const PLURAL = /_(zero|one|two|few|many|other)$/;

/** Every leaf of a resource tree: dotted key → text. */
function leaves(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of leaves(v, key)) out.set(kk, vv);
  }
  return out;
}

/** Keys with plural suffixes folded (Vietnamese has one plural form, English two). */
function logicalKeys(tree: Tree): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of leaves(tree)) {
    const base = k.replace(PLURAL, '');
    out.set(base, [...(out.get(base) ?? []), v]);
  }
  return out;
}

const variables = (texts: string[]) =>
  [...new Set(texts.flatMap((t) => [...t.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1])))].sort();

const nbsp = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

describe('translations', () => {
  const viKeys = logicalKeys(vi);
  const enKeys = logicalKeys(en);

  it('have every key in both languages', () => {
    const missingInEn = [...viKeys.keys()].filter((k) => !enKeys.has(k));
    const missingInVi = [...enKeys.keys()].filter((k) => !viKeys.has(k));
    expect({ missingInEn, missingInVi }).toEqual({ missingInEn: [], missingInVi: [] });
    expect(viKeys.size).toBeGreaterThan(200);
  });

  it('have no empty text and the same placeholders in both languages', () => {
    for (const [key, texts] of viKeys) {
      for (const t of [...texts, ...(enKeys.get(key) ?? [])])
        expect(`${key}: ${t.trim() ? 'ok' : 'empty'}`).toBe(`${key}: ok`);
      expect(`${key}: ${variables(texts).join(',')}`).toBe(`${key}: ${variables(enKeys.get(key) ?? []).join(',')}`);
    }
  });

  it('give plural keys the forms each language needs (vi: other; en: one and other)', () => {
    const viLeaves = leaves(vi);
    const enLeaves = leaves(en);
    const plurals = [...viLeaves.keys(), ...enLeaves.keys()]
      .filter((k) => PLURAL.test(k))
      .map((k) => k.replace(PLURAL, ''));
    for (const base of new Set(plurals)) {
      expect(viLeaves.has(`${base}_other`)).toBe(true);
      expect([enLeaves.has(`${base}_one`), enLeaves.has(`${base}_other`)]).toEqual([true, true]);
    }
  });

  it('cover every literal key the portal code asks for', () => {
    const root = join(__dirname, '..');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        // The operator dashboard keeps its texts in its own namespace and files.
        if (statSync(p).isDirectory()) {
          if (name !== 'operator' && name !== 'locales') walk(p);
        } else if (/\.tsx?$/.test(name) && !/\.spec\.tsx?$/.test(name)) files.push(p);
      }
    };
    walk(root);
    const used = new Set<string>();
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z0-9_.-]+)'/g)) used.add(m[1] as string);
    }
    expect(used.size).toBeGreaterThan(150);
    const missing = [...used].filter((k) => !viKeys.has(k) || !enKeys.has(k));
    expect(missing).toEqual([]);
  });

  it('cover every status, area and level the services send', () => {
    const statuses = [
      'SUBMITTED',
      'IDENTITY_VERIFIED',
      'IDENTITY_REJECTED',
      'AWAITING_PAYMENT',
      'PAYMENT_FAILED',
      'EXPIRED',
      'PAID',
      'WAIVED',
      'RECEIVED',
      'IN_PROCESS',
      'SUPPLEMENT_REQUESTED',
      'TRANSFERRED',
      'APPROVED',
      'REJECTED',
      'RESULT_ISSUED',
      'COMPLETED',
      'WITHDRAWN',
    ];
    for (const s of statuses) expect(viKeys.has(`status.${s}`) && enKeys.has(`status.${s}`)).toBe(true);
    for (const a of [
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
    ]) {
      expect(viKeys.has(`areas.${a}`)).toBe(true);
    }
  });
});

describe('language', () => {
  afterEach(async () => {
    await setLanguage('vi');
  });

  it('is Vietnamese by default, English on switch, remembered and reflected in <html lang>', async () => {
    expect(currentLanguage()).toBe('vi');
    expect(document.documentElement.lang).toBe('vi');
    expect(i18n.t('nav.signIn')).toBe('Đăng nhập');
    await setLanguage('en');
    expect(i18n.t('nav.signIn')).toBe('Sign in');
    expect(document.documentElement.lang).toBe('en');
    expect(localStorage.getItem('hoso.lang')).toBe('en');
  });

  it('starts in the remembered language on the next visit', () => {
    localStorage.setItem('hoso.lang', 'en');
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fresh = require('./index') as typeof import('./index');
      expect(fresh.currentLanguage()).toBe('en');
    });
    localStorage.setItem('hoso.lang', 'fr');
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fresh = require('./index') as typeof import('./index');
      expect(fresh.currentLanguage()).toBe('vi');
    });
    localStorage.removeItem('hoso.lang');
  });
});

describe('formatting for vi-VN and English', () => {
  it('formats VND amounts', () => {
    expect(nbsp(formatVnd(150000, 'vi'))).toBe('150.000 ₫');
    expect(nbsp(formatVnd(1_250_000, 'vi'))).toBe('1.250.000 ₫');
    expect(nbsp(formatVnd(0, 'vi'))).toBe('0 ₫');
    expect(formatVnd(150000, 'en')).toBe('₫150,000');
  });

  it('formats calendar dates without shifting them across time zones', () => {
    expect(formatDate('2025-01-05', 'vi')).toBe('05/01/2025');
    expect(formatDate('2025-01-05', 'en')).toBe('05 Jan 2025');
    // 23:30 UTC on 4 January is 5 January in Vietnam.
    expect(formatDate('2025-01-04T23:30:00Z', 'vi')).toBe('05/01/2025');
    expect(formatDate('not a date', 'vi')).toBe('not a date');
  });

  it("formats instants in Vietnam's time, 24-hour", () => {
    expect(nbsp(formatDateTime('2025-01-05T10:00:00Z', 'vi'))).toBe('17:00 05/01/2025');
    expect(nbsp(formatDateTime('2025-01-05T10:00:00Z', 'en'))).toBe('05 Jan 2025, 17:00');
  });

  it('formats working days with the plural each language needs', () => {
    expect(formatWorkingDays(1, 'vi')).toBe('1 ngày làm việc');
    expect(formatWorkingDays(15, 'vi')).toBe('15 ngày làm việc');
    expect(formatWorkingDays(1, 'en')).toBe('1 working day');
    expect(formatWorkingDays(15, 'en')).toBe('15 working days');
    expect(formatWorkingDays(1200, 'vi')).toBe('1.200 ngày làm việc');
  });

  it('formats rates as percentages, and no data as a dash', () => {
    expect(nbsp(formatPercent(0.7855, 'vi'))).toBe('78,6%');
    expect(formatPercent(0.7855, 'en')).toBe('78.6%');
    expect(formatPercent(1, 'vi')).toBe('100%');
    expect(formatPercent(null, 'vi')).toBe('—');
  });

  it('follows the current language when none is given', async () => {
    await setLanguage('en');
    expect(formatWorkingDays(2)).toBe('2 working days');
    await setLanguage('vi');
    expect(formatWorkingDays(2)).toBe('2 ngày làm việc');
  });
});
