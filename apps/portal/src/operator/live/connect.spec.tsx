import '../testing/polyfills';
import { connectOperationsStream, FatalStreamError } from './connect';
import type { StreamAction } from './stream-state';

interface FakeResponse {
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  body: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }> } };
  text(): Promise<string>;
}

/** A fetch Response whose body yields the given chunks, then ends (the server closing the stream). */
function response(status: number, contentType: string, chunks: string[] = [], text = ''): FakeResponse {
  const queue = chunks.map((c) => new TextEncoder().encode(c));
  return {
    ok: status >= 200 && status < 300,
    status,
    headers: { get: (n) => (n.toLowerCase() === 'content-type' ? contentType : null) },
    body: {
      getReader: () => ({
        read: () => {
          const value = queue.shift();
          return Promise.resolve(value ? { done: false, value } : { done: true });
        },
      }),
    },
    text: () => Promise.resolve(text),
  };
}

const operations = JSON.stringify({
  at: '2025-11-20T03:00:00.000Z',
  topics: [{ topic: 'case.received.v1', inPerSec: 2, outPerSec: { metrics: 2 } }],
  lag: [{ groupId: 'metrics', totalLag: 0 }],
  dlq: [],
  queues: [],
});
const rates = JSON.stringify({ counts: { submitted: 3 }, rates: { completion: 0.5 }, asOf: 'x', scope: 'national' });

describe('connectOperationsStream', () => {
  it('sends the bearer token, dispatches events, reconnects with backoff after drops and stops when refused', async () => {
    const responses = [
      // An event split across chunks, an unknown event, a broken one, then the server closes the stream.
      response(200, 'text/event-stream', [
        `event: operations\ndata: ${operations.slice(0, 20)}`,
        `${operations.slice(20)}\n\nevent: rates\ndata: ${rates}\n\n`,
        'event: ping\ndata: {}\n\nevent: operations\ndata: {not json\n\n',
      ]),
      response(503, 'application/json', [], JSON.stringify({ message: 'metrics is starting' })),
      response(403, 'application/json', [], JSON.stringify({ message: 'operator role required' })),
    ];
    const calls: { url: string; headers: Record<string, string> }[] = [];
    const fakeFetch = jest.fn((input: string, init?: RequestInit) => {
      calls.push({ url: input, headers: init?.headers as Record<string, string> });
      const next = responses.shift();
      if (!next) throw new Error('no more responses');
      return Promise.resolve(next as unknown as Response);
    });
    const actions: StreamAction[] = [];
    const backoff = jest.fn((attempt: number) => attempt);

    const done = connectOperationsStream({
      url: '/api/metrics/operations/stream',
      token: 'tok-1',
      signal: new AbortController().signal,
      dispatch: (a) => actions.push(a),
      fetch: fakeFetch as typeof fetch,
      backoff,
      now: () => 1000,
    });

    await expect(done).rejects.toBeInstanceOf(FatalStreamError);
    expect(calls).toHaveLength(3);
    expect(calls[0]?.url).toBe('/api/metrics/operations/stream');
    expect(calls[0]?.headers.authorization).toBe('Bearer tok-1');
    expect(calls[0]?.headers.accept).toBe('text/event-stream');
    // The attempt counter grows across consecutive failures; an open connection resets it.
    expect(backoff.mock.calls.map((c) => c[0])).toEqual([1, 2]);
    expect(actions.map((a) => a.type)).toEqual([
      'connecting',
      'open',
      'operations',
      'rates',
      'bad-event',
      'retry',
      'connecting',
      'retry',
      'connecting',
      'failed',
    ]);
    expect(actions[5]).toEqual({ type: 'retry', error: 'the server closed the stream', retryAt: 1001 });
    expect(actions[7]).toEqual({ type: 'retry', error: 'metrics is starting', retryAt: 1002 });
    expect(actions[9]).toEqual({ type: 'failed', error: 'operator role required', status: 403 });
  });

  it('asks for a new session on 401', async () => {
    const onUnauthorized = jest.fn(() => Promise.resolve(true));
    const actions: StreamAction[] = [];
    await expect(
      connectOperationsStream({
        url: '/s',
        token: 'expired',
        signal: new AbortController().signal,
        dispatch: (a) => actions.push(a),
        fetch: () => Promise.resolve(response(401, 'application/json') as unknown as Response),
        onUnauthorized,
      }),
    ).rejects.toBeInstanceOf(FatalStreamError);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(actions[actions.length - 1]).toEqual({ type: 'failed', error: 'HTTP 401', status: 401 });
  });

  it('ends quietly when the page aborts it', async () => {
    const controller = new AbortController();
    let release: (() => void) | undefined;
    const hanging = new Promise<void>((r) => (release = r));
    const fakeFetch = (() =>
      Promise.resolve({
        ...response(200, 'text/event-stream'),
        body: { getReader: () => ({ read: () => hanging.then(() => ({ done: true })) }) },
      } as unknown as Response)) as typeof fetch;
    const actions: StreamAction[] = [];
    const done = connectOperationsStream({
      url: '/s',
      token: null,
      signal: controller.signal,
      dispatch: (a) => actions.push(a),
      fetch: fakeFetch,
    });
    await Promise.resolve();
    controller.abort();
    release?.();
    await expect(done).resolves.toBeUndefined();
    expect(actions.map((a) => a.type)).not.toContain('retry');
  });
});
