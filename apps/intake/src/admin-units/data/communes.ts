import type { CommuneSeed } from '../../catalog/data/types';

// A sample of the 3,321 commune-level units (2,621 xã, 687 phường, 13 đặc khu) in force since 1 July 2025, with
// their 5-digit codes: for every province the unit(s) around the provincial seat and, for merged provinces, the
// centre of a former province. A few former wards are kept, marked as merged into their successor, so that
// dossiers and addresses carrying an old code stay resolvable.

export type CommuneKind = 'ward' | 'commune' | 'special-zone';

const KIND_PREFIXES: readonly (readonly [string, CommuneKind])[] = [
  ['Phường ', 'ward'],
  ['Xã ', 'commune'],
  ['Đặc khu ', 'special-zone'],
];

/** The kind of a commune-level unit, read from its name ('Phường …', 'Xã …', 'Đặc khu …'). */
export function communeKind(name: string): CommuneKind {
  for (const [prefix, kind] of KIND_PREFIXES) {
    if (name.startsWith(prefix)) return kind;
  }
  throw new Error(`unknown commune kind in "${name}"`);
}

/** The name without its kind prefix: 'Phường Hoàn Kiếm' → 'Hoàn Kiếm'. */
export function communeBaseName(name: string): string {
  for (const [prefix] of KIND_PREFIXES) {
    if (name.startsWith(prefix)) return name.slice(prefix.length);
  }
  return name;
}

