import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { StaffAccount } from '../../api/staff';
import { jsonResponse, mockFetch, renderAt, setTestLanguage, signInAs } from '../testing/test-utils';
import OperatorApp from '../OperatorApp';

const account = (username: string, extra: Partial<StaffAccount> = {}): StaffAccount => ({
  id: `id-${username}`,
  username,
  role: 'officer',
  agencyCode: 'P79',
  name: username,
  disabled: false,
  mustChangePassword: false,
  totpEnabled: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

/** The n-th row of the table as it is now (it is re-rendered after every action). */
const row = (n: number) => screen.getAllByTestId('staff-row')[n] as HTMLElement;

beforeEach(async () => {
  signInAs('operator');
  await setTestLanguage('en');
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('operator staff accounts page', () => {
  it('lists accounts, creates an officer and shows the one-time password once, disables and resets', async () => {
    let accounts = [
      account('operator', { role: 'operator', agencyCode: null }),
      account('officer.p79', { totpEnabled: true }),
    ];
    const calls = mockFetch((c) => {
      if (c.url === '/api/identity/staff' && c.method === 'GET') return jsonResponse(200, accounts);
      if (c.url === '/api/identity/staff' && c.method === 'POST') {
        const body = c.body as { username: string; agencyCode: string; name: string };
        if (body.agencyCode === 'X1') {
          return jsonResponse(400, { statusCode: 400, message: 'agencyCode: agency code must be P<2-digit…>' });
        }
        const created = account(body.username, { agencyCode: body.agencyCode, mustChangePassword: true });
        accounts = [...accounts, created];
        return jsonResponse(201, { ...created, oneTimePassword: 'abcde-fghij-kmnop-qrstu' });
      }
      if (c.url === '/api/identity/staff/id-officer.p79/disable') {
        accounts = accounts.map((a) => (a.username === 'officer.p79' ? { ...a, disabled: true } : a));
        return jsonResponse(200, accounts[1]);
      }
      if (c.url === '/api/identity/staff/id-officer.p79/reset') {
        return jsonResponse(200, { ...accounts[1], oneTimePassword: 'vwxyz-abcde-fghij-kmnop' });
      }
      return jsonResponse(404, { statusCode: 404, message: 'not here' });
    });
    renderAt(<OperatorApp />, '/operator/staff');

    const rows = await screen.findAllByTestId('staff-row');
    expect(rows.map((r) => r.getAttribute('data-username'))).toEqual(['operator', 'officer.p79']);
    expect(within(rows[1] as HTMLElement).getByTestId('staff-state')).toHaveTextContent('active · authenticator on');
    // Operators cannot be disabled or reset from here (nor by identity: not one's own account).
    expect(within(rows[0] as HTMLElement).queryByTestId('staff-disable')).not.toBeInTheDocument();

    fireEvent.change(screen.getByTestId('staff-form-username'), { target: { value: 'officer.c00004' } });
    fireEvent.change(screen.getByTestId('staff-form-agencyCode'), { target: { value: 'X1' } });
    fireEvent.change(screen.getByTestId('staff-form-name'), { target: { value: 'Cán bộ xã' } });
    fireEvent.click(screen.getByTestId('staff-create-submit'));
    expect(await screen.findByTestId('operator-staff-error')).toHaveTextContent(/agency code must be/);
    fireEvent.change(screen.getByTestId('staff-form-agencyCode'), { target: { value: 'C00004' } });
    fireEvent.click(screen.getByTestId('staff-create-submit'));
    expect(await screen.findByTestId('staff-one-time-password-value')).toHaveTextContent('abcde-fghij-kmnop-qrstu');
    await waitFor(() => {
      expect(screen.getAllByTestId('staff-row')).toHaveLength(3);
    });
    expect(calls.filter((c) => c.method === 'POST' && c.url === '/api/identity/staff').at(-1)?.body).toEqual({
      username: 'officer.c00004',
      agencyCode: 'C00004',
      name: 'Cán bộ xã',
    });
    fireEvent.click(screen.getByText('Close'));
    expect(screen.queryByTestId('staff-one-time-password')).not.toBeInTheDocument();

    fireEvent.click(within(row(1)).getByTestId('staff-disable'));
    await waitFor(() => {
      expect(within(row(1)).getByTestId('staff-state')).toHaveTextContent('disabled');
    });
    expect(within(row(1)).getByTestId('staff-enable')).toBeInTheDocument();

    fireEvent.click(within(row(1)).getByTestId('staff-reset'));
    expect(await screen.findByTestId('staff-one-time-password-value')).toHaveTextContent('vwxyz-abcde-fghij-kmnop');
    // Operator actions send no body (identity refuses one on these endpoints).
    expect(calls.find((c) => c.url.endsWith('/reset'))).toMatchObject({ method: 'POST', body: undefined });
  });
});
