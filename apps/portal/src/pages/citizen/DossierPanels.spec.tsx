import '../../operator/testing/polyfills';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { I18nextProvider } from 'react-i18next';
import type { AttachmentView, CaseView, Dossier } from '../../api/types';
import { i18n } from '../../i18n';
import { jsonResponse, mockFetch, signInAs, type Call } from '../../operator/testing/test-utils';
import { splitAttachments, SupplementDocuments, SupplementPanel } from './DossierPanels';

// Uploads go through XMLHttpRequest (for progress); here they finish at once with the attachment intake would
// answer, so the tests look at what the panel does with the ids.
jest.mock('../../api/upload', () => {
  const actual = jest.requireActual<typeof import('../../api/upload')>('../../api/upload');
  return {
    ...actual,
    uploadFile: (_path: string, file: File) => ({
      done: Promise.resolve({
        id: `att-${file.name}`,
        fileName: file.name,
        contentType: 'application/pdf',
        sizeBytes: file.size,
        sha256: 'a'.repeat(64),
      }),
      abort: () => undefined,
    }),
  };
});

const caseView: CaseView = {
  id: 'case-1',
  dossierId: 'dossier-1',
  receiptCode: 'C00070-251126-000001',
  procedureCode: '1.004873',
  provinceCode: '01',
  agencyCode: 'C00070',
  status: 'SUPPLEMENT_REQUESTED',
  assignee: 'officer-1',
  receivedAt: '2025-11-26T02:00:00.000Z',
  dueAt: '2025-12-01T10:00:00.000Z',
  overdue: false,
  outcome: null,
  resultDocument: null,
  completedAt: null,
  rating: null,
  version: 3,
};

function panel(dossierStatus: string, onDone: () => void) {
  return (
    <I18nextProvider i18n={i18n}>
      <SupplementPanel
        caseView={caseView}
        dossierStatus={dossierStatus}
        request="Bổ sung bản sao giấy khai sinh"
        onDone={onDone}
      />
    </I18nextProvider>
  );
}

function renderPanel(onDone = jest.fn()) {
  render(panel('SUPPLEMENT_REQUESTED', onDone));
  return onDone;
}

async function chooseFile(name: string) {
  const file = new File(['%PDF-1.7 test'], name, { type: 'application/pdf' });
  fireEvent.change(screen.getByTestId('attachment-input'), { target: { files: [file] } });
  await waitFor(() => {
    expect(screen.getAllByTestId('upload').every((u) => u.getAttribute('data-state') === 'done')).toBe(true);
  });
}

function answer(note: string) {
  fireEvent.change(screen.getByTestId('supplement-note'), { target: { value: note } });
  fireEvent.click(screen.getByTestId('supplement-submit'));
}

const posts = (calls: Call[]) => calls.map((c) => [c.method, c.url, c.body]);

beforeEach(async () => {
  signInAs('citizen');
  await i18n.changeLanguage('vi');
});

