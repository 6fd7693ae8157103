import '../../operator/testing/polyfills';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { I18nextProvider } from 'react-i18next';
import { MemoryRouter, Route, Routes } from 'react-router';
import { SessionProvider } from '../../auth/session';
import { tokenStore } from '../../auth/token-store';
import { i18n } from '../../i18n';
import { fakeToken, jsonResponse, mockFetch, signInAs, type Call } from '../../operator/testing/test-utils';
import { StaffSecurityPage } from './StaffSecurityPage';
import { StaffSignInPage } from './StaffSignInPage';

function renderPage(path: string) {
  render(
    <I18nextProvider i18n={i18n}>
      <SessionProvider>
        <MemoryRouter initialEntries={[path]}>
          <Routes>
            <Route path="/staff/sign-in" element={<StaffSignInPage />} />
            <Route path="/staff/security" element={<StaffSecurityPage />} />
            <Route path="/officer" element={<p data-testid="officer-home">officer</p>} />
          </Routes>
        </MemoryRouter>
      </SessionProvider>
    </I18nextProvider>,
  );
}

const type = (testId: string, value: string) => {
  fireEvent.change(screen.getByTestId(testId), { target: { value } });
};

const tokens = () => jsonResponse(200, { accessToken: fakeToken('officer'), refreshToken: 'r' });

