/**
 * The signed-in session's tokens, kept in sessionStorage (gone when the tab closes, never shared with other
 * tabs or sites). One store outside React so the API client can read and rotate tokens and every component
 * sees the change at once.
 */
export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
}

const KEY = 'hoso.session';
const listeners = new Set<() => void>();
let cached: StoredTokens | null | undefined;

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    // Storage blocked by the browser's privacy settings: the session lives in memory only.
    return null;
  }
}

function read(): StoredTokens | null {
  const raw = storage()?.getItem(KEY);
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<StoredTokens>;
    return typeof v.accessToken === 'string' && typeof v.refreshToken === 'string'
      ? { accessToken: v.accessToken, refreshToken: v.refreshToken }
      : null;
  } catch {
    return null;
  }
}

export const tokenStore = {
  get: (): StoredTokens | null => {
    if (cached === undefined) cached = read();
    return cached;
  },
  set: (tokens: StoredTokens | null): void => {
    cached = tokens;
    const s = storage();
    if (tokens) s?.setItem(KEY, JSON.stringify(tokens));
    else s?.removeItem(KEY);
    for (const l of listeners) l();
  },
  subscribe: (listener: () => void): (() => void) => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  },
};
