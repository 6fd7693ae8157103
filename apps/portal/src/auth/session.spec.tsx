import '@testing-library/jest-dom';
import { act, render, screen } from '@testing-library/react';
import { I18nextProvider } from 'react-i18next';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { i18n } from '../i18n';
import { userFromToken } from './claims';
import { safeNext } from './next';
import { RequireRole, SessionProvider, useSession } from './session';
import { tokenStore } from './token-store';

/** An unsigned token with these claims: the portal only reads claims, the services verify signatures. */
function token(claims: Record<string, unknown>): string {
  // ASCII claims only here, so btoa suffices.
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${b64({ alg: 'EdDSA' })}.${b64(claims)}.c2ln`;
}

function Where() {
  const l = useLocation();
  return <p data-testid="where">{l.pathname + l.search}</p>;
}

function Who() {
  const { user } = useSession();
  return <p data-testid="who">{user ? `${user.role}:${user.agencyCode ?? user.personalId ?? ''}` : 'nobody'}</p>;
}

function renderAt(path: string) {
  return render(
    <I18nextProvider i18n={i18n}>
      <SessionProvider>
        <MemoryRouter initialEntries={[path]}>
          <Who />
          <Routes>
            <Route
              path="/officer"
              element={
                <RequireRole role="officer">
                  <p>agency queue</p>
                </RequireRole>
              }
            />
            <Route
              path="/dossiers"
              element={
                <RequireRole role="citizen">
                  <p>my dossiers</p>
                </RequireRole>
              }
            />
            <Route path="*" element={<Where />} />
          </Routes>
        </MemoryRouter>
      </SessionProvider>
    </I18nextProvider>,
  );
}

beforeEach(() => {
  tokenStore.set(null);
  sessionStorage.clear();
});

describe('session and role guard', () => {
  it('reads the libs/auth claim names (pid, agency, vneid)', () => {
    expect(userFromToken(token({ sub: 'c1', role: 'citizen', pid: '079090001234', vneid: 2, name: 'An' }))).toEqual({
      sub: 'c1',
      role: 'citizen',
      personalId: '079090001234',
      vneidLevel: 2,
      name: 'An',
    });
    expect(userFromToken(token({ sub: 'o1', role: 'officer', agency: 'P79' }))).toMatchObject({ agencyCode: 'P79' });
    expect(userFromToken(token({ sub: 'x', role: 'admin' }))).toBeNull();
    expect(userFromToken('not-a-jwt')).toBeNull();
  });

  it('sends an anonymous visitor to the sign-in page of the role, remembering where to come back', () => {
    renderAt('/officer?status=RECEIVED');
    expect(screen.getByTestId('where')).toHaveTextContent('/staff/sign-in?next=%2Fofficer%3Fstatus%3DRECEIVED');
    expect(screen.queryByText('agency queue')).not.toBeInTheDocument();
  });

  it("shows another role's page as access denied, without its content", () => {
    tokenStore.set({ accessToken: token({ sub: 'c1', role: 'citizen', pid: '079090001234' }), refreshToken: 'r' });
    renderAt('/officer');
    expect(screen.getByTestId('forbidden')).toBeInTheDocument();
    expect(screen.queryByText('agency queue')).not.toBeInTheDocument();
  });

  it('shows the page to its role, keeps tokens in sessionStorage, and forgets them on sign-out', () => {
    tokenStore.set({ accessToken: token({ sub: 'o1', role: 'officer', agency: 'P79' }), refreshToken: 'r' });
    renderAt('/officer');
    expect(screen.getByText('agency queue')).toBeInTheDocument();
    expect(screen.getByTestId('who')).toHaveTextContent('officer:P79');
    expect(sessionStorage.getItem('hoso.session')).toContain('accessToken');
    act(() => {
      tokenStore.set(null);
    });
    expect(screen.getByTestId('who')).toHaveTextContent('nobody');
    expect(screen.queryByText('agency queue')).not.toBeInTheDocument();
    expect(sessionStorage.getItem('hoso.session')).toBeNull();
  });

  it('returns only to paths of this site after signing in', () => {
    expect(safeNext('/dossiers/1', 'citizen')).toBe('/dossiers/1');
    expect(safeNext('//evil.example/x', 'citizen')).toBe('/dossiers');
    expect(safeNext('https://evil.example', 'officer')).toBe('/officer');
    expect(safeNext(null, 'operator')).toBe('/operator');
  });
});
