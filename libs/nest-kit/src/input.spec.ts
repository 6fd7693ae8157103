import { inputIssues, isJsonMediaType, unacceptableCharacter } from './input';

describe('unacceptableCharacter', () => {
  it('finds NUL and the other control characters, but not tab, line feed and carriage return', () => {
    expect(unacceptableCharacter('a\u0000b')).toBe('U+0000');
    expect(unacceptableCharacter('\u001b[31m')).toBe('U+001B');
    expect(unacceptableCharacter('x\u007f')).toBe('U+007F');
    expect(unacceptableCharacter('x\u0085')).toBe('U+0085');
    expect(unacceptableCharacter('cột 1\tcột 2\r\ndòng 2\n')).toBeNull();
  });

  it('finds halves of surrogate pairs, and lets whole pairs (emoji) and format characters through', () => {
    expect(unacceptableCharacter('\ud800')).toBe('U+D800');
    expect(unacceptableCharacter('x\udc00y')).toBe('U+DC00');
    expect(unacceptableCharacter('😀 𝔘 \u202e \u200b \ufeff ﷽')).toBeNull();
  });
});

describe('inputIssues', () => {
  it('names every field that holds one, nested and in arrays, values and field names alike', () => {
    expect(inputIssues({ a: 'ok', b: { c: ['fine', 'bad\u0000'] }, ['k\u0001']: 1 })).toEqual([
      expect.objectContaining({ path: 'b.c.1', code: 'invalid_characters' }),
      expect.objectContaining({ path: 'k\\u0001', code: 'invalid_characters' }),
    ]);
    expect(inputIssues('\u0000')).toEqual([expect.objectContaining({ path: '' })]);
    expect(inputIssues({ n: 1, b: true, z: null, buf: Buffer.from([0]) })).toEqual([]);
  });

  it('stops at the depth limit without recursing (a hostile depth cannot overflow the stack)', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(inputIssues(deep)).toEqual([
      expect.objectContaining({ code: 'too_deep', message: 'nested deeper than 32 levels' }),
    ]);
    let ok: unknown = 'leaf';
    for (let i = 0; i < 32; i++) ok = { a: ok };
    expect(inputIssues(ok)).toEqual([]);
  });

  it('reports at most ten issues', () => {
    expect(inputIssues(Array.from({ length: 50 }, () => '\u0000'))).toHaveLength(10);
  });
});

describe('isJsonMediaType', () => {
  it('accepts application/json and the +json types only', () => {
    expect(isJsonMediaType('application/json')).toBe(true);
    expect(isJsonMediaType('application/merge-patch+json')).toBe(true);
    expect(isJsonMediaType('text/json')).toBe(false);
    expect(isJsonMediaType('text/plain')).toBe(false);
    expect(isJsonMediaType('')).toBe(false);
  });
});
