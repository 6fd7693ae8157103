import { isServerUnavailable, restartPauseMs } from './outage';

/** kafkajs' error shapes (name, retriable, cause), built by hand: the real classes are not exported by name. */
function kafkaError(name: string, fields: Record<string, unknown> = {}, cause?: unknown): Error {
  return Object.assign(new Error(name), { name, ...fields }, cause === undefined ? {} : { cause });
}

describe('isServerUnavailable: an outage that waiting cures, not a reason to stop', () => {
  it('recognises broker connection errors, also wrapped in a retries-exceeded error', () => {
    expect(isServerUnavailable(kafkaError('KafkaJSConnectionError'))).toBe(true);
    expect(
      isServerUnavailable(kafkaError('KafkaJSNumberOfRetriesExceeded', {}, kafkaError('KafkaJSConnectionClosedError'))),
    ).toBe(true);
    expect(isServerUnavailable(kafkaError('KafkaJSGroupCoordinatorNotFound'))).toBe(true);
    expect(isServerUnavailable(kafkaError('KafkaJSProtocolError', { type: 'NOT_COORDINATOR_FOR_GROUP' }))).toBe(true);
    // As a restarted broker's moved coordinator reaches the consumer: the type lost, the message kept.
    const moved = Object.assign(new Error('This is not the correct coordinator for this group'), {
      name: 'KafkaJSError',
    });
    expect(isServerUnavailable(kafkaError('KafkaJSNumberOfRetriesExceeded', {}, moved))).toBe(true);
    expect(isServerUnavailable(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
  });

  it('recognises a database that is unreachable or restarting', () => {
    expect(isServerUnavailable({ code: '57P01' })).toBe(true);
    expect(isServerUnavailable({ driverError: { code: '08006' } })).toBe(true);
  });

  it('does not take other failures for an outage', () => {
    expect(isServerUnavailable(new Error('boom'))).toBe(false);
    expect(isServerUnavailable({ code: '42P01' })).toBe(false);
    expect(isServerUnavailable(kafkaError('KafkaJSProtocolError', { type: 'TOPIC_AUTHORIZATION_FAILED' }))).toBe(false);
    expect(isServerUnavailable(kafkaError('KafkaJSNumberOfRetriesExceeded', {}, { code: '42P01' }))).toBe(false);
    expect(isServerUnavailable(null)).toBe(false);
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    expect(isServerUnavailable(loop)).toBe(false);
  });
});

describe('restartPauseMs', () => {
  it('doubles from 1 s up to 30 s for a consumer failing by itself', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => restartPauseMs(n, false))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('stops growing at 2 s while a server is away, so a returning broker is seen within seconds', () => {
    expect([1, 2, 3, 4, 50].map((n) => restartPauseMs(n, true))).toEqual([1_000, 2_000, 2_000, 2_000, 2_000]);
  });

  it('takes the configured bounds, the outage cap never above the overall one', () => {
    expect(restartPauseMs(3, false, { initialMs: 50, maxMs: 100 })).toBe(100);
    expect(restartPauseMs(9, true, { initialMs: 200, maxMs: 1_000, outageMaxMs: 5_000 })).toBe(1_000);
    expect(restartPauseMs(9, true, { outageMaxMs: 500 })).toBe(500);
    expect(restartPauseMs(0, false)).toBe(1_000);
  });
});
