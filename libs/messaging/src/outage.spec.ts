import { isServerUnavailable } from './outage';

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
