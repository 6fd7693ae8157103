import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import PDFDocument from 'pdfkit';

export interface ResultData {
  caseId: string;
  dossierId: string;
  receiptCode: string;
  procedureCode: string;
  agencyCode: string;
  outcome: 'APPROVED' | 'REJECTED';
  reason: string | null;
  issuedAt: string;
}

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

/** Canonical form: keys sorted, no whitespace — anyone holding the data can recompute the verification hash. */
export function canonicalJson(data: ResultData): string {
  const sorted = Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify(sorted);
}

export function verificationHash(data: ResultData): string {
  return createHash('sha256').update(canonicalJson(data)).digest('hex');
}

/** Vietnamese without diacritics, for the built-in PDF font that has no Vietnamese glyphs. */
export function asciiFold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D');
}

/**
 * pdfkit parses the TrueType file again for every document (fontkit decodes the glyph metrics, the character map
 * and the layout tables of DejaVu's ~6,000 glyphs): three quarters of a result's CPU, and a third of
 * case-tracking's at five dossiers a second in the benchmark. The parsed font is immutable once decoded, and each
 * document still builds its own subset of the glyphs it uses, so one parsed font serves every document.
 *
 * pdfkit has no public way to hand it a parsed font: the first document opens the file as usual and its font
 * object gives the parsed font and pdfkit's font class; later documents get a font of that class over the same
 * parsed font, registered the way `doc.font()` registers one. Should a pdfkit upgrade change these internals, the
 * check below fails and every document opens the file itself again (slower, same output).
 */
interface PdfkitFontInternals {
  _font?: { font?: unknown; name?: string; constructor: unknown };
  _fontCount?: unknown;
  _fontFamilies?: Record<string, unknown>;
}
type EmbeddedFontClass = new (doc: unknown, font: unknown, id: string) => { name: string };
const parsedFonts = new Map<string, { font: unknown; FontClass: EmbeddedFontClass }>();

/** Exported for the test: whether `path` is served from the parsed-font cache. */
export function fontIsShared(path: string): boolean {
  return parsedFonts.has(path);
}

function useFont(doc: PDFKit.PDFDocument, path: string): void {
  const internals = doc as unknown as PdfkitFontInternals;
  const shared = parsedFonts.get(path);
  if (shared && typeof internals._fontCount === 'number' && internals._fontFamilies) {
    internals._fontCount += 1;
    const font = new shared.FontClass(doc, shared.font, `F${String(internals._fontCount)}`);
    internals._font = font;
    internals._fontFamilies[font.name] = font;
    return;
  }
  doc.font(readFileSync(path));
  const opened = internals._font;
  if (opened?.font && typeof opened.constructor === 'function' && typeof internals._fontCount === 'number') {
    parsedFonts.set(path, { font: opened.font, FontClass: opened.constructor as EmbeddedFontClass });
  }
}

export async function renderResultPdf(data: ResultData, fontPath = FONT): Promise<Buffer> {
  const hash = verificationHash(data);
  const unicode = existsSync(fontPath);
  const t = (s: string) => (unicode ? s : asciiFold(s));
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    info: { Title: `Kết quả ${data.receiptCode}`, Subject: `sha256:${hash}`, Keywords: hash },
  });
  if (unicode) useFont(doc, fontPath);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    doc.on('error', reject);
  });
  doc.fontSize(16).text(t('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM'), { align: 'center' });
  doc.fontSize(12).text(t('Độc lập - Tự do - Hạnh phúc'), { align: 'center' }).moveDown(2);
  doc.fontSize(18).text(t('KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH'), { align: 'center' }).moveDown();
  doc.fontSize(12);
  doc.text(t(`Mã hồ sơ: ${data.receiptCode}`));
  doc.text(t(`Thủ tục: ${data.procedureCode}`));
  doc.text(t(`Cơ quan giải quyết: ${data.agencyCode}`));
  doc.text(t(`Kết quả: ${data.outcome === 'APPROVED' ? 'Chấp thuận' : 'Từ chối'}`));
  if (data.reason) doc.text(t(`Lý do: ${data.reason}`));
  doc.text(t(`Ngày cấp: ${data.issuedAt}`)).moveDown(2);
  doc.fontSize(9).text(t('Mã xác thực (SHA-256 của dữ liệu kết quả chuẩn hóa):'));
  doc.text(hash);
  doc.end();
  return done;
}