describe('SupplementPanel', () => {
  it('links the uploaded files to the dossier first, then answers the case with the same ids', async () => {
    const calls = mockFetch((c) =>
      jsonResponse(200, c.url.startsWith('/api/intake/') ? { id: 'dossier-1', attachments: [] } : caseView),
    );
    const onDone = renderPanel();
    await chooseFile('giay-khai-sinh.pdf');
    await chooseFile('so-ho-khau.pdf');
    answer('Đã bổ sung');
    await waitFor(() => {
      expect(onDone).toHaveBeenCalledTimes(1);
    });
    const ids = ['att-giay-khai-sinh.pdf', 'att-so-ho-khau.pdf'];
    expect(posts(calls)).toEqual([
      ['POST', '/api/intake/dossiers/dossier-1/attachments', { attachmentIds: ids }],
      ['POST', '/api/cases/cases/case-1/supplements', { note: 'Đã bổ sung', attachmentIds: ids }],
    ]);
  });

  it("shows intake's refusal and does not answer the case without the documents", async () => {
    const refusal =
      'documents can be added to a dossier only while the agency asks for a supplement; this dossier is IN_PROCESS';
    const calls = mockFetch(() => jsonResponse(409, { statusCode: 409, error: 'Conflict', message: refusal }));
    const onDone = renderPanel();
    await chooseFile('giay-khai-sinh.pdf');
    answer('Đã bổ sung');
    expect(await screen.findByRole('alert')).toHaveTextContent(refusal);
    expect(posts(calls)).toEqual([
      ['POST', '/api/intake/dossiers/dossier-1/attachments', { attachmentIds: ['att-giay-khai-sinh.pdf'] }],
    ]);
    expect(onDone).not.toHaveBeenCalled();
    // Still there to retry.
    expect(screen.getByTestId('supplement-submit')).toBeEnabled();
  });

  it('holds the files back until the dossier has heard of the request (intake would refuse them before)', async () => {
    const calls = mockFetch((c) =>
      jsonResponse(200, c.url.startsWith('/api/intake/') ? { id: 'dossier-1', attachments: [] } : caseView),
    );
    const onDone = jest.fn();
    const { rerender } = render(panel('IN_PROCESS', onDone));
    // A note alone can go at once.
    expect(screen.getByTestId('supplement-submit')).toBeEnabled();
    expect(screen.queryByTestId('supplement-syncing')).toBeNull();
    await chooseFile('giay-khai-sinh.pdf');
    expect(screen.getByTestId('supplement-submit')).toBeDisabled();
    expect(screen.getByTestId('supplement-syncing')).toHaveTextContent('Đang chuẩn bị hồ sơ');
    answer('Đã bổ sung');
    expect(calls).toEqual([]);
    rerender(panel('SUPPLEMENT_REQUESTED', onDone));
    expect(screen.queryByTestId('supplement-syncing')).toBeNull();
    fireEvent.click(screen.getByTestId('supplement-submit'));
    await waitFor(() => {
      expect(onDone).toHaveBeenCalledTimes(1);
    });
    expect(calls.map((c) => c.url)).toEqual([
      '/api/intake/dossiers/dossier-1/attachments',
      '/api/cases/cases/case-1/supplements',
    ]);
  });

  it('answers with a note only through case-tracking when no file was added', async () => {
    const calls = mockFetch(() => jsonResponse(200, caseView));
    const onDone = renderPanel();
    answer('Giấy tờ đã nộp đủ');
    await waitFor(() => {
      expect(onDone).toHaveBeenCalledTimes(1);
    });
    expect(posts(calls)).toEqual([['POST', '/api/cases/cases/case-1/supplements', { note: 'Giấy tờ đã nộp đủ' }]]);
  });
});

describe('supplement documents', () => {
  const file = (id: string, purpose?: 'SUBMISSION' | 'SUPPLEMENT'): AttachmentView => ({
    id,
    fileName: `${id}.pdf`,
    contentType: 'application/pdf',
    sizeBytes: 2048,
    sha256: 'b'.repeat(64),
    ...(purpose ? { purpose } : {}),
  });
  const dossier = (attachments: AttachmentView[]) => ({ id: 'dossier-1', attachments }) as unknown as Dossier;

  it('keeps the submitted documents in the dossier and sets the supplied ones apart', () => {
    const d = dossier([file('to-khai', 'SUBMISSION'), file('cu'), file('giay-khai-sinh', 'SUPPLEMENT')]);
    const { submitted, supplements } = splitAttachments(d);
    expect(submitted.attachments.map((a) => a.id)).toEqual(['to-khai', 'cu']);
    expect(supplements.map((a) => a.id)).toEqual(['giay-khai-sinh']);
    // Nothing supplied: the dossier itself, untouched.
    const plain = dossier([file('to-khai', 'SUBMISSION')]);
    expect(splitAttachments(plain).submitted).toBe(plain);
  });

  it('lists each supplied document labelled as a supplement, with a download, in both languages', async () => {
    const { supplements } = splitAttachments(dossier([file('to-khai'), file('giay-khai-sinh', 'SUPPLEMENT')]));
    const { container, rerender } = render(
      <I18nextProvider i18n={i18n}>
        <SupplementDocuments attachments={supplements} />
      </I18nextProvider>,
    );
    const items = screen.getAllByTestId('supplement-attachment');
    expect(items).toHaveLength(1);
    const item = items[0] as HTMLElement;
    expect(item).toHaveTextContent('Bổ sung');
    expect(item).toHaveTextContent('giay-khai-sinh.pdf');
    expect(within(item).getByTestId('supplement-attachment-download')).toHaveTextContent('Tải xuống');
    expect(screen.getByRole('heading', { level: 2 })).toHaveTextContent('Giấy tờ bổ sung theo yêu cầu');
    await act(async () => {
      await i18n.changeLanguage('en');
    });
    rerender(
      <I18nextProvider i18n={i18n}>
        <SupplementDocuments attachments={supplements} />
      </I18nextProvider>,
    );
    expect(screen.getByTestId('supplement-attachment')).toHaveTextContent('Supplement');
    expect(screen.getByRole('heading', { level: 2 })).toHaveTextContent('Documents supplied on request');
    // No supplied documents: nothing at all.
    rerender(
      <I18nextProvider i18n={i18n}>
        <SupplementDocuments attachments={[]} />
      </I18nextProvider>,
    );
    expect(container).toBeEmptyDOMElement();
  });
});
