import type { OperationsSnapshot } from '../api/types';
import { parseOperations, StreamParseError } from './parse';
import {
  backoffMs,
  BACKOFF_MAX_MS,
  bounded,
  initialStreamState,
  isStale,
  MAX_POINTS,
  outOf,
  streamReducer,
  WINDOW_MS,
  type StreamAction,
  type StreamState,
} from './stream-state';

const T0 = Date.parse('2025-11-20T03:00:00Z');

function snapshot(at: number, lag = 5): OperationsSnapshot {
  return {
    at,
    topics: [{ topic: 'dossier.submitted.v1', inPerSec: 4, outPerSec: { intake: 3, metrics: 1.5 } }],
    lag: [{ groupId: 'metrics', totalLag: lag }],
    dlq: [{ topic: 'dossier.submitted.v1.dlq', sourceTopic: 'dossier.submitted.v1', depth: 2 }],
    queues: [],
    errors: {},
  };
}

const run = (actions: StreamAction[], from: StreamState = initialStreamState) => actions.reduce(streamReducer, from);

describe('operations stream state', () => {
  it('keeps only the last five minutes of points however long the stream runs', () => {
    const actions: StreamAction[] = [{ type: 'open' }];
    // Ten minutes of events every 2 s.
    for (let i = 0; i <= 300; i++) {
      actions.push({ type: 'operations', snapshot: snapshot(T0 + i * 2000, i), receivedAt: T0 + i * 2000 });
    }
    const s = run(actions);
    const first = s.throughput[0];
    const last = s.throughput[s.throughput.length - 1];
    expect(last?.at).toBe(T0 + 600_000);
    expect(first?.at).toBe(T0 + 600_000 - WINDOW_MS);
    expect(s.throughput).toHaveLength(WINDOW_MS / 2000 + 1);
    // The lag history per group is bounded the same way.
    expect(s.lag.metrics).toHaveLength(WINDOW_MS / 2000 + 1);
    expect(s.lag.metrics?.[s.lag.metrics.length - 1]).toEqual({ at: T0 + 600_000, lag: 300 });
    // The chart's "out" of a topic is its slowest group.
    expect(last?.topics['dossier.submitted.v1']).toEqual({ in: 4, out: 1.5 });
  });

  it('caps the number of points even inside the window', () => {
    const points = Array.from({ length: MAX_POINTS + 50 }, (_, i) => ({ at: T0 + i * 100 }));
    const kept = bounded(points);
    expect(kept).toHaveLength(MAX_POINTS);
    expect(kept[kept.length - 1]?.at).toBe(T0 + (MAX_POINTS + 49) * 100);
  });

  it('drops a resent or older event instead of drawing time backwards', () => {
    const s = run([
      { type: 'operations', snapshot: snapshot(T0 + 4000), receivedAt: T0 + 4000 },
      { type: 'operations', snapshot: snapshot(T0 + 4000), receivedAt: T0 + 4100 },
      { type: 'operations', snapshot: snapshot(T0 + 2000), receivedAt: T0 + 4200 },
    ]);
    expect(s.throughput.map((p) => p.at)).toEqual([T0 + 4000]);
  });

  it('counts failed attempts while reconnecting and resets on open, keeping the data on screen', () => {
    let s = run([
      { type: 'connecting' },
      { type: 'open' },
      { type: 'operations', snapshot: snapshot(T0), receivedAt: T0 },
    ]);
    expect(s.status).toBe('live');
    s = run(
      [
        { type: 'retry', error: 'network down', retryAt: T0 + 1000 },
        { type: 'connecting' },
        { type: 'retry', error: 'HTTP 503', retryAt: T0 + 3000 },
      ],
      s,
    );
    expect(s).toMatchObject({ status: 'reconnecting', attempt: 2, retryAt: T0 + 3000, lastError: 'HTTP 503' });
    expect(s.latest?.at).toBe(T0);
    expect(s.throughput).toHaveLength(1);
    s = run([{ type: 'connecting' }], s);
    expect(s.status).toBe('reconnecting');
    expect(s.retryAt).toBeNull();
    s = run([{ type: 'open' }], s);
    expect(s).toMatchObject({ status: 'live', attempt: 0, lastError: null });
  });

  it('stops on a refused connection and remembers why', () => {
    const s = run([{ type: 'connecting' }, { type: 'failed', error: 'forbidden', status: 403 }]);
    expect(s).toMatchObject({ status: 'failed', failedStatus: 403, lastError: 'forbidden' });
    // A new attempt (the user's "reconnect") clears the refusal.
    expect(run([{ type: 'connecting' }], s).failedStatus).toBeNull();
  });

  it('a malformed event is noted without dropping the connection or the data', () => {
    const s = run([
      { type: 'open' },
      { type: 'operations', snapshot: snapshot(T0), receivedAt: T0 },
      { type: 'bad-event', error: 'event data is not JSON' },
    ]);
    expect(s).toMatchObject({ status: 'live', lastError: 'event data is not JSON' });
    expect(s.latest).not.toBeNull();
  });

  it('flags the data as stale when events stop or the connection drops', () => {
    const live = run([{ type: 'open' }, { type: 'operations', snapshot: snapshot(T0), receivedAt: T0 }]);
    expect(isStale(live, T0 + 3000)).toBe(false);
    expect(isStale(live, T0 + 10_001)).toBe(true);
    const dropped = run([{ type: 'retry', error: 'x', retryAt: T0 + 1000 }], live);
    expect(isStale(dropped, T0 + 1)).toBe(true);
    // Nothing shown yet: nothing to call stale (the page shows its loading state).
    expect(isStale(initialStreamState, T0 + 60_000)).toBe(false);
  });

  it('backs off exponentially with jitter, capped at 30 s', () => {
    expect(backoffMs(1, () => 0)).toBe(500);
    expect(backoffMs(1, () => 1)).toBe(1000);
    expect(backoffMs(3, () => 0.5)).toBe(3000);
    for (const attempt of [6, 10, 50]) {
      expect(backoffMs(attempt, () => 0)).toBe(BACKOFF_MAX_MS / 2);
      expect(backoffMs(attempt, () => 1)).toBe(BACKOFF_MAX_MS);
    }
  });

  it('has no "out" for a topic nobody consumes', () => {
    expect(outOf({})).toBeNull();
    expect(outOf({ a: 2, b: 0.5 })).toBe(0.5);
  });
});

