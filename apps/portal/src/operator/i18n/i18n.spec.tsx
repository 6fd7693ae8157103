import { readdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import { PERIODS, QUEUE_COUNT_NAMES, RATE_NAMES, SCOPES } from '../api/types';
import { AUDIT_OUTCOMES, AUDITED_SERVICES } from '../audit/audit-trail';
import en from './en.json';
import vi from './vi.json';

type Tree = { [k: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

/** i18next plural forms: Vietnamese has only `_other`, English `_one` and `_other`; both are the same key. */
const base = (key: string) => key.replace(/_(zero|one|two|few|many|other)$/, '');
const variables = (text: string) => [...text.matchAll(/\{\{\s*(\w+)[^}]*\}\}/g)].map((m) => m[1]).sort();

const viKeys = flatten(vi);
const enKeys = flatten(en);
const has = (keys: Map<string, string>, key: string) => [...keys.keys()].some((k) => base(k) === key);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !/\.spec\.tsx?$/.test(name) ? [path] : [];
  });
}

describe('operator texts', () => {
  it('has the same keys in Vietnamese and English', () => {
    const viBase = new Set([...viKeys.keys()].map(base));
    const enBase = new Set([...enKeys.keys()].map(base));
    expect([...viBase].filter((k) => !enBase.has(k))).toEqual([]);
    expect([...enBase].filter((k) => !viBase.has(k))).toEqual([]);
  });

  it('uses the same placeholders in both languages and leaves no text empty', () => {
    for (const [key, text] of viKeys) {
      expect(text.trim()).not.toBe('');
      const other = enKeys.get(key) ?? enKeys.get(`${base(key)}_other`);
      expect([key, variables(other ?? '')]).toEqual([key, variables(text)]);
    }
    for (const text of enKeys.values()) expect(text.trim()).not.toBe('');
  });

  it('has every key the code asks for, in both languages', () => {
    const used = new Set<string>();
    for (const file of sources(join(__dirname, '..'))) {
      const code = readFileSync(file, 'utf8');
      // Literal keys: t('a.b'), t("a.b"); problem keys pushed as values ('filters.problem.x').
      for (const m of code.matchAll(/\bt\(\s*'([a-zA-Z][\w.]*)'/g)) if (m[1]) used.add(m[1]);
      for (const m of code.matchAll(/'(filters\.problem\.\w+)'/g)) if (m[1]) used.add(m[1]);
    }
    // Keys built from a value: every value of the list they are built from.
    for (const r of RATE_NAMES) used.add(`rate.${r}`);
    for (const s of SCOPES) used.add(`scope.${s}`);
    for (const s of SCOPES.filter((x) => x !== 'national')) used.add(`filters.code.${s}`);
    for (const p of PERIODS) {
      used.add(`period.${p}`);
      used.add(`trend.bucket.${p}`);
    }
    for (const n of QUEUE_COUNT_NAMES) used.add(`queues.count.${n}`);
    for (const s of AUDITED_SERVICES) used.add(`auditTrail.service.${s}`);
    for (const o of AUDIT_OUTCOMES) used.add(`auditTrail.outcome.${o}`);

    expect(used.size).toBeGreaterThan(100);
    expect([...used].filter((k) => !has(viKeys, k))).toEqual([]);
    expect([...used].filter((k) => !has(enKeys, k))).toEqual([]);
  });
});
