import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../../api/client';

export type Loadable<T> =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'error'; error: ApiError | Error }
  | { status: 'success'; data: T };

/**
 * GETs `path` (null: nothing to load yet) and reloads when it changes; an answer to an older path is dropped,
 * so a slow response never overwrites the one for the current filters.
 */
export function useApi<T>(path: string | null): Loadable<T> & { reload: () => void } {
  const [state, setState] = useState<Loadable<T>>(path ? { status: 'loading' } : { status: 'idle' });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (!path) {
      setState({ status: 'idle' });
      return;
    }
    const controller = new AbortController();
    setState({ status: 'loading' });
    api<T>(path, { signal: controller.signal }).then(
      (data) => {
        if (!controller.signal.aborted) setState({ status: 'success', data });
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setState({ status: 'error', error: err instanceof Error ? err : new Error(String(err)) });
      },
    );
    return () => {
      controller.abort();
    };
  }, [path, generation]);

  const reload = useCallback(() => {
    setGeneration((g) => g + 1);
  }, []);
  return { ...state, reload };
}

/** The query string of the defined parameters, `?a=1&b=2` (empty when there are none). */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
