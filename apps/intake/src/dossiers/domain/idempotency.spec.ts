import { canonicalJson, decideOnExistingKey, requestHash } from './idempotency';

describe('idempotency hash', () => {
  it('ignores key order at every level', () => {
    const a = { procedureCode: '1.001193', form: { b: 1, a: { y: [1, 2], x: 'v' } }, attachmentIds: [] };
    const b = { attachmentIds: [], form: { a: { x: 'v', y: [1, 2] }, b: 1 }, procedureCode: '1.001193' };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(requestHash(a)).toBe(requestHash(b));
    expect(canonicalJson(a)).toBe(
      '{"attachmentIds":[],"form":{"a":{"x":"v","y":[1,2]},"b":1},"procedureCode":"1.001193"}',
    );
  });

  it('keeps array order and value types meaningful', () => {
    expect(requestHash({ ids: [1, 2] })).not.toBe(requestHash({ ids: [2, 1] }));
    expect(requestHash({ n: 1 })).not.toBe(requestHash({ n: '1' }));
    expect(requestHash({ v: null })).not.toBe(requestHash({}));
  });

  it('drops undefined properties like JSON does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
    expect(canonicalJson([undefined])).toBe('[null]');
  });

  it('is a hex SHA-256', () => {
    expect(requestHash({})).toMatch(/^[0-9a-f]{64}$/);
  });

  it('replays on the same hash and conflicts on another', () => {
    const stored = { requestHash: requestHash({ a: 1 }), statusCode: 202, body: { id: 'x' } };
    expect(decideOnExistingKey(stored, requestHash({ a: 1 }))).toEqual({
      kind: 'replay',
      statusCode: 202,
      body: { id: 'x' },
    });
    expect(decideOnExistingKey(stored, requestHash({ a: 2 }))).toEqual({ kind: 'conflict' });
  });
});
