import { valuesList } from './values';

describe('valuesList', () => {
  it('numbers the placeholders row by row after the offset', () => {
    expect(
      valuesList(
        [
          ['a', 1],
          ['b', 2],
        ],
        1,
      ),
    ).toEqual({ sql: '($2, $3), ($4, $5)', params: ['a', 1, 'b', 2] });
  });

  it('refuses rows of different widths', () => {
    expect(() => valuesList([['a'], ['b', 2]])).toThrow(/a row of 2 values among rows of 1/);
  });

  it('gives an empty list for no rows', () => {
    expect(valuesList([])).toEqual({ sql: '', params: [] });
  });
});
