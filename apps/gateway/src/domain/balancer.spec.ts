import { Balancer, retryable } from './balancer';

const A = 'http://127.0.0.1:3001';
const B = 'http://127.0.0.1:3101';
const C = 'http://127.0.0.1:3201';

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('Balancer: round-robin over the healthy replicas of a service', () => {
  it('takes each replica in turn', () => {
    const b = new Balancer([A, B, C]);
    expect([1, 2, 3, 4, 5, 6].map(() => b.pick())).toEqual([A, B, C, A, B, C]);
  });

  it('skips a replica a request could not reach, for downForMs, then takes it again', () => {
    const c = clock();
    const b = new Balancer([A, B, C], { downForMs: 10_000, now: c.now });
    b.failed(B, 'unreachable: ECONNREFUSED');
    expect([1, 2, 3, 4].map(() => b.pick())).toEqual([A, C, A, C]);
    expect(b.status().find((r) => r.url === B)).toMatchObject({ healthy: false, reason: 'unreachable: ECONNREFUSED' });
    c.t += 9_999;
    expect(b.healthy(B)).toBe(false);
    c.t += 1;
    expect(b.healthy(B)).toBe(true);
    expect(new Set([1, 2, 3].map(() => b.pick()))).toEqual(new Set([A, B, C]));
  });

  it('skips a replica whose active check failed until a check succeeds, which also ends a passive mark', () => {
    const c = clock();
    const b = new Balancer([A, B], { downForMs: 60_000, now: c.now });
    b.checked(A, false, 'readiness answered 503');
    expect([1, 2, 3].map(() => b.pick())).toEqual([B, B, B]);
    c.t += 120_000;
    // Time alone does not bring an actively failed replica back.
    expect(b.healthy(A)).toBe(false);
    expect(b.anyHealthy()).toBe(true);
    b.checked(A, true);
    b.failed(B, 'reset: ECONNRESET');
    expect(b.healthy(B)).toBe(false);
    b.checked(B, true);
    expect(b.healthy(B)).toBe(true);
    expect(new Set([1, 2].map(() => b.pick()))).toEqual(new Set([A, B]));
  });

  it('never picks a replica the request already tried; with none healthy, still tries one not tried yet', () => {
    const b = new Balancer([A, B, C]);
    b.checked(A, false, 'ECONNREFUSED');
    b.checked(B, false, 'ECONNREFUSED');
    b.checked(C, false, 'ECONNREFUSED');
    expect(b.anyHealthy()).toBe(false);
    expect(b.pick(new Set([A]))).not.toBe(A);
    expect(b.pick(new Set([A, B]))).toBe(C);
    expect(b.pick(new Set([A, B, C]))).toBeNull();
    b.checked(B, true);
    expect(b.pick(new Set([A]))).toBe(B);
    expect(b.pick(new Set([A]))).toBe(B);
  });

  it('counts the requests in flight per replica, each ended once', () => {
    const b = new Balancer([A, B]);
    const end1 = b.begin(A);
    const end2 = b.begin(A);
    expect(b.status().map((r) => r.inFlight)).toEqual([2, 0]);
    end1();
    end1();
    expect(b.status().map((r) => r.inFlight)).toEqual([1, 0]);
    end2();
    expect(b.status().map((r) => r.inFlight)).toEqual([0, 0]);
  });

  it('refuses an empty or repeated list', () => {
    expect(() => new Balancer([])).toThrow(/at least one/);
    expect(() => new Balancer([A, A])).toThrow(/twice/);
  });
});

describe('retryable: a failed request goes to another replica only when it cannot act twice', () => {
  const base = { method: 'POST', connectFailed: true, bodyReplayable: true, answerStarted: false };

  it('a refused connection: any method, when the body is held whole', () => {
    expect(retryable(base)).toBe(true);
    expect(retryable({ ...base, method: 'PATCH' })).toBe(true);
    // A streamed body (an upload) was partly consumed by the failed attempt: it cannot be sent again.
    expect(retryable({ ...base, bodyReplayable: false })).toBe(false);
  });

  it('a connection dropped after the request was sent: only GET, HEAD and OPTIONS', () => {
    const dropped = { ...base, connectFailed: false };
    expect(retryable({ ...dropped, method: 'GET' })).toBe(true);
    expect(retryable({ ...dropped, method: 'head' })).toBe(true);
    expect(retryable({ ...dropped, method: 'OPTIONS' })).toBe(true);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(retryable({ ...dropped, method })).toBe(false);
  });

  it('a connection dropped after the request was sent: a POST of a route that may arrive twice', () => {
    const dropped = { ...base, connectFailed: false };
    expect(retryable({ ...dropped, replayable: true })).toBe(true);
    expect(retryable({ ...dropped, replayable: false })).toBe(false);
    expect(retryable({ ...dropped, replayable: true, bodyReplayable: false })).toBe(false);
    expect(retryable({ ...dropped, replayable: true, answerStarted: true })).toBe(false);
  });

  it('never once the client has part of an answer', () => {
    expect(retryable({ ...base, answerStarted: true })).toBe(false);
    expect(retryable({ ...base, method: 'GET', connectFailed: false, answerStarted: true })).toBe(false);
  });
});
