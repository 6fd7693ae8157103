import { api } from './client';
import type { Agency, Area, Page, ProcedureSummary } from './types';

/**
 * Reference data read once per page load: the whole catalog's names (65 procedures fit one page), areas and
 * agencies by code. Lists and queues show names instead of codes without a call per row.
 */
let procedures: Promise<Map<string, ProcedureSummary>> | null = null;
let areas: Promise<Area[]> | null = null;
const agencies = new Map<string, Promise<Agency | null>>();

export function procedureIndex(): Promise<Map<string, ProcedureSummary>> {
  procedures ??= (async () => {
    const all = new Map<string, ProcedureSummary>();
    for (let page = 1; page < 50; page++) {
      const p = await api<Page<ProcedureSummary>>(`/api/intake/procedures?pageSize=100&page=${page}`);
      for (const item of p.items) all.set(item.code, item);
      if (p.items.length < p.pageSize || all.size >= p.total) break;
    }
    return all;
  })().catch((e: unknown) => {
    procedures = null; // Try again next time rather than remembering a failure.
    throw e;
  });
  return procedures;
}

export function areaList(): Promise<Area[]> {
  areas ??= api<Area[]>('/api/intake/areas').catch((e: unknown) => {
    areas = null;
    throw e;
  });
  return areas;
}

export function agencyByCode(code: string): Promise<Agency | null> {
  let p = agencies.get(code);
  if (!p) {
    p = api<Agency>(`/api/intake/agencies/${encodeURIComponent(code)}`).catch(() => {
      agencies.delete(code);
      return null;
    });
    agencies.set(code, p);
  }
  return p;
}
