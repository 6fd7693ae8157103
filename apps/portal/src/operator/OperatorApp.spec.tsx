import './testing/polyfills';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import OperatorApp from './OperatorApp';
import {
  eventStreamResponse,
  jsonResponse,
  mockFetch,
  renderAt,
  setTestLanguage,
  signInAs,
  type Call,
} from './testing/test-utils';

const operations = {
  at: '2025-11-20T03:00:00.000Z',
  topics: [
    { topic: 'dossier.submitted.v1', inPerSec: 2.5, outPerSec: { intake: 2.5, metrics: 1.25 } },
    { topic: 'case.received.v1', inPerSec: null, outPerSec: {} },
  ],
  lag: [
    { groupId: 'metrics', totalLag: 1200 },
    { groupId: 'intake', totalLag: 0 },
  ],
  dlq: [
    { topic: 'dossier.submitted.v1.dlq', sourceTopic: 'dossier.submitted.v1', depth: 0 },
    { topic: 'case.received.v1.dlq', sourceTopic: 'case.received.v1', depth: 3 },
  ],
  queues: [
    {
      name: 't1.case-sla',
      queue: 'case-sla',
      prefix: 't1.',
      counts: { waiting: 4, active: 1, completed: 10, failed: 2, delayed: 7, paused: 0 },
    },
    {
      name: 't1.notify',
      queue: 'notify',
      prefix: 't1.',
      counts: { waiting: 0, active: 0, completed: 3, failed: 0, delayed: 0, paused: 0 },
    },
  ],
};
const zero = {
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
};
const national = {
  key: 'VN',
  counts: {
    ...zero,
    submitted: 3,
    submittedOnline: 3,
    received: 3,
    receivedCompleted: 2,
    completed: 2,
    completedOnTime: 2,
    rated: 1,
    satisfied: 1,
  },
  rates: {
    completion: 2 / 3,
    onTime: 1,
    endToEnd: null,
    onlineSubmission: 1,
    onlinePayment: null,
    digitisation: 0,
    satisfaction: 1,
  },
};
const summary = { from: null, to: null, asOf: '2025-11-20T03:00:00.000Z', scope: 'national', ...national };

beforeAll(() => {
  // Recharts measures its container; jsdom has no layout, so the measurement is a no-op here.
  Object.assign(globalThis, {
    ResizeObserver: class {
      observe() {}
      unobserve() {}
      disconnect() {}
    },
  });
});

beforeEach(async () => {
  await setTestLanguage('vi');
});

