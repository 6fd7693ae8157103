/**
 * `Content-Disposition: attachment` for a stored file name: a plain ASCII `filename` for old clients (Vietnamese
 * letters folded to their base letter: 'Giấy khai sinh.pdf' → 'Giay khai sinh.pdf') and the exact name as
 * RFC 5987 / RFC 6266 `filename*=UTF-8''…`, which every current browser prefers.
 */
export function contentDisposition(fileName: string): string {
  const ascii = fileName
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    // Inside a quoted string only printable ASCII is safe, and `"` and `\` would need escaping: replaced.
    .replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${rfc5987(fileName)}`;
}

/** Percent-encoding of RFC 5987 `value-chars`: encodeURIComponent leaves `'()*` as they are, which are not allowed. */
function rfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}
