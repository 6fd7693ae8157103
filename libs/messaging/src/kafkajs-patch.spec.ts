import { readFileSync } from 'node:fs';

/**
 * kafkajs 2.2.4 (its last release) re-arms a timer of <= 0 ms after every pending-request check, even with nothing
 * pending: a 1 ms loop per broker connection that cost every idle service 50–80 ms of CPU per second
 * (tulios/kafkajs#1556). patches/kafkajs+2.2.4.patch (applied by `npm ci` through patch-package) returns early
 * instead; this proves the installed copy carries it.
 */
interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  scheduleCheckPendingRequests(): void;
}

// The queue is internal to kafkajs (no typings): loaded by path, as the patch targets it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as new (
  o: Record<string, unknown>,
) => RequestQueueLike;

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function queue(): RequestQueueLike {
  return new RequestQueue({
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: true,
    clientId: 'test',
    broker: 'localhost:0',
    logger: silent,
  });
}

describe('kafkajs request queue (patched)', () => {
  it('arms no timer when nothing is pending and nothing throttles', () => {
    const q = queue();
    q.scheduleCheckPendingRequests();
    const armed = q.throttleCheckTimeoutId;
    // Cleared before it can fire: on an unpatched copy the loop would otherwise keep the test process alive.
    clearTimeout(armed ?? undefined);
    expect(armed).toBeNull();
  });

  it('still arms one while requests wait, or while the broker throttles', () => {
    const waiting = queue();
    waiting.pending.push({});
    waiting.scheduleCheckPendingRequests();
    expect(waiting.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(waiting.throttleCheckTimeoutId ?? undefined);

    const throttled = queue();
    throttled.throttledUntil = Date.now() + 1_000;
    throttled.scheduleCheckPendingRequests();
    expect(throttled.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(throttled.throttleCheckTimeoutId ?? undefined);
  });
});

describe('kafkajs consumer (patched)', () => {
  // The behaviour (a killed process's member removed before its successor joins) is proven against a broker in
  // group-member.int-spec.ts; this names the cause when a reinstall lost the patch.
  it('takes the leaveFirst option and asks it before joining', () => {
    const source = readFileSync(require.resolve('kafkajs/src/consumer/index.js'), 'utf8');
    expect(source).toContain('leaveFirst,');
    expect(source).toContain('const memberId = await leaveFirst()');
    expect(source).toContain('coordinator.leaveGroup({ groupId, memberId })');
  });
});
