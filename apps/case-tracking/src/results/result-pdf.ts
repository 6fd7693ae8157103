import { existsSync, readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import PDFDocument from 'pdfkit';
import { groupedCode, qrMatrix, type QrMatrix } from './verification-code';

export interface ResultData {
  caseId: string;
  dossierId: string;
  receiptCode: string;
  procedureCode: string;
  agencyCode: string;
  outcome: 'APPROVED' | 'REJECTED';
  reason: string | null;
  issuedAt: string;
  /**
   * The result's verification code and the public page that checks it (printed, and as a QR code). The signature
   * over the document's hash lives in the database, not in the hashed bytes.
   */
  verification: { code: string; url: string };
}

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

/** Vietnamese without diacritics, for the built-in PDF font that has no Vietnamese glyphs. */
export function asciiFold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D');
}

/** One paragraph of the page: its text, size, alignment and the blank lines after it. */
interface Block {
  text: string;
  size: number;
  center?: boolean;
  gapAfter?: number;
}

/** What the result says, paragraph by paragraph (NFC: precomposed letters, one glyph each). */
function pageBlocks(data: ResultData): Block[] {
  const blocks: Block[] = [
    { text: 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', size: 16, center: true },
    { text: 'Độc lập - Tự do - Hạnh phúc', size: 12, center: true, gapAfter: 2 },
    { text: 'KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH', size: 18, center: true, gapAfter: 1 },
    { text: `Mã hồ sơ: ${data.receiptCode}`, size: 12 },
    { text: `Thủ tục: ${data.procedureCode}`, size: 12 },
    { text: `Cơ quan giải quyết: ${data.agencyCode}`, size: 12 },
    { text: `Kết quả: ${data.outcome === 'APPROVED' ? 'Chấp thuận' : 'Từ chối'}`, size: 12 },
  ];
  if (data.reason) blocks.push({ text: `Lý do: ${data.reason}`, size: 12 });
  blocks.push({ text: `Ngày cấp: ${data.issuedAt}`, size: 12, gapAfter: 2 });
  blocks.push({ text: `Mã xác thực: ${groupedCode(data.verification.code)}`, size: 12 });
  blocks.push({ text: 'Quét mã QR hoặc mở địa chỉ dưới đây để kiểm tra tính xác thực của văn bản:', size: 9 });
  blocks.push({ text: data.verification.url, size: 9, gapAfter: 1 });
  return blocks.map((b) => ({ ...b, text: b.text.normalize('NFC') }));
}

// A4 in points, and the page margin.
const PAGE_W = 595.28;
const PAGE_H = 841.89;
const MARGIN = 56;

/**
 * Characters the prepared font covers: printable ASCII and Latin-1, every Vietnamese letter (precomposed) and the
 * usual typographic punctuation. A result whose text needs anything else (a rare character in a rejection reason)
 * is laid out by pdfkit instead, which embeds whatever glyphs the font has.
 */
function coveredCodePoints(): number[] {
  const cps: number[] = [];
  const range = (from: number, to: number) => {
    for (let c = from; c <= to; c++) cps.push(c);
  };
  range(0x20, 0x7e);
  range(0xa0, 0xff);
  cps.push(0x102, 0x103, 0x110, 0x111, 0x128, 0x129, 0x168, 0x169, 0x1a0, 0x1a1, 0x1af, 0x1b0);
  range(0x1ea0, 0x1ef9);
  cps.push(0x2013, 0x2014, 0x2018, 0x2019, 0x201c, 0x201d, 0x2026, 0x2022);
  return cps;
}

/**
 * The font prepared once per process: a subset of the TrueType font with every covered glyph, compressed, and the
 * PDF font objects around it, as bytes. pdfkit parsed the whole font and built, encoded and compressed a subset for
 * every document (about 12 ms of CPU each); with the prepared font a document is its page's text laid out from the
 * glyph widths, one small compressed content stream and the font objects copied in (well under a millisecond).
 */
interface PreparedFont {
  /** Code point → glyph id in the subset. */
  gid: Map<number, number>;
  /** Advance of each subset glyph, in thousandths of the font size. */
  advance: number[];
  ascender: number;
  descender: number;
  lineGap: number;
  /** The objects 5–9 (Type0 font, CID font, descriptor, font file, ToUnicode map), ready to copy. */
  objects: Buffer[];
}

interface FontkitGlyph {
  id: number;
  advanceWidth: number;
}
interface FontkitFont {
  unitsPerEm: number;
  ascent: number;
  descent: number;
  lineGap: number;
  capHeight: number;
  italicAngle: number;
  postscriptName: string;
  bbox: { minX: number; minY: number; maxX: number; maxY: number };
  glyphForCodePoint(cp: number): FontkitGlyph;
  createSubset(): { includeGlyph(g: FontkitGlyph): number; encode(): Uint8Array };
}

const preparedFonts = new Map<string, PreparedFont | null>();

/** Exported for the test: whether the font at `path` is prepared (parsed and subset once) for later documents. */
export function fontIsShared(path: string): boolean {
  return Boolean(preparedFonts.get(path));
}

/** The fontkit font pdfkit parses from `path` (pdfkit depends on fontkit and exposes it on its font object). */
function parseFont(path: string): FontkitFont | null {
  const doc = new PDFDocument({ autoFirstPage: false });
  doc.font(readFileSync(path));
  const font = (doc as unknown as { _font?: { font?: FontkitFont } })._font?.font;
  return font && typeof font.createSubset === 'function' ? font : null;
}

const obj = (n: number, body: string | Buffer, stream?: Buffer): Buffer =>
  Buffer.concat([
    Buffer.from(`${n} 0 obj\n`, 'latin1'),
    typeof body === 'string' ? Buffer.from(body, 'latin1') : body,
    ...(stream ? [Buffer.from('\nstream\n', 'latin1'), stream, Buffer.from('\nendstream', 'latin1')] : []),
    Buffer.from('\nendobj\n', 'latin1'),
  ]);

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

function prepareFont(path: string): PreparedFont | null {
  const font = parseFont(path);
  if (!font) return null;
  const scale = 1000 / font.unitsPerEm;
  const subset = font.createSubset();
  const notdef = font.glyphForCodePoint(0);
  const advance: number[] = [Math.round(notdef.advanceWidth * scale)];
  subset.includeGlyph(notdef);
  const gid = new Map<number, number>();
  for (const cp of coveredCodePoints()) {
    const glyph = font.glyphForCodePoint(cp);
    if (glyph.id === 0) continue;
    const id = subset.includeGlyph(glyph);
    gid.set(cp, id);
    advance[id] = Math.round(glyph.advanceWidth * scale);
  }
  const file = Buffer.from(subset.encode());
  const name = `HOSOAA+${font.postscriptName.replace(/[^A-Za-z0-9-]/g, '')}`;
  const widths = Array.from({ length: advance.length }, (_, i) => advance[i] ?? 0).join(' ');
  const bbox = [font.bbox.minX, font.bbox.minY, font.bbox.maxX, font.bbox.maxY].map((v) => Math.round(v * scale));
  const cmapLines = [...gid].map(([cp, id]) => `<${hex4(id)}> <${hex4(cp)}>`);
  const bfchar: string[] = [];
  for (let i = 0; i < cmapLines.length; i += 100) {
    const chunk = cmapLines.slice(i, i + 100);
    bfchar.push(`${chunk.length} beginbfchar\n${chunk.join('\n')}\nendbfchar`);
  }
  const cmap = deflateSync(
    Buffer.from(
      '/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n' +
        '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n' +
        '/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n' +
        '1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n' +
        `${bfchar.join('\n')}\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend`,
      'latin1',
    ),
  );
  const fileDeflated = deflateSync(file);
  return {
    gid,
    advance,
    ascender: font.ascent * scale,
    descender: font.descent * scale,
    lineGap: font.lineGap * scale,
    objects: [
      obj(
        5,
        `<< /Type /Font /Subtype /Type0 /BaseFont /${name} /Encoding /Identity-H /DescendantFonts [6 0 R] ` +
          `/ToUnicode 9 0 R >>`,
      ),
      obj(
        6,
        `<< /Type /Font /Subtype /CIDFontType2 /BaseFont /${name} ` +
          `/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 7 0 R ` +
          `/W [0 [${widths}]] /CIDToGIDMap /Identity >>`,
      ),
      obj(
        7,
        `<< /Type /FontDescriptor /FontName /${name} /Flags 32 /FontBBox [${bbox.join(' ')}] ` +
          `/ItalicAngle ${font.italicAngle} /Ascent ${Math.round(font.ascent * scale)} ` +
          `/Descent ${Math.round(font.descent * scale)} /CapHeight ${Math.round(font.capHeight * scale)} ` +
          `/StemV 0 /FontFile2 8 0 R >>`,
      ),
      obj(8, `<< /Length ${fileDeflated.length} /Length1 ${file.length} /Filter /FlateDecode >>`, fileDeflated),
      obj(9, `<< /Length ${cmap.length} /Filter /FlateDecode >>`, cmap),
    ],
  };
}

function preparedFont(path: string): PreparedFont | null {
  let font = preparedFonts.get(path);
  if (font === undefined) {
    font = prepareFont(path);
    preparedFonts.set(path, font);
  }
  return font;
}

/** The paragraph's lines, wrapped at spaces to the text width (a word longer than a line is cut). */
function wrap(f: PreparedFont, text: string, size: number): { gids: number[]; width: number }[] {
  const max = PAGE_W - 2 * MARGIN;
  const lines: { gids: number[]; width: number }[] = [];
  let line: number[] = [];
  let width = 0;
  const space = f.gid.get(0x20) ?? 0;
  const spaceW = ((f.advance[space] ?? 0) * size) / 1000;
  for (const word of text.split(' ')) {
    const gids = Array.from(word, (ch) => f.gid.get(ch.codePointAt(0) ?? 0) ?? 0);
    const w = gids.reduce((sum, g) => sum + ((f.advance[g] ?? 0) * size) / 1000, 0);
    if (line.length > 0 && width + spaceW + w > max) {
      lines.push({ gids: line, width });
      line = [];
      width = 0;
    }
    if (line.length > 0) {
      line.push(space);
      width += spaceW;
    }
    for (const g of gids) {
      const gw = ((f.advance[g] ?? 0) * size) / 1000;
      if (line.length > 0 && width + gw > max) {
        lines.push({ gids: line, width });
        line = [];
        width = 0;
      }
      line.push(g);
      width += gw;
    }
  }
  lines.push({ gids: line, width });
  return lines;
}

const num = (v: number) => String(Math.round(v * 100) / 100);

/** PDF text string in UTF-16BE (the document information dictionary's Title is Vietnamese). */
function pdfText(s: string): string {
  const be = Buffer.from(s, 'utf16le').swap16();
  return `<FEFF${be.toString('hex').toUpperCase()}>`;
}

/** Side of one QR module in points: a version-4 symbol is about 3.5 cm wide, easy for a phone camera. */
const QR_MODULE = 3;

/**
 * The QR symbol as filled rectangles in PDF user space (origin bottom-left), its top-left corner at `x` and `top`
 * points from the page's top. One rectangle per run of dark modules in a row: a few hundred operators, no image.
 */
export function qrOperators(qr: QrMatrix, x: number, top: number): string {
  const ops: string[] = ['q', '0 g'];
  for (let r = 0; r < qr.size; r++) {
    const y = PAGE_H - top - (r + 1) * QR_MODULE;
    let c = 0;
    while (c < qr.size) {
      if (!qr.dark[r * qr.size + c]) {
        c++;
        continue;
      }
      const start = c;
      while (c < qr.size && qr.dark[r * qr.size + c]) c++;
      ops.push(`${num(x + start * QR_MODULE)} ${num(y)} ${num((c - start) * QR_MODULE)} ${QR_MODULE} re`);
    }
  }
  ops.push('f', 'Q');
  return ops.join('\n');
}

/** The page laid out as pdfkit lays out `text()` calls: line height from the font, `gapAfter` blank lines. */
function fastPdf(f: PreparedFont, blocks: Block[], qr: QrMatrix, info: string): Buffer {
  let y = MARGIN;
  const ops: string[] = ['BT'];
  for (const b of blocks) {
    ops.push(`/F1 ${b.size} Tf`);
    const lineHeight = ((f.ascender + f.lineGap - f.descender) * b.size) / 1000;
    for (const line of wrap(f, b.text, b.size)) {
      const x = b.center ? MARGIN + (PAGE_W - 2 * MARGIN - line.width) / 2 : MARGIN;
      const baseline = y + (f.ascender * b.size) / 1000;
      ops.push(`1 0 0 1 ${num(x)} ${num(PAGE_H - baseline)} Tm`);
      ops.push(`<${line.gids.map(hex4).join('')}> Tj`);
      y += lineHeight;
    }
    y += lineHeight * (b.gapAfter ?? 0);
  }
  ops.push('ET');
  ops.push(qrOperators(qr, MARGIN, y));
  const content = deflateSync(Buffer.from(ops.join('\n'), 'latin1'));
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xff\xff\xff\xff\n', 'latin1')];
  const offsets: number[] = [];
  let at = parts[0]?.length ?? 0;
  const add = (b: Buffer) => {
    offsets.push(at);
    parts.push(b);
    at += b.length;
  };
  add(obj(1, '<< /Type /Catalog /Pages 2 0 R >>'));
  add(obj(2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>'));
  add(
    obj(
      3,
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_W} ${PAGE_H}] /Contents 4 0 R ` +
        `/Resources << /ProcSet [/PDF /Text] /Font << /F1 5 0 R >> >> >>`,
    ),
  );
  add(obj(4, `<< /Length ${content.length} /Filter /FlateDecode >>`, content));
  for (const o of f.objects) add(o);
  add(obj(10, info));
  const xref =
    `xref\n0 ${offsets.length + 1}\n0000000000 65535 f \n` +
    offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('') +
    `trailer\n<< /Size ${offsets.length + 1} /Root 1 0 R /Info 10 0 R >>\nstartxref\n${at}\n%%EOF\n`;
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(parts);
}

export async function renderResultPdf(data: ResultData, fontPath = FONT): Promise<Buffer> {
  const blocks = pageBlocks(data);
  const qr = qrMatrix(data.verification.url);
  const unicode = existsSync(fontPath);
  const font = unicode ? preparedFont(fontPath) : null;
  if (font && blocks.every((b) => Array.from(b.text).every((ch) => font.gid.has(ch.codePointAt(0) ?? 0)))) {
    const info =
      `<< /Producer (hoso) /Title ${pdfText(`Kết quả ${data.receiptCode}`)} ` +
      `/Subject (${data.verification.url}) /Keywords (${data.verification.code}) >>`;
    return Promise.resolve(fastPdf(font, blocks, qr, info));
  }
  return pdfkitPdf(blocks, qr, data, unicode ? fontPath : null);
}

/** pdfkit's layout with a subset of the glyphs used, or the built-in font with the diacritics folded. */
async function pdfkitPdf(blocks: Block[], qr: QrMatrix, data: ResultData, fontPath: string | null): Promise<Buffer> {
  const t = (s: string) => (fontPath ? s : asciiFold(s));
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: { Title: `Kết quả ${data.receiptCode}`, Subject: data.verification.url, Keywords: data.verification.code },
  });
  if (fontPath) doc.font(readFileSync(fontPath));
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    doc.on('error', reject);
  });
  for (const b of blocks) {
    doc.fontSize(b.size).text(t(b.text), { align: b.center ? 'center' : 'left' });
    if (b.gapAfter) doc.moveDown(b.gapAfter);
  }
  const top = doc.y;
  for (let r = 0; r < qr.size; r++)
    for (let c = 0; c < qr.size; c++)
      if (qr.dark[r * qr.size + c]) doc.rect(MARGIN + c * QR_MODULE, top + r * QR_MODULE, QR_MODULE, QR_MODULE);
  doc.fill('black');
  doc.end();
  return done;
}
