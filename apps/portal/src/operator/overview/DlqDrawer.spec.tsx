import '../testing/polyfills';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { jsonResponse, mockFetch, setTestLanguage, signInAs, type Call } from '../testing/test-utils';
import { DlqDrawer } from './DlqDrawer';

const TOPIC = 'case.received.v1.dlq';

function deadLetter(partition: number, offset: string, payload: string) {
  return {
    id: `${partition}:${offset}`,
    partition,
    offset,
    timestamp: '2025-11-20T03:00:00.000Z',
    key: 'dossier-1',
    replayed: false,
    originalTopic: 't1.case.received.v1',
    originalPartition: 3,
    originalOffset: '41',
    consumer: 'case-tracking',
    reason: 'validation',
    error: 'payload.receivedAt: Invalid ISO datetime',
    attempts: 1,
    failedAt: '2025-11-20T03:00:00.000Z',
    replayedFrom: null,
    headers: { 'hoso-dlq-error': 'payload.receivedAt: Invalid ISO datetime', 'hoso-event-id': 'e-1' },
    payload,
    payloadBytes: payload.length,
    payloadTruncated: false,
  };
}

const messages = {
  topic: TOPIC,
  state: 'pending',
  depth: 2,
  messages: [deadLetter(0, '5', '{"dossierId":"d-1","receivedAt":"yesterday"}'), deadLetter(1, '7', 'not json')],
};

const posts = (calls: Call[]) => calls.filter((c) => c.method === 'POST');

describe('dead-letter drawer', () => {
  beforeEach(async () => {
    await setTestLanguage('vi');
    signInAs('operator');
  });

  it('lists the dead letters with their headers, error and pretty-printed payload', async () => {
    const calls = mockFetch(() => jsonResponse(200, messages));
    render(<DlqDrawer dlq={{ topic: TOPIC, sourceTopic: 'case.received.v1', depth: 2 }} onClose={jest.fn()} />);
    expect(screen.getByRole('dialog', { name: `Thư lỗi: ${TOPIC}` })).toBeTruthy();
    const items = await screen.findAllByTestId('dlq-message');
    expect(items).toHaveLength(2);
    expect(calls[0]?.url).toBe(`/api/metrics/operations/dlq/${TOPIC}/messages?limit=20`);
    const first = items[0] as HTMLElement;
    expect(within(first).getByTestId('dlq-message-error').textContent).toContain('Invalid ISO datetime');
    expect(within(first).getByText('case-tracking')).toBeTruthy();
    expect(within(first).getByText('t1.case.received.v1')).toBeTruthy();
    expect(within(first).getByTestId('dlq-payload').textContent).toBe(
      '{\n  "dossierId": "d-1",\n  "receivedAt": "yesterday"\n}',
    );
    expect(within(items[1] as HTMLElement).getByTestId('dlq-payload').textContent).toBe('not json');
  });

  it('replays only after confirmation and shows the server refusal, then its answer', async () => {
    const replayAnswers = [
      jsonResponse(409, { statusCode: 409, message: `a replay of ${TOPIC} is already running`, error: 'Conflict' }),
      jsonResponse(200, { topic: TOPIC, replayed: 1, byTopic: { 't1.case.received.v1': 1 } }),
    ];
    const calls = mockFetch((c) => {
      if (c.method === 'POST') return replayAnswers.shift() ?? jsonResponse(500, { message: 'unexpected' });
      return jsonResponse(200, messages);
    });
    render(<DlqDrawer dlq={{ topic: TOPIC, sourceTopic: 'case.received.v1', depth: 2 }} onClose={jest.fn()} />);
    await screen.findAllByTestId('dlq-message');

    // A first click only asks.
    fireEvent.click(screen.getByTestId('dlq-replay-button'));
    expect(screen.getByTestId('dlq-replay-confirm').textContent).toContain(
      'Phát lại toàn bộ 2 tin về case.received.v1?',
    );
    expect(posts(calls)).toHaveLength(0);
    fireEvent.click(screen.getByTestId('dlq-replay-no'));
    expect(screen.queryByTestId('dlq-replay-confirm')).toBeNull();
    expect(posts(calls)).toHaveLength(0);

    // Confirmed: the server refuses, and says why.
    fireEvent.click(screen.getByTestId('dlq-replay-button'));
    fireEvent.click(screen.getByTestId('dlq-replay-yes'));
    const error = await screen.findByTestId('dlq-replay-error');
    expect(error.textContent).toContain(`a replay of ${TOPIC} is already running`);
    expect(error.textContent).toContain('HTTP 409');
    expect(posts(calls)[0]).toMatchObject({ url: `/api/metrics/operations/dlq/${TOPIC}/replay`, body: {} });
    expect(screen.queryByTestId('dlq-replay-result')).toBeNull();

    // One message chosen: only its id is sent, and the answer is shown.
    fireEvent.click(screen.getByLabelText('Chọn tin ở vị trí 5 (phân vùng 0) để phát lại'));
    expect(screen.getByTestId('dlq-replay-button').textContent).toBe('Phát lại 1 tin đã chọn');
    fireEvent.click(screen.getByTestId('dlq-replay-button'));
    expect(screen.getByTestId('dlq-replay-confirm').textContent).toContain(
      'Phát lại 1 tin đã chọn về case.received.v1?',
    );
    fireEvent.click(screen.getByTestId('dlq-replay-yes'));
    const result = await screen.findByTestId('dlq-replay-result');
    expect(result.textContent).toBe('Đã phát lại 1 tin. (t1.case.received.v1: 1)');
    expect(posts(calls)[1]?.body).toEqual({ messageIds: ['0:5'] });
    expect(screen.queryByTestId('dlq-replay-error')).toBeNull();
    // The list is read again after a replay.
    await waitFor(() => {
      expect(calls.filter((c) => c.method === 'GET')).toHaveLength(2);
    });
  });

  it('shows a load error with a retry, and closes on Escape', async () => {
    const answers = [jsonResponse(503, { message: 'Kafka is unavailable' }), jsonResponse(200, messages)];
    mockFetch(() => answers.shift() ?? jsonResponse(200, messages));
    const onClose = jest.fn();
    render(<DlqDrawer dlq={{ topic: TOPIC, sourceTopic: 'case.received.v1', depth: 2 }} onClose={onClose} />);
    const error = await screen.findByTestId('operator-error');
    expect(error.textContent).toContain('Kafka is unavailable');
    fireEvent.click(within(error).getByRole('button', { name: 'Thử lại' }));
    expect(await screen.findAllByTestId('dlq-message')).toHaveLength(2);
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});
