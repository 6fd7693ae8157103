export { toAscii } from './ascii';
export { agencies, communeAgencies, ministryAgencies, provinceAgencies } from './agencies';
export { communeBaseName, communeKind, communes, type CommuneKind } from './communes';
export { CCCD_PROVINCE_PREFIX, legacyProvinces, provinces } from './provinces';
