import { escapeLike, normaliseSearchText, searchTerms } from './search-text';

describe('search text', () => {
  it('folds case and Vietnamese diacritics, including đ', () => {
    expect(normaliseSearchText('  Đăng ký   KHAI SINH ')).toBe('dang ky khai sinh');
    expect(normaliseSearchText('Cấp Giấy phép xây dựng')).toBe('cap giay phep xay dung');
  });

  it('splits queries into words and escapes LIKE wildcards', () => {
    expect(searchTerms('Đăng  ký')).toEqual(['dang', 'ky']);
    expect(searchTerms('   ')).toEqual([]);
    expect(escapeLike('50%_a\\')).toBe('50\\%\\_a\\\\');
  });
});