beforeEach(async () => {
  signInAs(null);
  await i18n.changeLanguage('en');
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('staff sign-in page', () => {
  it('asks for a new password when identity says the one-time password must be changed, then signs in', async () => {
    const calls = mockFetch((c: Call) => {
      const body = c.body as { newPassword?: string };
      if (!body.newPassword) {
        return jsonResponse(403, { statusCode: 403, message: 'must be changed', next: 'change-password' });
      }
      return tokens();
    });
    renderPage('/staff/sign-in');
    type('staff-username', 'officer.t1');
    type('staff-password', 'abcde-fghij-kmnop-qrstu');
    fireEvent.click(screen.getByTestId('staff-sign-in-submit'));
    await waitFor(() => {
      expect(screen.getByTestId('staff-sign-in-form')).toHaveAttribute('data-step', 'change-password');
    });
    // Checked before anything is sent: too short, then not repeated alike.
    type('staff-new-password', 'short');
    type('staff-repeat-password', 'short');
    fireEvent.click(screen.getByTestId('staff-sign-in-submit'));
    expect(await screen.findByText('The new password must have at least 12 characters.')).toBeInTheDocument();
    type('staff-new-password', 'Cán-bộ-Huế-2026');
    type('staff-repeat-password', 'Cán-bộ-Huế-2025');
    fireEvent.click(screen.getByTestId('staff-sign-in-submit'));
    expect(await screen.findByText('The two new passwords differ.')).toBeInTheDocument();
    expect(calls).toHaveLength(1);

    type('staff-repeat-password', 'Cán-bộ-Huế-2026');
    fireEvent.click(screen.getByTestId('staff-sign-in-submit'));
    expect(await screen.findByTestId('officer-home')).toBeInTheDocument();
    expect(calls[1]?.body).toEqual({
      username: 'officer.t1',
      password: 'abcde-fghij-kmnop-qrstu',
      newPassword: 'Cán-bộ-Huế-2026',
    });
    expect(tokenStore.get()?.refreshToken).toBe('r');
  });

  it('asks for the authenticator code, or a recovery code, and shows a wrong code as an error', async () => {
    const calls = mockFetch((c: Call) => {
      const body = c.body as { totpCode?: string; recoveryCode?: string };
      if (!body.totpCode && !body.recoveryCode) {
        return jsonResponse(401, { statusCode: 401, message: 'code required', next: 'totp' });
      }
      if (body.totpCode === '111111') {
        return jsonResponse(401, { statusCode: 401, message: 'wrong or already used code', next: 'totp' });
      }
      return tokens();
    });
    renderPage('/staff/sign-in');
    type('staff-username', 'officer.t2');
    type('staff-password', 'Tuyên-Quang-2026!');
    fireEvent.click(screen.getByTestId('staff-sign-in-submit'));
    await waitFor(() => {
      expect(screen.getByTestId('staff-sign-in-form')).toHaveAttribute('data-step', 'totp');
    });
    type('staff-code', '12ab');
    fireEvent.click(screen.getByTestId('staff-sign-in-submit'));
    expect(await screen.findByText('The code has 6 digits.')).toBeInTheDocument();
    type('staff-code', '111111');
    fireEvent.click(screen.getByTestId('staff-sign-in-submit'));
    expect(await screen.findByText('Wrong or already used code.')).toBeInTheDocument();

    fireEvent.click(screen.getByTestId('staff-code-switch'));
    type('staff-code', 'abcd-efgh-jkmn-pqrs');
    fireEvent.click(screen.getByTestId('staff-sign-in-submit'));
    expect(await screen.findByTestId('officer-home')).toBeInTheDocument();
    expect(calls.at(-1)?.body).toEqual({
      username: 'officer.t2',
      password: 'Tuyên-Quang-2026!',
      recoveryCode: 'abcd-efgh-jkmn-pqrs',
    });
  });

  it('sets up the authenticator app when identity requires it, shows the recovery codes once, then goes on', async () => {
    const codes = Array.from({ length: 10 }, (_, i) => `rec-${i}`);
    const calls = mockFetch((c: Call) => {
      if (c.url === '/api/identity/auth/staff/tokens') {
        return (c.body as { newPassword?: string }).newPassword
          ? jsonResponse(403, {
              statusCode: 403,
              message: 'an authenticator app (TOTP) must be set up',
              next: 'enrol-totp',
              enrolmentToken: 'enrolment-token-1',
              enrolmentExpiresInSec: 600,
            })
          : jsonResponse(403, { statusCode: 403, message: 'must be changed', next: 'change-password' });
      }
      if (c.url === '/api/identity/auth/staff/totp-enrolment') {
        return jsonResponse(200, { otpauthUri: 'otpauth://totp/hoso:officer.t4?secret=KEY', secret: 'KEYKEYKEY' });
      }
      if (c.url === '/api/identity/auth/staff/totp-enrolment/confirm') {
        if ((c.body as { code: string }).code !== '654321') {
          return jsonResponse(400, { statusCode: 400, message: 'wrong code: check the time on the phone' });
        }
        return jsonResponse(200, {
          accessToken: fakeToken('officer'),
          refreshToken: 'r-enrolled',
          recoveryCodes: codes,
        });
      }
      return jsonResponse(404, { statusCode: 404, message: 'not here' });
    });
    renderPage('/staff/sign-in');
    type('staff-username', 'officer.t4');
    type('staff-password', 'abcde-fghij-kmnop-qrstu');
    fireEvent.click(screen.getByTestId('staff-sign-in-submit'));
    await waitFor(() => {
      expect(screen.getByTestId('staff-sign-in-form')).toHaveAttribute('data-step', 'change-password');
    });
    type('staff-new-password', 'Cán-bộ-Huế-2026');
    type('staff-repeat-password', 'Cán-bộ-Huế-2026');
    fireEvent.click(screen.getByTestId('staff-sign-in-submit'));

    // The key is fetched with the enrolment token at once; no session yet.
    expect(await screen.findByTestId('staff-totp-secret')).toHaveTextContent('KEYKEYKEY');
    expect(screen.getByText(/This account must use an authenticator app/)).toBeInTheDocument();
    expect(screen.queryByTestId('staff-sign-in-form')).not.toBeInTheDocument();
    expect(calls.find((c) => c.url === '/api/identity/auth/staff/totp-enrolment')?.body).toEqual({
      enrolmentToken: 'enrolment-token-1',
    });
    expect(tokenStore.get()).toBeNull();

    type('staff-totp-code', '12345');
    fireEvent.click(screen.getByTestId('staff-totp-confirm-submit'));
    expect(await screen.findByText('The code has 6 digits.')).toBeInTheDocument();
    type('staff-totp-code', '111111');
    fireEvent.click(screen.getByTestId('staff-totp-confirm-submit'));
    expect(await screen.findByText('wrong code: check the time on the phone')).toBeInTheDocument();
    type('staff-totp-code', '654321');
    fireEvent.click(screen.getByTestId('staff-totp-confirm-submit'));

    // Signed in by the first code; the recovery codes are shown before going on.
    const shown = await screen.findByTestId('staff-recovery-codes');
    for (const c of codes) expect(shown).toHaveTextContent(c);
    expect(tokenStore.get()?.refreshToken).toBe('r-enrolled');
    expect(calls.at(-1)?.body).toEqual({ enrolmentToken: 'enrolment-token-1', code: '654321' });
    fireEvent.click(screen.getByTestId('staff-recovery-done'));
    expect(await screen.findByTestId('officer-home')).toBeInTheDocument();
  });

  it('starts again from the password when the enrolment token has expired', async () => {
    mockFetch((c: Call) => {
      if (c.url === '/api/identity/auth/staff/tokens') {
        return jsonResponse(403, { statusCode: 403, message: 'set up', next: 'enrol-totp', enrolmentToken: 'tok' });
      }
      if (c.url === '/api/identity/auth/staff/totp-enrolment') {
        return jsonResponse(200, { otpauthUri: 'otpauth://totp/hoso:officer.t5?secret=K', secret: 'K' });
      }
      return jsonResponse(401, {
        statusCode: 401,
        message: 'the enrolment has expired or is not valid: sign in again',
      });
    });
    renderPage('/staff/sign-in');
    type('staff-username', 'officer.t5');
    type('staff-password', 'Tuyên-Quang-2026!');
    fireEvent.click(screen.getByTestId('staff-sign-in-submit'));
    await screen.findByTestId('staff-totp-secret');
    type('staff-totp-code', '123456');
    fireEvent.click(screen.getByTestId('staff-totp-confirm-submit'));
    expect(await screen.findByText('The set-up took too long. Sign in again to continue.')).toBeInTheDocument();
    expect(screen.getByTestId('staff-sign-in-form')).toHaveAttribute('data-step', 'credentials');
    expect(screen.getByTestId('staff-password')).toHaveValue('');
    expect(screen.queryByTestId('staff-totp-secret')).not.toBeInTheDocument();
    expect(tokenStore.get()).toBeNull();
  });

  it('says only "invalid username or password" on a refusal, and how long to wait when slowed down', async () => {
    let answer = jsonResponse(401, { statusCode: 401, message: 'invalid username or password' });
    mockFetch(() => answer);
    renderPage('/staff/sign-in');
    type('staff-username', 'officer.nobody');
    type('staff-password', 'whatever');
    fireEvent.click(screen.getByTestId('staff-sign-in-submit'));
    expect(await screen.findByText('Invalid username or password.')).toBeInTheDocument();
    answer = jsonResponse(429, { statusCode: 429, message: 'too many failed sign-ins', retryAfterSec: 10 });
    fireEvent.click(screen.getByTestId('staff-sign-in-submit'));
    expect(await screen.findByText('Too many failed sign-ins. Try again in 10 seconds.')).toBeInTheDocument();
  });
});

describe('staff security page', () => {
  it('enrols the authenticator app: password, key, code, then the recovery codes once', async () => {
    signInAs('officer');
    const codes = Array.from({ length: 10 }, (_, i) => `code-${i}`);
    let enabled = false;
    const calls = mockFetch((c: Call) => {
      if (c.url === '/api/identity/staff/me') {
        return jsonResponse(200, { username: 'officer.t3', totpEnabled: enabled, recoveryCodesLeft: enabled ? 10 : 0 });
      }
      if (c.url === '/api/identity/staff/me/totp') {
        return jsonResponse(200, { otpauthUri: 'otpauth://totp/hoso:officer.t3?secret=ABC', secret: 'ABCDEFGH' });
      }
      if (c.url === '/api/identity/staff/me/totp/confirm') {
        if ((c.body as { code: string }).code !== '123456') {
          return jsonResponse(400, { statusCode: 400, message: 'wrong code: check the time on the phone' });
        }
        enabled = true;
        return jsonResponse(200, { recoveryCodes: codes });
      }
      return jsonResponse(404, { statusCode: 404, message: 'not here' });
    });
    renderPage('/staff/security');
    expect(await screen.findByTestId('staff-totp-off')).toBeInTheDocument();
    type('staff-totp-password', 'Tuyên-Quang-2026!');
    fireEvent.click(screen.getByTestId('staff-totp-start-submit'));
    expect(await screen.findByTestId('staff-totp-secret')).toHaveTextContent('ABCDEFGH');
    expect(calls.find((c) => c.url === '/api/identity/staff/me/totp')?.body).toEqual({ password: 'Tuyên-Quang-2026!' });

    type('staff-totp-code', '000000');
    fireEvent.click(screen.getByTestId('staff-totp-confirm-submit'));
    expect(await screen.findByText('wrong code: check the time on the phone')).toBeInTheDocument();
    type('staff-totp-code', '123456');
    fireEvent.click(screen.getByTestId('staff-totp-confirm-submit'));
    const shown = await screen.findByTestId('staff-recovery-codes');
    for (const c of codes) expect(shown).toHaveTextContent(c);
    expect(screen.queryByTestId('staff-totp-secret')).not.toBeInTheDocument();
    fireEvent.click(screen.getByTestId('staff-recovery-done'));
    expect(await screen.findByTestId('staff-totp-on')).toHaveTextContent('Recovery codes left: 10');
    expect(screen.queryByText('code-0')).not.toBeInTheDocument();
  });
});
