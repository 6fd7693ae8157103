/** The only attachment types accepted: scanned documents and photos. */
export const ALLOWED_CONTENT_TYPES = ['application/pdf', 'image/jpeg', 'image/png'] as const;
export type AllowedContentType = (typeof ALLOWED_CONTENT_TYPES)[number];

const SIGNATURES: readonly { type: AllowedContentType; bytes: readonly number[] }[] = [
  { type: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
];

/** Bytes needed from the start of a file to recognise every accepted type. */
export const SNIFF_BYTES = Math.max(...SIGNATURES.map((s) => s.bytes.length));

/** The type the file's first bytes (magic numbers) say it is, or null when it is none of the accepted ones. */
export function sniffContentType(head: Uint8Array): AllowedContentType | null {
  for (const sig of SIGNATURES) {
    if (head.length >= sig.bytes.length && sig.bytes.every((b, i) => head[i] === b)) return sig.type;
  }
  return null;
}

/** Declared types that say nothing about the content (browsers send them for unknown files). */
const GENERIC_TYPES = new Set(['application/octet-stream', 'binary/octet-stream', '']);

/**
 * Accepts a file when its content is an accepted type and the declared type, if specific, agrees: a PNG
 * declared as a PDF is refused like an executable declared as a PDF.
 */
export function acceptContentType(
  declared: string,
  head: Uint8Array,
): { ok: true; contentType: AllowedContentType } | { ok: false; reason: string } {
  const sniffed = sniffContentType(head);
  const declaredType = (declared.split(';')[0] ?? '').trim().toLowerCase();
  if (!sniffed) return { ok: false, reason: 'only PDF, JPEG and PNG files are accepted' };
  if (
    !GENERIC_TYPES.has(declaredType) &&
    declaredType !== sniffed &&
    !(declaredType === 'image/jpg' && sniffed === 'image/jpeg')
  ) {
    return { ok: false, reason: `the file is ${sniffed}, not the declared ${declaredType}` };
  }
  return { ok: true, contentType: sniffed };
}

/** A file name safe to echo and store: no path, no control characters, bounded length. */
export function cleanFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, 200);
  return cleaned.length > 0 ? cleaned : 'attachment';
}
