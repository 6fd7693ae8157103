import type { OperationsSnapshot, RatesSummary } from '../api/types';

/** How much history the live charts keep: the last five minutes of stream points. */
export const WINDOW_MS = 5 * 60_000;
/** A hard cap besides the time window, should the server send faster than every ~2 s. */
export const MAX_POINTS = 600;
/** No event for this long while "live" means the numbers on screen are old (the server sends every ~2 s). */
export const STALE_AFTER_MS = 10_000;
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 30_000;

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'failed';

/** One chart point: messages in and out per second per topic at one instant. */
export interface ThroughputPoint {
  at: number;
  topics: Record<string, { in: number | null; out: number | null }>;
}

export interface LagPoint {
  at: number;
  lag: number;
}

export interface StreamState {
  status: StreamStatus;
  /** Consecutive failed connection attempts (0 once a connection opens). */
  attempt: number;
  /** When the next attempt is due (ms since the epoch), while reconnecting. */
  retryAt: number | null;
  lastError: string | null;
  /** HTTP status of a refused connection (401 signed out, 403 not an operator). */
  failedStatus: number | null;
  /** When the last event arrived (client clock), for the stale-data warning. */
  lastEventAt: number | null;
  latest: OperationsSnapshot | null;
  rates: RatesSummary | null;
  throughput: ThroughputPoint[];
  lag: Record<string, LagPoint[]>;
}

export type StreamAction =
  | { type: 'connecting' }
  | { type: 'open' }
  | { type: 'operations'; snapshot: OperationsSnapshot; receivedAt: number }
  | { type: 'rates'; summary: RatesSummary; receivedAt: number }
  | { type: 'retry'; error: string; retryAt: number }
  | { type: 'bad-event'; error: string }
  | { type: 'failed'; error: string; status?: number };

export const initialStreamState: StreamState = {
  status: 'connecting',
  attempt: 0,
  retryAt: null,
  lastError: null,
  failedStatus: null,
  lastEventAt: null,
  latest: null,
  rates: null,
  throughput: [],
  lag: {},
};

/**
 * "Out" of a topic is the slowest consuming group's rate: a topic is drained only as fast as its slowest
 * consumer, and summing groups would count each message once per group.
 */
export function outOf(outPerSec: Record<string, number>): number | null {
  const values = Object.values(outPerSec);
  return values.length ? Math.min(...values) : null;
}

/** Keeps the points of the last `windowMs` before the newest one, and at most `max` of them. */
export function bounded<T extends { at: number }>(points: T[], windowMs = WINDOW_MS, max = MAX_POINTS): T[] {
  const newest = points[points.length - 1];
  if (!newest) return points;
  const first = points.findIndex((p) => p.at >= newest.at - windowMs);
  const inWindow = first <= 0 ? points : points.slice(first);
  return inWindow.length > max ? inWindow.slice(inWindow.length - max) : inWindow;
}

/** Appends a point in time order: a repeated or older instant (a resent event) replaces nothing and is dropped. */
function append<T extends { at: number }>(points: T[], point: T): T[] {
  const last = points[points.length - 1];
  if (last && point.at <= last.at) return points;
  return bounded([...points, point]);
}

export function streamReducer(state: StreamState, action: StreamAction): StreamState {
  switch (action.type) {
    case 'connecting':
      return {
        ...state,
        status: state.attempt > 0 || state.lastEventAt !== null ? 'reconnecting' : 'connecting',
        retryAt: null,
        failedStatus: null,
      };
    case 'open':
      return { ...state, status: 'live', attempt: 0, retryAt: null, lastError: null, failedStatus: null };
    case 'operations': {
      const s = action.snapshot;
      const point: ThroughputPoint = {
        at: s.at,
        topics: Object.fromEntries(s.topics.map((t) => [t.topic, { in: t.inPerSec, out: outOf(t.outPerSec) }])),
      };
      const lag: Record<string, LagPoint[]> = {};
      for (const g of s.lag) lag[g.groupId] = append(state.lag[g.groupId] ?? [], { at: s.at, lag: g.totalLag });
      // An event proves the connection is up even if the open callback was missed.
      return {
        ...state,
        status: 'live',
        attempt: 0,
        retryAt: null,
        lastEventAt: action.receivedAt,
        latest: s,
        throughput: append(state.throughput, point),
        lag,
      };
    }
    case 'rates':
      return { ...state, rates: action.summary, lastEventAt: action.receivedAt };
    case 'retry':
      return {
        ...state,
        status: 'reconnecting',
        attempt: state.attempt + 1,
        retryAt: action.retryAt,
        lastError: action.error,
      };
    case 'bad-event':
      return { ...state, lastError: action.error };
    case 'failed':
      return {
        ...state,
        status: 'failed',
        retryAt: null,
        lastError: action.error,
        failedStatus: action.status ?? null,
      };
  }
}

/**
 * Delay before connection attempt number `attempt` (1-based): exponential from 1 s, capped at 30 s, with
 * "equal jitter" (half fixed, half random) so many dashboards do not reconnect in step after a restart.
 */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** The data on screen is stale when events stopped coming, whatever the connection claims. */
export function isStale(state: StreamState, now: number, staleAfterMs = STALE_AFTER_MS): boolean {
  if (state.lastEventAt === null) return false;
  return state.status !== 'live' || now - state.lastEventAt > staleAfterMs;
}
