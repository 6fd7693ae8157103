import { existsSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import QRCode from 'qrcode';
import { fontIsShared, renderResultPdf, type ResultData } from './result-pdf';
import { groupedCode, newVerificationCode, parseVerificationCode, qrMatrix } from './verification-code';

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

const codes = [newVerificationCode(), newVerificationCode(), newVerificationCode(), newVerificationCode()];
const data = (n: number): ResultData => ({
  caseId: `case-${String(n)}`,
  dossierId: `dossier-${String(n)}`,
  receiptCode: `P79-261126-00004${String(n)}`,
  procedureCode: '1.001234',
  agencyCode: 'P79',
  outcome: n % 2 ? 'APPROVED' : 'REJECTED',
  reason: n % 2 ? null : 'Thiếu giấy tờ chứng minh nơi cư trú',
  issuedAt: '2026-11-26T03:00:00.000Z',
  verification: {
    code: codes[n % 4] ?? '',
    url: `https://dichvucong.example.vn/verify/${codes[n % 4] ?? ''}`,
  },
});

/** The content stream's QR rectangles (`x y w h re`, one per run of dark modules) read back into a module matrix. */
function drawnQr(content: string, moduleSize = 3): { size: number; dark: number[] } | null {
  const rects = [...content.matchAll(/^([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re$/gm)].map((m) => m.slice(1).map(Number));
  if (!rects.length) return null;
  const left = Math.min(...rects.map((r) => r[0] ?? 0));
  const top = Math.max(...rects.map((r) => (r[1] ?? 0) + (r[3] ?? 0)));
  const cells = new Set<string>();
  let size = 0;
  for (const [x = 0, y = 0, w = 0] of rects) {
    const row = Math.round((top - y) / moduleSize) - 1;
    const col = Math.round((x - left) / moduleSize);
    for (let c = col; c < col + Math.round(w / moduleSize); c++) {
      cells.add(`${row},${c}`);
      size = Math.max(size, row + 1, c + 1);
    }
  }
  const dark: number[] = [];
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) dark.push(cells.has(`${r},${c}`) ? 1 : 0);
  return { size, dark };
}

/** The PDF's streams, inflated: page content (text as glyph ids) and the embedded font subset. */
function streams(pdf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const text = pdf.toString('latin1');
  const re = /stream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const start = m.index + m[0].length;
    const end = text.indexOf('endstream', start);
    try {
      out.push(inflateSync(pdf.subarray(start, end)));
    } catch {
      // not a deflated stream
    }
  }
  return out;
}

// DejaVu Sans, the service's default font, comes with Debian's fonts-dejavu-core.
describe('result PDF with the Unicode font', () => {
  it('finds the font', () => {
    expect(existsSync(FONT)).toBe(true);
  });

  let renderResultPdfFirst: Promise<Buffer>;
  beforeAll(() => {
    expect(fontIsShared(FONT)).toBe(false);
    renderResultPdfFirst = renderResultPdf(data(1), FONT);
  });

  it('renders documents one after another and interleaved, each a whole PDF with its own font subset', async () => {
    const first = await renderResultPdfFirst;
    expect(fontIsShared(FONT)).toBe(true);
    // Later documents use the parsed font; two at once must not mix their subsets.
    const [second, third] = await Promise.all([renderResultPdf(data(2), FONT), renderResultPdf(data(3), FONT)]);
    for (const [pdf, d] of [
      [first, data(1)],
      [second, data(2)],
      [third, data(3)],
    ] as const) {
      const text = pdf.toString('latin1');
      expect(text.startsWith('%PDF-')).toBe(true);
      expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
      // The verification link and code are printed; the code is also in the document information.
      expect(text).toContain(`/Keywords (${d.verification.code})`);
      expect(text).toContain(d.verification.url);
      // One embedded TrueType subset per document.
      expect(text.match(/\/FontFile2/g)).toHaveLength(1);
      expect(streams(pdf).length).toBeGreaterThanOrEqual(2);
    }
    // The rejected one has a reason line: more glyphs, a different subset from the approved ones.
    expect(second.length).not.toBe(first.length);
  });

  it('draws the same page with the shared font as with a freshly parsed one', async () => {
    // The first test parsed the font for data(1); this one renders data(1) again from the shared font.
    const fresh = streams(await renderResultPdfFirst);
    const shared = streams(await renderResultPdf(data(1), FONT));
    expect(shared.map((s) => s.toString('latin1'))).toEqual(fresh.map((s) => s.toString('latin1')));
  });
});

describe('result PDF without the Unicode font', () => {
  it('falls back to the built-in font with the diacritics folded', async () => {
    const pdf = await renderResultPdf(data(5), '/nonexistent/font.ttf');
    const text = pdf.toString('latin1');
    expect(text).toContain('/Helvetica');
    expect(text).toContain(data(5).verification.code);
  });
});

describe('verification code and QR symbol', () => {
  it('makes 128-bit base32 codes, each different, and reads them back as typed from the paper', () => {
    const many = new Set(Array.from({ length: 1000 }, () => newVerificationCode()));
    expect(many.size).toBe(1000);
    for (const code of many) expect(code).toMatch(/^[A-Z2-7]{26}$/);
    const code = codes[0] ?? '';
    expect(parseVerificationCode(code)).toBe(code);
    expect(parseVerificationCode(groupedCode(code).toLowerCase())).toBe(code);
    for (const bad of [
      '',
      code.slice(1),
      `${code}A`,
      code.replace(/.$/, '1'),
      code.replace(/.$/, '='),
      'x'.repeat(100),
    ])
      expect(parseVerificationCode(bad)).toBeNull();
  });

  it('draws the QR symbol of the verification link, module for module', async () => {
    const d = data(2);
    const pdf = await renderResultPdf(d, FONT);
    const content = streams(pdf)
      .map((s) => s.toString('latin1'))
      .find((s) => s.includes(' re'));
    const drawn = drawnQr(content ?? '');
    const expected = qrMatrix(d.verification.url);
    // A symbol's first and last rows and columns hold finder patterns: the drawn bounding box is the symbol.
    expect(drawn).toEqual({ size: expected.size, dark: Array.from(expected.dark) });
    // The library decides the same symbol from scratch for this link (same version; the mask is fixed).
    const fresh = QRCode.create([{ data: Buffer.from(d.verification.url), mode: 'byte' }], {
      errorCorrectionLevel: 'M',
      maskPattern: 0,
    });
    expect(Array.from(fresh.modules.data)).toEqual(Array.from(expected.dark));
  });
});
