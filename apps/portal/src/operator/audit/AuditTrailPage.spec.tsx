import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { jsonResponse, mockFetch, renderAt, setTestLanguage, signInAs } from '../testing/test-utils';
import OperatorApp from '../OperatorApp';
import type { AuditTrailEntry, AuditTrailView } from './audit-trail';

const entry = (seq: number, extra: Partial<AuditTrailEntry> = {}): AuditTrailEntry => ({
  seq,
  recordedAt: '2026-12-03T10:00:00.000Z',
  action: 'case.claim',
  outcome: 'allowed',
  actor: { sub: 'officer:officer.p79', role: 'officer' },
  resource: `case:c${seq}`,
  reason: null,
  ...extra,
});

const verified = (entries: AuditTrailEntry[]): AuditTrailView => ({
  verification: { ok: true, entries: entries.length, headHash: 'ab'.repeat(32) },
  entries,
});

const card = (service: string) =>
  screen.getAllByTestId('audit-service').find((c) => c.getAttribute('data-service') === service) as HTMLElement;

beforeEach(async () => {
  signInAs('operator');
  await setTestLanguage('en');
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('operator audit trail page', () => {
  it("shows each service's verdict — verified, BROKEN at the entry with the reason, or unreadable — and its entries", async () => {
    let identityBroken = false;
    const calls = mockFetch((c) => {
      switch (c.url) {
        case '/api/identity/audit-trail?limit=20':
          return jsonResponse(
            200,
            identityBroken
              ? {
                  verification: {
                    ok: false,
                    entries: 1,
                    brokenAt: 2,
                    reason: 'entry 2 was changed after it was written',
                  },
                  entries: [
                    entry(3, { action: 'signin.staff' }),
                    entry(2, { action: 'signin.staff', outcome: 'allowed' }),
                    entry(1, { action: 'signin.citizen', actor: null }),
                  ],
                }
              : verified([entry(2, { action: 'signin.staff', outcome: 'denied', reason: 'wrong password' }), entry(1)]),
          );
        case '/api/cases/audit-trail?limit=20':
          return jsonResponse(200, verified([]));
        case '/api/payment/audit-trail?limit=20':
          return jsonResponse(200, {
            verification: { ok: false, entries: 0, brokenAt: 1, reason: 'entry 1 was changed after it was written' },
            entries: [{ seq: 1, recordedAt: '2026-12-03T10:00:00.000Z', unreadable: '{"acti' }],
          });
        case '/api/metrics/audit-trail?limit=20':
          return jsonResponse(503, { statusCode: 503, message: 'database unavailable' });
        default:
          return jsonResponse(200, verified([entry(1, { action: 'province.merge', resource: 'province:79->80' })]));
      }
    });
    renderAt(<OperatorApp />, '/operator/audit');

    // Reachable from the operator navigation.
    expect(within(screen.getByTestId('operator-nav')).getByRole('link', { name: 'Audit trail' })).toHaveAttribute(
      'href',
      '/operator/audit',
    );
    await waitFor(() => {
      expect(screen.getAllByTestId('audit-service').map((c) => c.getAttribute('data-status'))).toEqual([
        'verified',
        'verified',
        'broken',
        'verified',
        'error',
      ]);
    });
    expect(calls.map((c) => c.url).sort()).toEqual(
      ['cases', 'identity', 'intake', 'metrics', 'payment'].map((s) => `/api/${s}/audit-trail?limit=20`),
    );

    const identity = card('identity');
    expect(within(identity).getByTestId('audit-verdict')).toHaveTextContent(
      `✔ Verified 2 entries, head ${'ab'.repeat(8)}`,
    );
    const rows = within(identity).getAllByTestId('audit-entry');
    expect(rows.map((r) => r.getAttribute('data-seq'))).toEqual(['2', '1']);
    expect(rows[0]).toHaveTextContent(/signin\.staff.*denied.*officer:officer\.p79 \(officer\).*wrong password/);
    expect(within(card('cases')).getByTestId('audit-empty')).toHaveTextContent('No entry yet.');

    const payment = within(card('payment')).getByTestId('audit-verdict');
    expect(payment).toHaveTextContent('✘ BROKEN at entry 1: entry 1 was changed after it was written');
    expect(payment).toHaveAttribute('role', 'alert');
    expect(within(card('payment')).getByTestId('audit-entry')).toHaveTextContent('(unreadable)');
    expect(within(card('metrics')).getByTestId('operator-error')).toHaveTextContent('database unavailable');

    // Verifying again after the trail was edited: the verdict turns, and the entries from the break on are marked.
    identityBroken = true;
    fireEvent.click(within(card('identity')).getByTestId('audit-reload'));
    await waitFor(() => {
      expect(card('identity')).toHaveAttribute('data-status', 'broken');
    });
    expect(within(card('identity')).getByTestId('audit-verdict')).toHaveTextContent(
      'BROKEN at entry 2: entry 2 was changed after it was written',
    );
    expect(
      within(card('identity'))
        .getAllByTestId('audit-entry')
        .map((r) => [r.getAttribute('data-seq'), r.getAttribute('data-broken')]),
    ).toEqual([
      ['3', 'true'],
      ['2', 'true'],
      ['1', null],
    ]);
  });

  it('is in Vietnamese too', async () => {
    await setTestLanguage('vi');
    mockFetch(() => jsonResponse(200, verified([entry(1)])));
    renderAt(<OperatorApp />, '/operator/audit');
    await waitFor(() => {
      expect(screen.getAllByTestId('audit-verdict')).toHaveLength(5);
    });
    expect(screen.getAllByTestId('audit-verdict')[0]).toHaveTextContent('Toàn vẹn 1 bản ghi');
    expect(screen.getAllByTestId('audit-entry')[0]).toHaveTextContent('cho phép');
  });
});
