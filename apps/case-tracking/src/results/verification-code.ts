import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';

/** RFC 4648 base32: upper-case letters and 2–7, nothing a reader confuses with 0, 1 or 8 when typing it from paper. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 128 random bits in base32: 26 characters, unguessable (the code alone opens the public verification page). */
export const CODE_LENGTH = 26;

export function newVerificationCode(): string {
  const bytes = randomBytes(16);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET.charAt((value >>> (bits - 5)) & 31);
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET.charAt((value << (5 - bits)) & 31);
  return out;
}

/**
 * The code as typed or scanned, normalised (upper case, the printed group separators and spaces dropped), or null
 * when it cannot be a verification code.
 */
export function parseVerificationCode(raw: string): string | null {
  if (raw.length > 64) return null;
  const code = raw.replace(/[\s-]/g, '').toUpperCase();
  return code.length === CODE_LENGTH && /^[A-Z2-7]+$/.test(code) ? code : null;
}

/** The code as printed: groups of four, easier to read aloud and to type. */
export function groupedCode(code: string): string {
  return (code.match(/.{1,4}/g) ?? []).join('-');
}

export function verificationUrl(portalPublicUrl: string, code: string): string {
  return `${portalPublicUrl}/verify/${code}`;
}

/** The QR symbol's dark modules: `size` × `size`, row-major, 1 = dark. */
export interface QrMatrix {
  size: number;
  dark: Uint8Array;
}

/** The QR version each verification-link length needs (one byte-mode segment: the length alone decides it). */
const versionByLength = new Map<number, number>();

/**
 * The QR code of a verification link, error correction M (legible with a smudge or a fold). The version is found
 * once per link length, and the mask is fixed: choosing the best of the eight masks is three quarters of the cost
 * of a symbol (about 0.5 ms, as much as the rest of the PDF), any mask is valid and every decoder reads all eight;
 * the choice only avoids rare finder-like patterns, which a symbol of this size scanned from paper tolerates.
 */
export function qrMatrix(text: string): QrMatrix {
  const data = Buffer.from(text, 'utf8');
  const segments = [{ data, mode: 'byte' as const }];
  let version = versionByLength.get(data.length);
  if (version === undefined) {
    version = QRCode.create(segments, { errorCorrectionLevel: 'M' }).version;
    versionByLength.set(data.length, version);
  }
  const qr = QRCode.create(segments, { errorCorrectionLevel: 'M', version, maskPattern: 0 });
  return { size: qr.modules.size, dark: qr.modules.data };
}
