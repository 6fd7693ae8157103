import { contentDisposition } from './content-disposition';

describe('Content-Disposition of an attachment', () => {
  it('gives an ASCII fallback and the exact UTF-8 name (RFC 5987)', () => {
    expect(contentDisposition('Giấy khai sinh – Đặng Thị Ánh.pdf')).toBe(
      `attachment; filename="Giay khai sinh _ Dang Thi Anh.pdf"; ` +
        `filename*=UTF-8''Gi%E1%BA%A5y%20khai%20sinh%20%E2%80%93%20%C4%90%E1%BA%B7ng%20Th%E1%BB%8B%20%C3%81nh.pdf`,
    );
    expect(decodeURIComponent(contentDisposition('Đơn (bản sao)*.png').split("UTF-8''")[1]!)).toBe(
      'Đơn (bản sao)*.png',
    );
  });

  it('never lets a quote, a backslash or a separator of the header through unencoded', () => {
    const header = contentDisposition(`a"b\\c;d'e.pdf`);
    expect(header).toBe(`attachment; filename="a_b_c;d'e.pdf"; filename*=UTF-8''a%22b%5Cc%3Bd%27e.pdf`);
  });
});