describe('operations event parsing', () => {
  it('normalises the server event', () => {
    const s = parseOperations({
      at: '2025-11-20T03:00:00.000Z',
      topics: [{ topic: 'case.received.v1', inPerSec: 1.5, outPerSec: { 'case-tracking': 1.25 }, dlqDepth: 0 }],
      lag: { groups: [{ groupId: 'intake', totalLag: 7, partitions: [] }] },
      dlq: [{ topic: 'case.received.v1.dlq', depth: 3 }],
      queues: [{ name: 't1.case-sla', queue: 'case-sla', prefix: 't1.', counts: { waiting: 1, active: 0, failed: 2 } }],
      errors: { queues: 'Connection is closed.' },
    });
    expect(s.at).toBe(T0);
    expect(s.topics).toEqual([{ topic: 'case.received.v1', inPerSec: 1.5, outPerSec: { 'case-tracking': 1.25 } }]);
    expect(s.lag).toEqual([{ groupId: 'intake', totalLag: 7 }]);
    expect(s.dlq).toEqual([{ topic: 'case.received.v1.dlq', sourceTopic: 'case.received.v1', depth: 3 }]);
    expect(s.errors).toEqual({ queues: 'Connection is closed.' });
    expect(s.queues).toEqual([
      {
        queue: 'case-sla',
        fullName: 't1.case-sla',
        counts: { waiting: 1, active: 0, completed: 0, failed: 2, delayed: 0, paused: 0 },
      },
    ]);
  });

  it('rejects an event without a time', () => {
    expect(() => parseOperations({ topics: [] })).toThrow(StreamParseError);
    expect(() => parseOperations('nope')).toThrow(StreamParseError);
  });
});
