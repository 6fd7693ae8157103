import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from './client';

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  /** Reads again; the current data stays on screen meanwhile. */
  reload: () => void;
}

/**
 * GETs a path (null: nothing to read yet) and keeps the answer; a newer path or reload wins over an older
 * answer still in flight. `pollMs` reads again at that interval while the page is visible.
 */
export function useApi<T>(path: string | null, options: { pollMs?: number | null } = {}): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  const lastPath = useRef<string | null>(null);

  useEffect(() => {
    if (path === null) {
      setLoading(false);
      return;
    }
    if (lastPath.current !== path) {
      // Another resource: do not show the previous one's data under the new address.
      lastPath.current = path;
      setData(undefined);
    }
    const mine = ++seq.current;
    let cancelled = false;
    setLoading(true);
    api<T>(path)
      .then((d) => {
        if (cancelled || mine !== seq.current) return;
        setData(d);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (cancelled || mine !== seq.current) return;
        setError(e instanceof Error ? e : new Error(String(e)));
      })
      .finally(() => {
        if (!cancelled && mine === seq.current) setLoading(false);
      });
    return () => {
      cancelled = true;
    };
  }, [path, tick]);

  const pollMs = options.pollMs ?? null;
  useEffect(() => {
    if (path === null || pollMs === null || pollMs <= 0) return;
    const id = setInterval(() => {
      if (typeof document === 'undefined' || document.visibilityState !== 'hidden') setTick((t) => t + 1);
    }, pollMs);
    return () => {
      clearInterval(id);
    };
  }, [path, pollMs]);

  const reload = useCallback(() => {
    setTick((t) => t + 1);
  }, []);
  return { data, error, loading: loading && data === undefined, reload };
}

/** Runs a write (claim, pay, rate…) and tracks its state; the error keeps the server's message. */
export function useAction<A extends unknown[], R>(
  run: (...args: A) => Promise<R>,
): {
  busy: boolean;
  error: ApiError | Error | undefined;
  run: (...args: A) => Promise<R | undefined>;
  reset: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const ref = useRef(run);
  ref.current = run;
  const exec = useCallback(async (...args: A) => {
    setBusy(true);
    setError(undefined);
    try {
      return await ref.current(...args);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  const reset = useCallback(() => {
    setError(undefined);
  }, []);
  return { busy, error, run: exec, reset };
}