describe('operator dashboard', () => {
  it('shows nothing of the dashboard, and opens no stream, for a user of another role', () => {
    signInAs('officer');
    const calls = mockFetch(() => jsonResponse(200, {}));
    renderAt(<OperatorApp />, '/operator');
    expect(screen.getByTestId('operator-forbidden').textContent).toContain('Không có quyền truy cập');
    expect(screen.queryByTestId('operator-overview')).toBeNull();
    expect(calls).toHaveLength(0);
  });

  it('renders the live overview from the stream', async () => {
    signInAs('operator');
    const calls = mockFetch((c) =>
      c.url === '/api/metrics/operations/stream'
        ? eventStreamResponse([
            `event: operations\ndata: ${JSON.stringify(operations)}\n\n`,
            `event: rates\ndata: ${JSON.stringify(summary)}\n\n`,
          ])
        : jsonResponse(404, { message: `unexpected ${c.url}` }),
    );
    renderAt(<OperatorApp />, '/operator');
    expect(screen.getByTestId('operator-overview-loading')).toBeTruthy();

    await waitFor(() => {
      expect(screen.getByTestId('operator-live-status').dataset.status).toBe('live');
    });
    expect(screen.getByTestId('operator-live-status').textContent).toBe('Trực tiếp');
    const stream = calls.find((c) => c.url === '/api/metrics/operations/stream');
    expect((stream?.headers as Record<string, string>).authorization).toMatch(/^Bearer /);

    // Throughput: per topic, "out" is the slowest group; an unmeasured topic shows "—".
    const topicRow = screen.getAllByTestId('throughput-row').find((r) => r.dataset.topic === 'dossier.submitted.v1');
    expect(topicRow?.textContent).toContain('2,5');
    expect(topicRow?.textContent).toContain('1,25');
    expect(
      screen.getAllByTestId('throughput-row').find((r) => r.dataset.topic === 'case.received.v1')?.textContent,
    ).toContain('—');

    // Lag per group, formatted, with a described sparkline.
    const lagRow = screen.getAllByTestId('lag-row').find((r) => r.dataset.group === 'metrics');
    expect(lagRow?.textContent).toContain('1.200');
    expect(
      within(lagRow as HTMLElement)
        .getByRole('img')
        .getAttribute('aria-label'),
    ).toContain('metrics');

    // DLQ cards, the deepest first.
    const cards = screen.getAllByTestId('dlq-card');
    expect(cards.map((c) => c.dataset.topic)).toEqual(['case.received.v1.dlq', 'dossier.submitted.v1.dlq']);
    expect(cards[0]?.dataset.depth).toBe('3');

    // Queues: failed jobs flagged in words as well as colour.
    const [sla, notify] = screen.getAllByTestId('queue-row');
    expect(sla?.dataset.failed).toBe('true');
    expect(within(sla as HTMLElement).getByTestId('queue-failed').textContent).toContain('(có công việc lỗi)');
    expect(within(sla as HTMLElement).getByTestId('queue-delayed').textContent).toBe('7');
    expect(notify?.dataset.failed).toBe('false');

    // The national rates from the `rates` event.
    await waitFor(() => {
      expect(screen.getByTestId('operator-live-submitted').textContent).toBe('3');
    });
    expect(screen.getByTestId('operator-live-rate-completion').textContent).toBe('66,7%');
    expect(screen.getByTestId('operator-live-rate-endToEnd').textContent).toBe('—');
  });

  it('shows the stream refusal instead of a spinner', async () => {
    signInAs('operator');
    mockFetch(() => jsonResponse(403, { statusCode: 403, message: 'operator role required' }));
    renderAt(<OperatorApp />, '/operator');
    const error = await screen.findByTestId('operator-overview-error');
    expect(error.textContent).toContain('Tài khoản của bạn không có quyền xem dữ liệu này.');
    expect(screen.getByTestId('operator-live-status').dataset.status).toBe('failed');
  });

  it('shows the rates page: table, trend and snapshot with the server answer', async () => {
    signInAs('operator');
    const snapshotAnswers = [
      jsonResponse(500, { statusCode: 500, message: 'Internal server error' }),
      jsonResponse(202, {
        published: 12,
        period: { from: '2025-11-01T00:00:00.000+07:00', to: '2025-12-01T00:00:00.000+07:00' },
        snapshotAt: '2025-11-20T03:00:00.000Z',
      }),
    ];
    const calls = mockFetch((c: Call) => {
      if (c.method === 'POST' && c.url === '/api/metrics/snapshots')
        return snapshotAnswers.shift() ?? jsonResponse(500, {});
      if (c.url.startsWith('/api/metrics/rates/trend?')) {
        return jsonResponse(200, {
          scope: 'national',
          code: null,
          period: 'day',
          points: [
            {
              period: '2025-11-19',
              from: '2025-11-19',
              to: '2025-11-19',
              rates: { ...national.rates, completion: 0.5 },
            },
            { period: '2025-11-20', from: '2025-11-20', to: '2025-11-20', rates: national.rates },
          ],
        });
      }
      if (c.url.startsWith('/api/metrics/rates?')) {
        return jsonResponse(200, {
          groupBy: 'national',
          from: null,
          to: null,
          asOf: '2025-11-20T03:00:00.000Z',
          rows: [national],
        });
      }
      return jsonResponse(404, { message: `unexpected ${c.url}` });
    });
    renderAt(<OperatorApp />, '/operator/rates?from=2025-11-01&to=2025-11-20');

    const table = await screen.findByTestId('operator-rates-table');
    expect(within(table).getByTestId('operator-total-submitted').textContent).toBe('3');
    expect(within(table).getAllByTestId('rates-row')[0]?.textContent).toContain('Toàn quốc');
    expect(calls.map((c) => c.url)).toEqual(
      expect.arrayContaining([
        '/api/metrics/rates?groupBy=national&from=2025-11-01&to=2025-11-20',
        '/api/metrics/rates/trend?scope=national&period=day&from=2025-11-01&to=2025-11-20',
      ]),
    );
    const trendTable = await screen.findByTestId('operator-trend-table');
    const trendRows = within(trendTable).getAllByTestId('trend-row');
    expect(trendRows.map((r) => r.querySelector('th')?.textContent)).toEqual(['19/11/2025', '20/11/2025']);
    expect(trendRows[0]?.textContent).toContain('50%');
    expect(screen.getByTestId('operator-trend-chart').getAttribute('aria-label')).toContain('2 điểm');

    fireEvent.click(screen.getByTestId('operator-snapshot-button'));
    expect((await screen.findByTestId('operator-snapshot-error')).textContent).toContain('Internal server error');
    fireEvent.click(screen.getByTestId('operator-snapshot-button'));
    expect((await screen.findByTestId('operator-snapshot-result')).textContent).toBe(
      'Đã phát hành 12 bản chốt số liệu cho kỳ 01/11/2025 – 30/11/2025 (lúc 10:00:00).',
    );
  });

  it('refuses a reversed date range in the filters without asking the server', async () => {
    signInAs('operator');
    const calls = mockFetch((c) =>
      c.url.startsWith('/api/metrics/rates?')
        ? jsonResponse(200, {
            groupBy: 'national',
            from: null,
            to: null,
            asOf: '2025-11-20T03:00:00.000Z',
            rows: [national],
          })
        : jsonResponse(200, { points: [] }),
    );
    renderAt(<OperatorApp />, '/operator/rates?from=2025-11-01&to=2025-11-20');
    await screen.findByTestId('operator-rates-table');
    const before = calls.length;
    fireEvent.change(screen.getByTestId('rates-from'), { target: { value: '2025-12-01' } });
    fireEvent.click(screen.getByTestId('rates-apply'));
    expect(screen.getByTestId('rates-filter-problems').textContent).toBe(
      'Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.',
    );
    expect(screen.getByTestId('rates-from').getAttribute('aria-invalid')).toBe('true');
    expect(calls).toHaveLength(before);
  });

  it('narrows the rates to one province picked from the catalog', async () => {
    signInAs('operator');
    const calls = mockFetch((c) => {
      if (c.url === '/api/intake/provinces') {
        return jsonResponse(200, [
          { code: '01', name: 'Hà Nội', nameEn: 'Ha Noi' },
          { code: '79', name: 'Hồ Chí Minh', nameEn: 'Ho Chi Minh City' },
        ]);
      }
      if (c.url.startsWith('/api/metrics/rates?groupBy=province')) {
        return jsonResponse(200, {
          groupBy: 'province',
          asOf: '2025-11-20T03:00:00.000Z',
          rows: [
            { ...national, key: '01' },
            { ...national, key: '79' },
          ],
        });
      }
      if (c.url.startsWith('/api/metrics/rates/trend?')) return jsonResponse(200, { points: [] });
      return jsonResponse(200, { groupBy: 'national', asOf: '2025-11-20T03:00:00.000Z', rows: [national] });
    });
    renderAt(<OperatorApp />, '/operator/rates?from=2025-11-01&to=2025-11-20');
    await screen.findByTestId('operator-rates-table');
    fireEvent.change(screen.getByTestId('rates-scope'), { target: { value: 'province' } });
    const code = await screen.findByTestId('rates-code');
    expect(within(code).getByRole('option', { name: 'Hà Nội (01)' })).toBeTruthy();
    fireEvent.change(code, { target: { value: '79' } });
    fireEvent.click(screen.getByTestId('rates-apply'));
    await waitFor(() => {
      expect(screen.getAllByTestId('rates-row').map((r) => r.dataset.key)).toEqual(['79']);
    });
    expect(screen.getAllByTestId('rates-row')[0]?.querySelector('th')?.textContent).toBe('Hồ Chí Minh (79)');
    expect(calls.map((c) => c.url)).toContain(
      '/api/metrics/rates/trend?scope=province&code=79&period=day&from=2025-11-01&to=2025-11-20',
    );
    expect(await screen.findByTestId('operator-trend-empty')).toBeTruthy();
  });
});
