import '../../operator/testing/polyfills';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { I18nextProvider } from 'react-i18next';
import { MemoryRouter, Route, Routes } from 'react-router';
import { SessionProvider } from '../../auth/session';
import { i18n } from '../../i18n';
import { jsonResponse, mockFetch, signInAs, type Call } from '../../operator/testing/test-utils';
import { MAX_DOCUMENT_BYTES, VerifyPage, type Verification } from './VerifyPage';

const CODE = 'ABCDEFGHIJKLMNOPQRSTUVWX23';

const answer = (over: Partial<Verification> = {}): Verification => ({
  code: CODE,
  status: 'valid',
  agency: 'P01',
  procedure: '1.001234',
  issuedAt: '2026-03-02T02:00:00.000Z',
  documentHash: 'a'.repeat(64),
  kid: 'k'.repeat(43),
  revokedAt: null,
  ...over,
});

/** The public catalog's names for the agency and the procedure; the verification answer from `verify`. */
function serve(verify: Verification, document?: (c: Call) => Record<string, unknown>): Call[] {
  return mockFetch((c) => {
    if (c.url === `/api/cases/verify/${CODE}`) return jsonResponse(200, verify);
    if (c.url === `/api/cases/verify/${CODE}/document` && document) return jsonResponse(200, document(c));
    if (c.url === '/api/intake/agencies/P01')
      return jsonResponse(200, { code: 'P01', name: 'Sở Tư pháp Hà Nội', nameEn: 'Hanoi Department of Justice' });
    if (c.url === '/api/intake/procedures/1.001234')
      return jsonResponse(200, { code: '1.001234', name: 'Đăng ký khai sinh', nameEn: 'Birth registration' });
    return jsonResponse(404, { statusCode: 404, message: `no ${c.url}` });
  });
}

function renderPage() {
  render(
    <I18nextProvider i18n={i18n}>
      <SessionProvider>
        <MemoryRouter initialEntries={[`/verify/${CODE}`]}>
          <Routes>
            <Route path="/verify/:code" element={<VerifyPage />} />
          </Routes>
        </MemoryRouter>
      </SessionProvider>
    </I18nextProvider>,
  );
}

const pdf = (bytes = 10) => new File([new Uint8Array(bytes)], 'ket-qua.pdf', { type: 'application/pdf' });

beforeEach(async () => {
  signInAs(null);
  await i18n.changeLanguage('en');
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('public result verification page', () => {
  it('shows a valid result with the agency and procedure names, without signing in', async () => {
    const calls = serve(answer());
    renderPage();
    expect(await screen.findByTestId('verify-status')).toHaveAttribute('data-status', 'valid');
    expect(screen.getByTestId('verify-status')).toHaveTextContent('Valid: this result was issued by the agency below.');
    expect(await screen.findByText('Hanoi Department of Justice')).toBeInTheDocument();
    expect(await screen.findByText('Birth registration')).toBeInTheDocument();
    expect(screen.getByTestId('verify-issued-at')).toHaveTextContent('2026');
    // A public page: no token is sent (nobody is signed in) and the answer is read from the public route.
    expect(calls[0]?.url).toBe(`/api/cases/verify/${CODE}`);
  });

  it('says revoked, and shows when', async () => {
    serve(answer({ status: 'revoked', revokedAt: '2026-03-05T03:00:00.000Z' }));
    renderPage();
    expect(await screen.findByTestId('verify-status')).toHaveAttribute('data-status', 'revoked');
    expect(screen.getByTestId('verify-revoked-at')).toHaveTextContent('2026');
  });

  it.each(['unknown', 'invalid'] as const)('says %s and shows no details or file check', async (status) => {
    serve(answer({ status, agency: null, procedure: null, issuedAt: null, documentHash: null, kid: null }));
    renderPage();
    expect(await screen.findByTestId('verify-status')).toHaveAttribute('data-status', status);
    expect(screen.queryByTestId('verify-facts')).toBeNull();
    expect(screen.queryByTestId('verify-document-form')).toBeNull();
  });

  it('checks an uploaded file: matching, then a changed one', async () => {
    let matches = true;
    const calls = serve(answer(), () => ({ ...answer(), documentMatches: matches }));
    renderPage();
    await screen.findByTestId('verify-document-form');
    fireEvent.click(screen.getByTestId('verify-file-submit'));
    expect(await screen.findByTestId('verify-file-problem')).toHaveTextContent('Please choose a PDF file first.');

    fireEvent.change(screen.getByTestId('verify-file'), { target: { files: [pdf()] } });
    fireEvent.click(screen.getByTestId('verify-file-submit'));
    expect(await screen.findByTestId('verify-document-result')).toHaveAttribute('data-matches', 'true');
    const upload = calls.find((c) => c.url.endsWith('/document'));
    expect(upload?.method).toBe('POST');
    expect(new Headers(upload?.headers).get('content-type')).toBe('application/pdf');

    matches = false;
    fireEvent.change(screen.getByTestId('verify-file'), { target: { files: [pdf(12)] } });
    fireEvent.click(screen.getByTestId('verify-file-submit'));
    await waitFor(() => {
      expect(screen.getByTestId('verify-document-result')).toHaveAttribute('data-matches', 'false');
    });
    expect(screen.getByTestId('verify-document-result')).toHaveTextContent('NOT the document the agency signed');
  });

  it('refuses a file over the size limit before sending it', async () => {
    const calls = serve(answer(), () => ({ ...answer(), documentMatches: true }));
    renderPage();
    await screen.findByTestId('verify-document-form');
    fireEvent.change(screen.getByTestId('verify-file'), { target: { files: [pdf(MAX_DOCUMENT_BYTES + 1)] } });
    fireEvent.click(screen.getByTestId('verify-file-submit'));
    expect(await screen.findByTestId('verify-file-problem')).toHaveTextContent('larger than 1 MB');
    expect(calls.some((c) => c.url.endsWith('/document'))).toBe(false);
  });

  it('is translated into Vietnamese', async () => {
    await i18n.changeLanguage('vi');
    serve(answer());
    renderPage();
    expect(await screen.findByTestId('verify-status')).toHaveTextContent('Hợp lệ');
    expect(await screen.findByText('Sở Tư pháp Hà Nội')).toBeInTheDocument();
    expect(await screen.findByText('Đăng ký khai sinh')).toBeInTheDocument();
  });
});
