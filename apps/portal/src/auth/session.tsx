import { createContext, useCallback, useContext, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, newCorrelationId } from '../api/client';
import { signInHeaders } from './device-id';
import { tokenStore, type StoredTokens } from './token-store';
import { userFromToken, type Role, type SessionUser } from './claims';

export type { Role, SessionUser } from './claims';

/** What identity answers on every sign-in and refresh. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn?: number;
  tokenType?: string;
}

export interface Session {
  user: SessionUser | null;
  token: string | null;
  /** Stores the tokens identity issued (after any sign-in flow). */
  signIn: (tokens: TokenPair) => void;
  /** Citizen sign-in, second step: the one-time code of a challenge. */
  signInCitizen: (challengeId: string, code: string) => Promise<SessionUser>;
  /** Officer or operator sign-in. */
  signInStaff: (username: string, password: string) => Promise<SessionUser>;
  signOut: () => void;
}

const SessionContext = createContext<Session | null>(null);

function snapshot(): StoredTokens | null {
  return tokenStore.get();
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const tokens = useSyncExternalStore(tokenStore.subscribe, snapshot, snapshot);
  const user = useMemo(() => (tokens ? userFromToken(tokens.accessToken) : null), [tokens]);

  const signIn = useCallback((pair: TokenPair) => {
    if (!userFromToken(pair.accessToken)) throw new Error('not a hoso access token');
    tokenStore.set({ accessToken: pair.accessToken, refreshToken: pair.refreshToken });
  }, []);

  const finish = useCallback(
    (pair: TokenPair): SessionUser => {
      signIn(pair);
      const u = userFromToken(pair.accessToken);
      if (!u) throw new Error('not a hoso access token');
      return u;
    },
    [signIn],
  );

  const signInCitizen = useCallback(
    async (challengeId: string, code: string) =>
      finish(
        await api<TokenPair>('/api/identity/auth/citizen/tokens', {
          json: { challengeId, code },
          headers: signInHeaders(),
        }),
      ),
    [finish],
  );

  const signInStaff = useCallback(
    async (username: string, password: string) =>
      finish(await api<TokenPair>('/api/identity/auth/staff/tokens', { json: { username, password } })),
    [finish],
  );

  const signOut = useCallback(() => {
    const current = tokenStore.get();
    tokenStore.set(null);
    if (current) {
      // Ends the refresh token's session on the server; the local session is gone whatever it answers.
      void fetch('/api/identity/auth/logout', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-correlation-id': newCorrelationId() },
        body: JSON.stringify({ refreshToken: current.refreshToken }),
      }).catch(() => undefined);
    }
  }, []);

  const value = useMemo<Session>(
    () => ({
      user: tokens ? user : null,
      token: tokens && user ? tokens.accessToken : null,
      signIn,
      signInCitizen,
      signInStaff,
      signOut,
    }),
    [tokens, user, signIn, signInCitizen, signInStaff, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside <SessionProvider>');
  return s;
}

/**
 * Shows its children only to a signed-in user of one of the roles. Anonymous users go to the sign-in page of
 * that role (and come back after); a user of another role sees a "not allowed" notice, never the data.
 */
export function RequireRole({ role, children }: { role: Role | Role[]; children: ReactNode }) {
  const { user } = useSession();
  const location = useLocation();
  const { t } = useTranslation();
  const allowed = Array.isArray(role) ? role : [role];
  if (!user) {
    const next = encodeURIComponent(location.pathname + location.search);
    const page = allowed.includes('citizen') ? '/sign-in' : '/staff/sign-in';
    return <Navigate to={`${page}?next=${next}`} replace />;
  }
  if (!allowed.includes(user.role)) {
    return (
      <section className="page" aria-labelledby="forbidden-title" data-testid="forbidden">
        <h1 id="forbidden-title">{t('auth.forbiddenTitle')}</h1>
        <p>{t('auth.forbidden')}</p>
      </section>
    );
  }
  return <>{children}</>;
}
