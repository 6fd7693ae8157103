import { fetchEventSource, type EventSourceMessage } from '@microsoft/fetch-event-source';
import { backoffMs, type StreamAction } from './stream-state';
import { parseEventData, parseOperations, parseRatesSummary } from './parse';

/** A failure that retrying cannot fix (refused credentials, a request the server rejects). */
export class FatalStreamError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'FatalStreamError';
  }
}

export interface ConnectOptions {
  url: string;
  token: string | null;
  signal: AbortSignal;
  dispatch: (action: StreamAction) => void;
  /** Called on 401: renews the session (a new token restarts the stream from the caller's side). */
  onUnauthorized?: () => Promise<boolean>;
  fetch?: typeof fetch;
  /** Delay before retry number `attempt` (1-based); capped exponential with jitter by default. */
  backoff?: (attempt: number) => number;
  now?: () => number;
}

/**
 * Opens the operations stream with fetch (an EventSource cannot send the bearer header) and keeps it open:
 * a dropped connection or a server error is retried with capped exponential backoff, for ever; a refused
 * request (4xx other than 408/429) stops it. Resolves when `signal` aborts, rejects on a fatal error (already
 * dispatched as `failed`).
 */
export function connectOperationsStream(opts: ConnectOptions): Promise<void> {
  const { dispatch } = opts;
  const baseFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const now = opts.now ?? Date.now;
  let attempt = 0;
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;

  return fetchEventSource(opts.url, {
    headers,
    signal: opts.signal,
    // The dashboard stays live in a background tab (an operator watches it beside other work).
    openWhenHidden: true,
    fetch: (input, init) => {
      dispatch({ type: 'connecting' });
      return baseFetch(input, init);
    },
    onopen: async (res) => {
      const type = res.headers.get('content-type') ?? '';
      if (res.ok && type.startsWith('text/event-stream')) {
        attempt = 0;
        dispatch({ type: 'open' });
        return;
      }
      const body = await res.text().catch(() => '');
      const message = messageOf(body) ?? `HTTP ${res.status}`;
      if (res.ok) throw new Error(`not an event stream (${type || 'no content type'})`);
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        throw new FatalStreamError(message, res.status);
      }
      throw new Error(message);
    },
    onmessage: (ev: EventSourceMessage) => {
      if (ev.event !== 'operations' && ev.event !== 'rates') return;
      const receivedAt = now();
      try {
        const data = parseEventData(ev.data);
        if (ev.event === 'operations') dispatch({ type: 'operations', snapshot: parseOperations(data), receivedAt });
        else dispatch({ type: 'rates', summary: parseRatesSummary(data), receivedAt });
      } catch (err) {
        // One malformed event is skipped; the next one (2 s later) repairs the picture.
        dispatch({ type: 'bad-event', error: err instanceof Error ? err.message : String(err) });
      }
    },
    onclose: () => {
      // The server ended the stream (a restart, a deploy): reconnect like after any other drop.
      throw new Error('the server closed the stream');
    },
    onerror: (err: unknown) => {
      if (err instanceof FatalStreamError) {
        dispatch({ type: 'failed', error: err.message, status: err.status });
        if (err.status === 401 && opts.onUnauthorized) void opts.onUnauthorized().catch(() => false);
        throw err;
      }
      attempt++;
      const delay = (opts.backoff ?? backoffMs)(attempt);
      dispatch({ type: 'retry', error: err instanceof Error ? err.message : String(err), retryAt: now() + delay });
      return delay;
    },
  });
}

function messageOf(body: string): string | null {
  if (!body) return null;
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
    if (Array.isArray(parsed.message)) return parsed.message.map(String).join('; ');
  } catch {
    // Not JSON: a short text body is the message.
  }
  return body.length < 300 && !body.trimStart().startsWith('<') ? body.trim() : null;
}
