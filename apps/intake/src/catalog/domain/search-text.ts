import { toAscii } from '../../admin-units/data/ascii';

/**
 * The form under which procedure names are stored for search and queries are compared: lower case, no
 * diacritics ('Đăng ký khai sinh' → 'dang ky khai sinh'), single spaces. Done in one place so stored rows and
 * typed queries can never be normalised differently.
 */
export function normaliseSearchText(text: string): string {
  return toAscii(text).toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The words of a search query, each to be found somewhere in the procedure's search text. */
export function searchTerms(query: string): string[] {
  return normaliseSearchText(query)
    .split(' ')
    .filter((w) => w.length > 0)
    .slice(0, 8);
}

/** Escapes `%`, `_` and `\` so a user's word is matched literally by LIKE. */
export function escapeLike(word: string): string {
  return word.replace(/[\\%_]/g, (c) => `\\${c}`);
}
