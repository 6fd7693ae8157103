import '../testing/polyfills';
import { fireEvent, render, screen } from '@testing-library/react';
import { setTestLanguage } from '../testing/test-utils';
import { LiveIndicator } from './LiveIndicator';
import { initialStreamState, type StreamState } from './stream-state';

const T0 = Date.parse('2025-11-20T03:00:00Z');
const live: StreamState = { ...initialStreamState, status: 'live', lastEventAt: T0 };

describe('live indicator', () => {
  beforeEach(async () => {
    await setTestLanguage('vi');
  });

  it('says live, with the time of the last update in Vietnam time', () => {
    render(<LiveIndicator state={live} now={T0 + 2000} onReconnect={jest.fn()} />);
    expect(screen.getByRole('status').textContent).toBe('Trực tiếp · cập nhật lúc 10:00:00');
    expect(screen.queryByTestId('operator-stale')).toBeNull();
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('warns that the data is stale when updates stop', () => {
    render(<LiveIndicator state={live} now={T0 + 15_000} onReconnect={jest.fn()} />);
    expect(screen.getByTestId('operator-stale').textContent).toBe(
      'Dữ liệu có thể đã cũ: không nhận được cập nhật trong 15 giây.',
    );
  });

  it('counts down to the next attempt while reconnecting and offers to retry now', () => {
    const onReconnect = jest.fn();
    const state: StreamState = {
      ...live,
      status: 'reconnecting',
      attempt: 2,
      retryAt: T0 + 6000,
      lastError: 'HTTP 502',
    };
    render(<LiveIndicator state={state} now={T0 + 3500} onReconnect={onReconnect} />);
    expect(screen.getByTestId('operator-live-status').textContent).toBe('Mất kết nối, thử lại sau 3 giây');
    expect(screen.getByTestId('operator-stale')).toBeTruthy();
    expect(screen.getByTestId('operator-live-error').textContent).toBe('Lỗi gần nhất: HTTP 502');
    fireEvent.click(screen.getByRole('button', { name: 'Kết nối lại ngay' }));
    expect(onReconnect).toHaveBeenCalledTimes(1);
  });

  it('switches to English', async () => {
    await setTestLanguage('en');
    render(<LiveIndicator state={{ ...initialStreamState }} now={T0} onReconnect={jest.fn()} />);
    expect(screen.getByTestId('operator-live-status').textContent).toBe('Connecting…');
  });
});
