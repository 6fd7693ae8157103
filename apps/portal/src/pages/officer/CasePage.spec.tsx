import '../../operator/testing/polyfills';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { I18nextProvider } from 'react-i18next';
import { MemoryRouter, Route, Routes } from 'react-router';
import type { CaseView, Dossier } from '../../api/types';
import { SessionProvider } from '../../auth/session';
import { i18n } from '../../i18n';
import { jsonResponse, mockFetch, signInAs, type FakeResponse } from '../../operator/testing/test-utils';
import { CasePage } from './CasePage';

const caseView: CaseView = {
  id: 'case-1',
  dossierId: 'dossier-1',
  receiptCode: 'C00070-251126-000001',
  procedureCode: '1.004873',
  provinceCode: '01',
  agencyCode: 'C00070',
  status: 'IN_PROCESS',
  assignee: 'officer-1',
  receivedAt: '2025-11-26T02:00:00.000Z',
  dueAt: '2025-12-01T10:00:00.000Z',
  overdue: false,
  outcome: null,
  resultDocument: null,
  completedAt: null,
  rating: null,
  version: 5,
};

const attachment = (id: string, purpose: 'SUBMISSION' | 'SUPPLEMENT') => ({
  id,
  fileName: `${id}.pdf`,
  contentType: 'application/pdf',
  sizeBytes: 2048,
  sha256: 'c'.repeat(64),
  purpose,
});

const dossier: Dossier = {
  id: 'dossier-1',
  receiptCode: caseView.receiptCode,
  procedureCode: caseView.procedureCode,
  agencyCode: 'C00070',
  handlingAgencyCode: 'C00070',
  channel: 'ONLINE',
  status: 'IN_PROCESS',
  statusAt: '2025-11-26T03:00:00.000Z',
  submittedAt: '2025-11-26T01:00:00.000Z',
  requestedAgencyCode: 'C00070',
  provinceCode: '01',
  serviceLevel: 'FULL',
  applicant: { personalId: '001090000123', fullName: 'Nguyễn Văn An', birthDate: '1990-05-01' },
  form: { purpose: 'Đăng ký kết hôn' },
  feeVnd: 5000,
  processingWorkingDays: 3,
  requiredVneidLevel: 2,
  prefilledFields: null,
  formFieldCount: 9,
  attachments: [attachment('to-khai', 'SUBMISSION'), attachment('giay-khai-sinh', 'SUPPLEMENT')],
  history: [],
};

/** A downloaded file's answer (the page turns it into a blob the browser saves). */
function fileResponse(name: string): FakeResponse & { blob(): Promise<Blob> } {
  return {
    ...jsonResponse(200, {}),
    headers: {
      get: (n) =>
        n.toLowerCase() === 'content-disposition'
          ? `attachment; filename="${name}"; filename*=UTF-8''${name}`
          : n.toLowerCase() === 'content-type'
            ? 'application/pdf'
            : null,
    },
    blob: () => Promise.resolve(new Blob(['%PDF-1.7'], { type: 'application/pdf' })),
  };
}

beforeEach(async () => {
  signInAs('officer');
  await i18n.changeLanguage('vi');
  // jsdom has no object URLs; the page only hands the blob to a link.
  Object.assign(URL, { createObjectURL: () => 'blob:test', revokeObjectURL: () => undefined });
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('officer case page', () => {
  it('lists the documents the citizen supplied, labelled apart from the submitted ones, and downloads them', async () => {
    const calls = mockFetch((c) => {
      if (c.url === '/api/cases/cases/case-1') return jsonResponse(200, caseView);
      if (c.url === '/api/intake/dossiers/dossier-1') return jsonResponse(200, dossier);
      if (c.url === '/api/intake/attachments/giay-khai-sinh') return fileResponse('giay-khai-sinh.pdf');
      return jsonResponse(404, { statusCode: 404, message: 'not here' });
    });
    render(
      <I18nextProvider i18n={i18n}>
        <SessionProvider>
          <MemoryRouter initialEntries={['/officer/cases/case-1']}>
            <Routes>
              <Route path="/officer/cases/:caseId" element={<CasePage />} />
            </Routes>
          </MemoryRouter>
        </SessionProvider>
      </I18nextProvider>,
    );

    const supplied = await screen.findByTestId('supplement-attachment');
    expect(supplied).toHaveTextContent('Bổ sung');
    expect(supplied).toHaveTextContent('giay-khai-sinh.pdf');
    expect(screen.getAllByTestId('supplement-attachment')).toHaveLength(1);
    // The submitted document stays in the dossier's own list, without the label.
    const submitted = within(screen.getByTestId('dossier-attachments')).getAllByTestId('attachment');
    expect(submitted.map((li) => li.textContent)).toEqual([expect.stringContaining('to-khai.pdf')]);
    expect(submitted[0]).not.toHaveTextContent('Bổ sung');

    // The browser is handed the file under its name (jsdom cannot follow the link itself).
    const saved: string[] = [];
    jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push(this.download);
    });
    fireEvent.click(within(supplied).getByTestId('supplement-attachment-download'));
    await waitFor(() => {
      expect(saved).toEqual(['giay-khai-sinh.pdf']);
    });
    expect(calls.filter((c) => c.url.startsWith('/api/intake/attachments/')).map((c) => c.url)).toEqual([
      '/api/intake/attachments/giay-khai-sinh',
    ]);
    await waitFor(() => {
      expect(within(supplied).getByTestId('supplement-attachment-download')).toBeEnabled();
    });
    expect(within(supplied).queryByRole('alert')).toBeNull();
  });
});
