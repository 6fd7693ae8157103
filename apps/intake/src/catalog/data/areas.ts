import type { AreaSeed } from './types';

/** Procedure areas (lĩnh vực) with display names. */
export const areas: readonly AreaSeed[] = [
  { id: 'civil-status', name: 'Hộ tịch', nameEn: 'Civil status' },
  { id: 'residence', name: 'Đăng ký, quản lý cư trú', nameEn: 'Residence registration' },
  { id: 'driving-licence', name: 'Giấy phép lái xe', nameEn: 'Driving licences' },
  {
    id: 'business-registration',
    name: 'Thành lập và hoạt động doanh nghiệp, hộ kinh doanh',
    nameEn: 'Business registration',
  },
  { id: 'construction', name: 'Hoạt động xây dựng', nameEn: 'Construction' },
  { id: 'land', name: 'Đất đai', nameEn: 'Land' },
  { id: 'social-insurance', name: 'Bảo hiểm xã hội, bảo hiểm y tế', nameEn: 'Social and health insurance' },
  { id: 'judicial-records', name: 'Lý lịch tư pháp', nameEn: 'Judicial records' },
  { id: 'identity-documents', name: 'Căn cước, hộ chiếu', nameEn: 'Identity cards and passports' },
  { id: 'education', name: 'Giáo dục và đào tạo', nameEn: 'Education and training' },
  { id: 'tax', name: 'Thuế', nameEn: 'Tax' },
];
