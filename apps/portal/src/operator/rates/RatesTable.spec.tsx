import '../testing/polyfills';
import { act, render, screen, within } from '@testing-library/react';
import type { RateCounts, RateRow } from '../api/types';
import { setTestLanguage } from '../testing/test-utils';
import type { CodeOption } from './code-options';
import { rateCell, totalRow } from './rates-format';
import { RatesTable } from './RatesTable';

function counts(c: Partial<RateCounts>): RateCounts {
  return {
    submitted: 0,
    submittedOnline: 0,
    identityRejected: 0,
    withFee: 0,
    paidOnline: 0,
    waived: 0,
    endToEnd: 0,
    received: 0,
    receivedCompleted: 0,
    completed: 0,
    completedOnTime: 0,
    digitised: 0,
    rated: 0,
    satisfied: 0,
    overdue: 0,
    ...c,
  };
}

const big: RateRow = {
  key: 'UBND-HN',
  counts: counts({
    submitted: 1200,
    submittedOnline: 943,
    withFee: 400,
    paidOnline: 100,
    endToEnd: 300,
    received: 1000,
    receivedCompleted: 500,
    completed: 14,
    completedOnTime: 11,
    rated: 0,
    overdue: 2,
  }),
  rates: {
    completion: 0.5,
    onTime: 11 / 14,
    endToEnd: 0.25,
    onlineSubmission: 943 / 1200,
    onlinePayment: 0.25,
    satisfaction: null,
  },
};
const small: RateRow = {
  key: 'UNKNOWN',
  counts: counts({ submitted: 34, submittedOnline: 34, rated: 4, satisfied: 3, received: 0 }),
  rates: {
    completion: null,
    onTime: null,
    endToEnd: 0,
    onlineSubmission: 1,
    onlinePayment: null,
    satisfaction: 0.75,
  },
};
const names = new Map<string, CodeOption>([['UBND-HN', { code: 'UBND-HN', name: 'UBND Hà Nội', nameEn: 'Ha Noi PC' }]]);

const cellText = (row: HTMLElement, rate: string) => within(row).getByTestId(`rate-${rate}`).textContent;

describe('rates table', () => {
  beforeEach(async () => {
    await setTestLanguage('vi');
  });

  it('shows each rate as a Vietnamese percentage with the counts it divides, and "—" when nothing is measured', () => {
    render(<RatesTable rows={[big, small]} scope="agency" names={names} />);
    const table = screen.getByTestId('operator-rates-table');
    const [first, second] = within(table).getAllByTestId('rates-row');
    if (!first || !second) throw new Error('two rows expected');
    expect(within(first).getByRole('rowheader').textContent).toBe('UBND Hà Nội (UBND-HN)');
    expect(within(first).getByTestId('rates-submitted').textContent).toBe('1.200');
    expect(cellText(first, 'onTime')).toBe('78,6%11/14');
    expect(cellText(first, 'onlineSubmission')).toBe('78,6%943/1.200');
    expect(cellText(first, 'satisfaction')).toBe('—0/0');
    expect(within(second).getByRole('rowheader').textContent).toBe('(chưa xác định)');
    expect(cellText(second, 'onlineSubmission')).toBe('100%34/34');
    // Headers name the six rates in Vietnamese.
    expect(within(table).getByRole('columnheader', { name: 'Đúng hạn' })).toBeTruthy();
    expect(within(table).getByRole('columnheader', { name: 'Thanh toán trực tuyến' })).toBeTruthy();
  });

  it('totals the counts and recomputes the rates from the sums (not an average of percentages)', () => {
    render(<RatesTable rows={[big, small]} scope="agency" names={names} />);
    expect(screen.getByTestId('operator-total-submitted').textContent).toBe('1.234');
    const total = screen.getByTestId('rates-total-row');
    // (943 + 34) / 1234 = 79.17 %, where averaging 78.6 % and 100 % would say 89.3 %.
    expect(cellText(total, 'onlineSubmission')).toBe('79,2%977/1.234');
    expect(cellText(total, 'satisfaction')).toBe('75%3/4');
  });

  it('follows the language switch', async () => {
    render(<RatesTable rows={[big, small]} scope="agency" names={names} />);
    await act(() => setTestLanguage('en'));
    expect(screen.getByTestId('operator-total-submitted').textContent).toBe('1,234');
    expect(cellText(screen.getAllByTestId('rates-row')[0] as HTMLElement, 'onTime')).toBe('78.6%11/14');
    expect(screen.getByRole('columnheader', { name: 'On time' })).toBeTruthy();
    expect(screen.getAllByTestId('rates-row')[0]?.querySelector('th')?.textContent).toBe('Ha Noi PC (UBND-HN)');
  });

  it('says so when the period has no dossiers', () => {
    render(<RatesTable rows={[]} scope="province" names={new Map()} />);
    expect(screen.getByTestId('operator-rates-empty').textContent).toBe(
      'Không có hồ sơ nào trong khoảng thời gian này.',
    );
  });
});

describe('rate arithmetic', () => {
  it('total of no rows is all zero with null rates', () => {
    const t = totalRow([]);
    expect(t.counts.submitted).toBe(0);
    expect(t.rates.completion).toBeNull();
  });

  it('formats a cell from the row', () => {
    expect(rateCell('completion', big, 'en')).toEqual({ percent: '50%', fraction: '500/1,000', value: 0.5 });
  });
});
