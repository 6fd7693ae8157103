import type { IncomingMessage } from 'node:http';

/**
 * How much of a refused request's body is read (and dropped) before the refusal is sent anyway: enough for any
 * client that sends its whole body before reading the answer, bounded so that nobody holds a connection with one.
 */
export const DRAIN_LIMITS = { ms: 30_000, bytes: 64 * 1024 * 1024 };

/**
 * Calls `then` once the rest of the request's body has been read and dropped: `then(true)` when it has ended (at
 * once when it already had), `then(false)` past DRAIN_LIMITS. Never when the client left first: nobody is there to
 * answer.
 *
 * Why answer a refusal only after the body: closing a connection while the client still sends makes the kernel
 * reset it, and the reset can destroy the answer before the client reads it (the client sees EPIPE or ECONNRESET,
 * never the 413); keeping the connection open does not help either, as a client may read nothing until it has
 * sent everything. Past the limits the answer goes out with the connection closed, and may be lost.
 */
export function afterBody(req: IncomingMessage, then: (ended: boolean) => void): void {
  if (req.complete) {
    then(true);
    return;
  }
  if (req.destroyed) return;
  let dropped = 0;
  let settled = false;
  const settle = (ended: boolean) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    req.off('data', count);
    then(ended);
  };
  const count = (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_LIMITS.bytes) settle(false);
  };
  const timer = setTimeout(() => {
    settle(false);
  }, DRAIN_LIMITS.ms);
  timer.unref();
  req.on('data', count);
  req.once('end', () => {
    settle(true);
  });
  req.once('close', () => {
    settled = true;
    clearTimeout(timer);
  });
  // Whoever read the body before (a proxy's pipe, a multipart parser) has given up on it.
  req.unpipe();
  req.resume();
}
