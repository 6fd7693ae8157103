/** Vietnamese text without diacritics ('Đà Nẵng' → 'Da Nang'), for ASCII names and search keys. */
export function toAscii(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D');
}
