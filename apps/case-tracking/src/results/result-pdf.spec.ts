import { existsSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { fontIsShared, renderResultPdf, verificationHash, type ResultData } from './result-pdf';

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

const data = (n: number): ResultData => ({
  caseId: `case-${String(n)}`,
  dossierId: `dossier-${String(n)}`,
  receiptCode: `P79-261126-00004${String(n)}`,
  procedureCode: '1.001234',
  agencyCode: 'P79',
  outcome: n % 2 ? 'APPROVED' : 'REJECTED',
  reason: n % 2 ? null : 'Thiếu giấy tờ chứng minh nơi cư trú',
  issuedAt: '2026-11-26T03:00:00.000Z',
});

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
      expect(text).toContain(verificationHash(d));
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
    expect(text).toContain(verificationHash(data(5)));
  });
});
