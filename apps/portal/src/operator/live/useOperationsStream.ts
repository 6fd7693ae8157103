import { useCallback, useEffect, useReducer, useState } from 'react';
import { refreshSession } from '../../api/client';
import { useSession } from '../../auth/session';
import { connectOperationsStream } from './connect';
import { initialStreamState, streamReducer, type StreamState } from './stream-state';

export const OPERATIONS_STREAM_URL = '/api/metrics/operations/stream';

/**
 * The live operations stream of the signed-in operator. A new token (after a refresh) reopens it with the new
 * credentials; `reconnect` retries at once after a fatal error or during a backoff wait.
 */
export function useOperationsStream(url = OPERATIONS_STREAM_URL): { state: StreamState; reconnect: () => void } {
  const { token } = useSession();
  const [state, dispatch] = useReducer(streamReducer, initialStreamState);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    connectOperationsStream({ url, token, signal: controller.signal, dispatch, onUnauthorized: refreshSession }).catch(
      () => undefined, // Fatal errors are in the state already.
    );
    return () => {
      controller.abort();
    };
  }, [url, token, generation]);

  const reconnect = useCallback(() => {
    setGeneration((g) => g + 1);
  }, []);
  return { state, reconnect };
}

/** The current time, re-read every `everyMs` (for "stale" and "retry in" texts). */
export function useNow(everyMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => {
      setNow(Date.now());
    }, everyMs);
    return () => {
      clearInterval(timer);
    };
  }, [everyMs]);
  return now;
}
