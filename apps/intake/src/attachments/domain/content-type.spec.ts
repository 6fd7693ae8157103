import { acceptContentType, cleanFileName, sniffContentType } from './content-type';

const PDF = Buffer.from('%PDF-1.7\n');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]);
const EXE = Buffer.from('MZ\x90\x00\x03\x00\x00\x00');

describe('attachment content type', () => {
  it('recognises PDF, PNG and JPEG by their magic bytes', () => {
    expect(sniffContentType(PDF)).toBe('application/pdf');
    expect(sniffContentType(PNG)).toBe('image/png');
    expect(sniffContentType(JPEG)).toBe('image/jpeg');
    expect(sniffContentType(EXE)).toBeNull();
    expect(sniffContentType(Buffer.from('%PD'))).toBeNull();
  });

  it('refuses content that is not an accepted type, whatever is declared', () => {
    expect(acceptContentType('application/pdf', EXE)).toMatchObject({ ok: false });
  });

  it('refuses a declared type that disagrees with the content', () => {
    expect(acceptContentType('application/pdf', PNG)).toMatchObject({ ok: false });
  });

  it('accepts a matching or generic declared type', () => {
    expect(acceptContentType('application/pdf', PDF)).toEqual({ ok: true, contentType: 'application/pdf' });
    expect(acceptContentType('application/octet-stream', PNG)).toEqual({ ok: true, contentType: 'image/png' });
    expect(acceptContentType('image/jpg', JPEG)).toEqual({ ok: true, contentType: 'image/jpeg' });
  });

  it('cleans file names', () => {
    expect(cleanFileName('../../etc/passwd')).toBe('passwd');
    expect(cleanFileName('C:\\Users\\an\\giấy khai sinh.pdf')).toBe('giấy khai sinh.pdf');
    expect(cleanFileName('a\u0000b.pdf')).toBe('ab.pdf');
    expect(cleanFileName('')).toBe('attachment');
  });
});