export const communes: readonly CommuneSeed[] = [
  // 01 Hà Nội
  { code: '00004', name: 'Phường Ba Đình', provinceCode: '01' },
  { code: '00070', name: 'Phường Hoàn Kiếm', provinceCode: '01' },
  { code: '00082', name: 'Phường Cửa Nam', provinceCode: '01' },
  { code: '00166', name: 'Phường Cầu Giấy', provinceCode: '01' },
  { code: '09556', name: 'Phường Hà Đông', provinceCode: '01' },
  { code: '00376', name: 'Xã Sóc Sơn', provinceCode: '01' },
  // 04 Cao Bằng
  { code: '01273', name: 'Phường Thục Phán', provinceCode: '04' },
  { code: '01279', name: 'Phường Nùng Trí Cao', provinceCode: '04' },
  { code: '01477', name: 'Xã Trùng Khánh', provinceCode: '04' },
  // 08 Tuyên Quang (with former Hà Giang)
  { code: '02215', name: 'Phường Minh Xuân', provinceCode: '08' },
  { code: '02212', name: 'Phường Nông Tiến', provinceCode: '08' },
  { code: '00694', name: 'Phường Hà Giang 1', provinceCode: '08' },
  { code: '00721', name: 'Xã Đồng Văn', provinceCode: '08' },
  // 11 Điện Biên
  { code: '03127', name: 'Phường Điện Biên Phủ', provinceCode: '11' },
  { code: '03334', name: 'Phường Mường Thanh', provinceCode: '11' },
  { code: '03253', name: 'Xã Tuần Giáo', provinceCode: '11' },
  // 12 Lai Châu
  { code: '03408', name: 'Phường Tân Phong', provinceCode: '12' },
  { code: '03388', name: 'Phường Đoàn Kết', provinceCode: '12' },
  { code: '03549', name: 'Xã Phong Thổ', provinceCode: '12' },
  // 14 Sơn La
  { code: '03646', name: 'Phường Tô Hiệu', provinceCode: '14' },
  { code: '03664', name: 'Phường Chiềng An', provinceCode: '14' },
  { code: '03980', name: 'Phường Mộc Châu', provinceCode: '14' },
  // 15 Lào Cai (with former Yên Bái, seat in Yên Bái)
  { code: '04252', name: 'Phường Yên Bái', provinceCode: '15' },
  { code: '02647', name: 'Phường Lào Cai', provinceCode: '15' },
  { code: '03006', name: 'Phường Sa Pa', provinceCode: '15' },
  // 19 Thái Nguyên (with former Bắc Kạn)
  { code: '05443', name: 'Phường Phan Đình Phùng', provinceCode: '19' },
  { code: '05860', name: 'Phường Phổ Yên', provinceCode: '19' },
  { code: '01843', name: 'Phường Bắc Kạn', provinceCode: '19' },
  // 20 Lạng Sơn
  { code: '05977', name: 'Phường Đông Kinh', provinceCode: '20' },
  { code: '05983', name: 'Phường Lương Văn Tri', provinceCode: '20' },
  { code: '06184', name: 'Xã Đồng Đăng', provinceCode: '20' },
  // 22 Quảng Ninh
  { code: '06688', name: 'Phường Hạ Long', provinceCode: '22' },
  { code: '06673', name: 'Phường Bãi Cháy', provinceCode: '22' },
  { code: '06712', name: 'Phường Móng Cái 1', provinceCode: '22' },
  { code: '06994', name: 'Đặc khu Vân Đồn', provinceCode: '22' },
  // 24 Bắc Ninh (with former Bắc Giang, seat in Bắc Giang)
  { code: '07210', name: 'Phường Bắc Giang', provinceCode: '24' },
  { code: '09187', name: 'Phường Kinh Bắc', provinceCode: '24' },
  { code: '09367', name: 'Phường Từ Sơn', provinceCode: '24' },
  // 25 Phú Thọ (with former Vĩnh Phúc and Hòa Bình)
  { code: '07900', name: 'Phường Việt Trì', provinceCode: '25' },
  { code: '08707', name: 'Phường Vĩnh Yên', provinceCode: '25' },
  { code: '04795', name: 'Phường Hòa Bình', provinceCode: '25' },
  // 31 Hải Phòng (with former Hải Dương)
  { code: '11311', name: 'Phường Hồng Bàng', provinceCode: '31' },
  { code: '11383', name: 'Phường Lê Chân', provinceCode: '31' },
  { code: '10525', name: 'Phường Hải Dương', provinceCode: '31' },
  { code: '11914', name: 'Đặc khu Cát Hải', provinceCode: '31' },
  // 33 Hưng Yên (with former Thái Bình)
  { code: '11953', name: 'Phường Phố Hiến', provinceCode: '33' },
  { code: '12103', name: 'Phường Mỹ Hào', provinceCode: '33' },
  { code: '13225', name: 'Phường Thái Bình', provinceCode: '33' },
  // 37 Ninh Bình (with former Hà Nam and Nam Định)
  { code: '14329', name: 'Phường Hoa Lư', provinceCode: '37' },
  { code: '13669', name: 'Phường Nam Định', provinceCode: '37' },
  { code: '13285', name: 'Phường Phủ Lý', provinceCode: '37' },
  // 38 Thanh Hóa
  { code: '14797', name: 'Phường Hạc Thành', provinceCode: '38' },
  { code: '16531', name: 'Phường Sầm Sơn', provinceCode: '38' },
  { code: '14812', name: 'Phường Bỉm Sơn', provinceCode: '38' },
  // 40 Nghệ An
  { code: '16681', name: 'Phường Thành Vinh', provinceCode: '40' },
  { code: '16732', name: 'Phường Cửa Lò', provinceCode: '40' },
  { code: '17935', name: 'Xã Nam Đàn', provinceCode: '40' },
  // 42 Hà Tĩnh
  { code: '18073', name: 'Phường Thành Sen', provinceCode: '42' },
  { code: '18100', name: 'Phường Trần Phú', provinceCode: '42' },
  { code: '18115', name: 'Phường Bắc Hồng Lĩnh', provinceCode: '42' },
  // 44 Quảng Trị (with former Quảng Bình, seat in Quảng Bình)
  { code: '18880', name: 'Phường Đồng Hới', provinceCode: '44' },
  { code: '19333', name: 'Phường Đông Hà', provinceCode: '44' },
  { code: '19138', name: 'Xã Phong Nha', provinceCode: '44' },
  // 46 Huế
  { code: '19789', name: 'Phường Thuận Hóa', provinceCode: '46' },
  { code: '19753', name: 'Phường Phú Xuân', provinceCode: '46' },
  { code: '19900', name: 'Phường Thuận An', provinceCode: '46' },
  // 48 Đà Nẵng (with former Quảng Nam)
  { code: '20242', name: 'Phường Hải Châu', provinceCode: '48' },
  { code: '20263', name: 'Phường Sơn Trà', provinceCode: '48' },
  { code: '20341', name: 'Phường Tam Kỳ', provinceCode: '48' },
  { code: '20410', name: 'Phường Hội An', provinceCode: '48' },
  { code: '20333', name: 'Đặc khu Hoàng Sa', provinceCode: '48' },
  // 51 Quảng Ngãi (with former Kon Tum)
  { code: '21025', name: 'Phường Cẩm Thành', provinceCode: '51' },
  { code: '23293', name: 'Phường Kon Tum', provinceCode: '51' },
  { code: '21548', name: 'Đặc khu Lý Sơn', provinceCode: '51' },
  // 52 Gia Lai (with former Bình Định, seat in Bình Định)
  { code: '21583', name: 'Phường Quy Nhơn', provinceCode: '52' },
  { code: '21910', name: 'Phường An Nhơn', provinceCode: '52' },
  { code: '23575', name: 'Phường Pleiku', provinceCode: '52' },
  // 56 Khánh Hòa (with former Ninh Thuận)
  { code: '22366', name: 'Phường Nha Trang', provinceCode: '56' },
  { code: '22420', name: 'Phường Cam Ranh', provinceCode: '56' },
  { code: '22759', name: 'Phường Phan Rang', provinceCode: '56' },
  { code: '22736', name: 'Đặc khu Trường Sa', provinceCode: '56' },
  // 66 Đắk Lắk (with former Phú Yên)
  { code: '24133', name: 'Phường Buôn Ma Thuột', provinceCode: '66' },
  { code: '24305', name: 'Phường Buôn Hồ', provinceCode: '66' },
  { code: '22015', name: 'Phường Tuy Hòa', provinceCode: '66' },
  // 68 Lâm Đồng (with former Đắk Nông and Bình Thuận)
  { code: '24781', name: 'Phường Xuân Hương - Đà Lạt', provinceCode: '68' },
  { code: '24778', name: 'Phường Lâm Viên - Đà Lạt', provinceCode: '68' },
  { code: '24823', name: 'Phường 1 Bảo Lộc', provinceCode: '68' },
  { code: '24611', name: 'Phường Bắc Gia Nghĩa', provinceCode: '68' },
  { code: '22945', name: 'Phường Phan Thiết', provinceCode: '68' },
  // 75 Đồng Nai (with former Bình Phước)
  { code: '26041', name: 'Phường Trấn Biên', provinceCode: '75' },
  { code: '26068', name: 'Phường Biên Hòa', provinceCode: '75' },
  { code: '26080', name: 'Phường Long Khánh', provinceCode: '75' },
  { code: '25210', name: 'Phường Đồng Xoài', provinceCode: '75' },
  // 79 Hồ Chí Minh (with former Bình Dương and Bà Rịa - Vũng Tàu)
  { code: '26740', name: 'Phường Sài Gòn', provinceCode: '79' },
  { code: '26743', name: 'Phường Bến Thành', provinceCode: '79' },
  { code: '26737', name: 'Phường Tân Định', provinceCode: '79' },
  { code: '26758', name: 'Phường Cầu Ông Lãnh', provinceCode: '79' },
  { code: '27343', name: 'Phường Chợ Lớn', provinceCode: '79' },
  { code: '26824', name: 'Phường Thủ Đức', provinceCode: '79' },
  { code: '25747', name: 'Phường Thủ Dầu Một', provinceCode: '79' },
  { code: '26506', name: 'Phường Vũng Tàu', provinceCode: '79' },
  { code: '27664', name: 'Xã Cần Giờ', provinceCode: '79' },
  { code: '26732', name: 'Đặc khu Côn Đảo', provinceCode: '79' },
  // 80 Tây Ninh (with former Long An, seat in Long An)
  { code: '27694', name: 'Phường Long An', provinceCode: '80' },
  { code: '27712', name: 'Phường Tân An', provinceCode: '80' },
  { code: '25459', name: 'Phường Tân Ninh', provinceCode: '80' },
  // 82 Đồng Tháp (with former Tiền Giang, seat in Tiền Giang)
  { code: '28261', name: 'Phường Mỹ Tho', provinceCode: '82' },
  { code: '29869', name: 'Phường Cao Lãnh', provinceCode: '82' },
  { code: '29905', name: 'Phường Sa Đéc', provinceCode: '82' },
  // 86 Vĩnh Long (with former Bến Tre and Trà Vinh)
  { code: '29590', name: 'Phường Thanh Đức', provinceCode: '86' },
  { code: '29551', name: 'Phường Long Châu', provinceCode: '86' },
  { code: '28789', name: 'Phường Bến Tre', provinceCode: '86' },
  { code: '29242', name: 'Phường Trà Vinh', provinceCode: '86' },
  // 91 An Giang (with former Kiên Giang, seat in Kiên Giang)
  { code: '30742', name: 'Phường Rạch Giá', provinceCode: '91' },
  { code: '30307', name: 'Phường Long Xuyên', provinceCode: '91' },
  { code: '30316', name: 'Phường Châu Đốc', provinceCode: '91' },
  { code: '31078', name: 'Đặc khu Phú Quốc', provinceCode: '91' },
  // 92 Cần Thơ (with former Sóc Trăng and Hậu Giang)
  { code: '31135', name: 'Phường Ninh Kiều', provinceCode: '92' },
  { code: '31120', name: 'Phường Cái Khế', provinceCode: '92' },
  { code: '31507', name: 'Phường Sóc Trăng', provinceCode: '92' },
  { code: '31321', name: 'Phường Vị Thanh', provinceCode: '92' },
  // 96 Cà Mau (with former Bạc Liêu)
  { code: '32002', name: 'Phường An Xuyên', provinceCode: '96' },
  { code: '32025', name: 'Phường Tân Thành', provinceCode: '96' },
  { code: '31825', name: 'Phường Bạc Liêu', provinceCode: '96' },

  // Former wards (until 30 June 2025), merged into a current commune-level unit. Their old codes are not reused.
  { code: '00058', name: 'Phường Lý Thái Tổ', provinceCode: '01', mergedIntoCode: '00070' },
  { code: '00061', name: 'Phường Hàng Bạc', provinceCode: '01', mergedIntoCode: '00070' },
  { code: '00076', name: 'Phường Hàng Bông', provinceCode: '01', mergedIntoCode: '00082' },
  { code: '26749', name: 'Phường Phạm Ngũ Lão', provinceCode: '79', mergedIntoCode: '26743' },
  { code: '26755', name: 'Phường Cô Giang', provinceCode: '79', mergedIntoCode: '26758' },
];
