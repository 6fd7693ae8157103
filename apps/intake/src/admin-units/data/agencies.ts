import type { AgencySeed } from '../../catalog/data/types';
import { toAscii } from './ascii';
import { communeBaseName, communeKind, communes, type CommuneKind } from './communes';
import { provinces } from './provinces';

// Agencies that receive dossiers. Province service centres and commune People's Committees are generated from the
// unit lists so they stay consistent with them; ministry-level agencies are listed literally.

const COMMUNE_KIND_VI: Record<CommuneKind, string> = { ward: 'phường', commune: 'xã', 'special-zone': 'đặc khu' };
const COMMUNE_KIND_EN: Record<CommuneKind, string> = {
  ward: 'Ward',
  commune: 'Commune',
  'special-zone': 'Special Zone',
};

/** Ministries and ministry-level agencies that process procedures at central level. */
export const ministryAgencies: readonly AgencySeed[] = [
  { code: 'BCA', name: 'Bộ Công an', nameEn: 'Ministry of Public Security' },
  { code: 'BTP', name: 'Bộ Tư pháp', nameEn: 'Ministry of Justice' },
  { code: 'BXD', name: 'Bộ Xây dựng', nameEn: 'Ministry of Construction' },
  { code: 'BTC', name: 'Bộ Tài chính', nameEn: 'Ministry of Finance' },
  { code: 'BNNMT', name: 'Bộ Nông nghiệp và Môi trường', nameEn: 'Ministry of Agriculture and Environment' },
  { code: 'BGDDT', name: 'Bộ Giáo dục và Đào tạo', nameEn: 'Ministry of Education and Training' },
  { code: 'BYT', name: 'Bộ Y tế', nameEn: 'Ministry of Health' },
  { code: 'BNG', name: 'Bộ Ngoại giao', nameEn: 'Ministry of Foreign Affairs' },
  { code: 'BHXH', name: 'Bảo hiểm xã hội Việt Nam', nameEn: 'Vietnam Social Security' },
].map((a) => ({ ...a, level: 'ministry' as const, provinceCode: null, communeCode: null }));

/** One public-administration service centre (Trung tâm Phục vụ hành chính công) per province: `P<provinceCode>`. */
export const provinceAgencies: readonly AgencySeed[] = provinces.map((p) => ({
  code: `P${p.code}`,
  name: `Trung tâm Phục vụ hành chính công ${p.kind === 'city' ? 'thành phố' : 'tỉnh'} ${p.name}`,
  nameEn: `${p.nameEn} Public Administration Service Centre`,
  level: 'province' as const,
  provinceCode: p.code,
  communeCode: null,
}));

/** The People's Committee (Ủy ban nhân dân) of every current, non-merged seeded commune: `C<communeCode>`. */
export const communeAgencies: readonly AgencySeed[] = communes
  .filter((c) => c.mergedIntoCode === undefined)
  .map((c) => {
    const kind = communeKind(c.name);
    const baseName = communeBaseName(c.name);
    return {
      code: `C${c.code}`,
      name: `Ủy ban nhân dân ${COMMUNE_KIND_VI[kind]} ${baseName}`,
      nameEn: `${toAscii(baseName)} ${COMMUNE_KIND_EN[kind]} People's Committee`,
      level: 'commune' as const,
      provinceCode: c.provinceCode,
      communeCode: c.code,
    };
  });

export const agencies: readonly AgencySeed[] = [...ministryAgencies, ...provinceAgencies, ...communeAgencies];
