import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { Language } from '../../i18n';
import { INTAKE } from '../api/operator-api';
import type { Agency, Page, ProcedureSummary, Province, Scope } from '../api/types';
import type { Loadable } from '../ui/useApi';

/** A member of a scope the rates can be narrowed to, with its names in both languages. */
export interface CodeOption {
  code: string;
  name: string;
  nameEn: string;
}

const MAX_PROCEDURE_PAGES = 20;

async function loadProcedures(): Promise<CodeOption[]> {
  const all: CodeOption[] = [];
  for (let page = 1; page <= MAX_PROCEDURE_PAGES; page++) {
    const p = await api<Page<ProcedureSummary>>(`${INTAKE}/procedures?pageSize=100&page=${page}`);
    all.push(...p.items.map(({ code, name, nameEn }) => ({ code, name, nameEn })));
    if (p.items.length < p.pageSize || all.length >= p.total) break;
  }
  return all;
}

const loaders: Record<Exclude<Scope, 'national'>, () => Promise<CodeOption[]>> = {
  agency: async () =>
    (await api<Agency[]>(`${INTAKE}/agencies`)).map(({ code, name, nameEn }) => ({ code, name, nameEn })),
  province: async () =>
    (await api<Province[]>(`${INTAKE}/provinces`)).map(({ code, name, nameEn }) => ({ code, name, nameEn })),
  procedure: loadProcedures,
};

// Catalog data changes rarely: one read per page load and scope (a failure is not remembered).
const cache = new Map<Scope, Promise<CodeOption[]>>();

export function codeOptions(scope: Exclude<Scope, 'national'>): Promise<CodeOption[]> {
  let p = cache.get(scope);
  if (!p) {
    p = loaders[scope]().catch((err: unknown) => {
      cache.delete(scope);
      throw err;
    });
    cache.set(scope, p);
  }
  return p;
}

/** For tests: forget what was loaded. */
export function clearCodeOptionsCache(): void {
  cache.clear();
}

export function useCodeOptions(scope: Scope): Loadable<CodeOption[]> & { reload: () => void } {
  const [state, setState] = useState<Loadable<CodeOption[]>>({ status: 'idle' });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (scope === 'national') {
      setState({ status: 'idle' });
      return;
    }
    let cancelled = false;
    setState({ status: 'loading' });
    codeOptions(scope).then(
      (data) => {
        if (!cancelled) setState({ status: 'success', data });
      },
      (err: unknown) => {
        if (!cancelled) setState({ status: 'error', error: err instanceof Error ? err : new Error(String(err)) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [scope, generation]);
  return {
    ...state,
    reload: () => {
      setGeneration((g) => g + 1);
    },
  };
}

export function optionLabel(o: CodeOption, lang: Language): string {
  return `${lang === 'en' ? o.nameEn || o.name : o.name} (${o.code})`;
}

/** Accent-insensitive match on code and both names ("ha noi" finds "Hà Nội"). */
export function matches(o: CodeOption, text: string): boolean {
  const q = fold(text.trim());
  if (!q) return true;
  return fold(o.code).includes(q) || fold(o.name).includes(q) || fold(o.nameEn).includes(q);
}

function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase();
}
