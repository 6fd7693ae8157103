import type { FormField } from '@hoso/e-forms';

const field = (f: Partial<FormField> & Pick<FormField, 'name' | 'type'>): FormField => ({
  label: `Nhãn ${f.name}`,
  labelEn: `Label ${f.name}`,
  required: true,
  ...f,
});

/** One field of every type the catalog defines, with the bounds and patterns the catalog uses. */
export const everyType: FormField[] = [
  field({ name: 'fullName', type: 'text', max: 10, prefill: 'fullName', label: 'Họ và tên', labelEn: 'Full name' }),
  field({ name: 'birthDate', type: 'date', prefill: 'birthDate', label: 'Ngày sinh', labelEn: 'Date of birth' }),
  field({ name: 'children', type: 'number', min: 0, max: 20, label: 'Số con', labelEn: 'Children' }),
  field({
    name: 'gender',
    type: 'select',
    options: ['Nam', 'Nữ'],
    prefill: 'gender',
    label: 'Giới tính',
    labelEn: 'Gender',
  }),
  field({ name: 'agree', type: 'boolean', label: 'Cam đoan', labelEn: 'I declare' }),
  field({ name: 'email', type: 'email', required: false, label: 'Thư điện tử', labelEn: 'Email' }),
  field({
    name: 'phone',
    type: 'phone',
    pattern: '^(\\+84|0)(3|5|7|8|9)\\d{8}$',
    label: 'Số điện thoại',
    labelEn: 'Phone',
  }),
  field({
    name: 'applicantId',
    type: 'personalId',
    prefill: 'personalId',
    pattern: '^\\d{12}$',
    label: 'Số định danh',
    labelEn: 'Personal ID',
  }),
  field({
    name: 'spouseId',
    type: 'personalId',
    required: false,
    label: 'Số định danh vợ/chồng',
    labelEn: 'Spouse ID',
  }),
  field({
    name: 'code',
    type: 'text',
    required: false,
    pattern: '^\\d{2}$',
    label: 'Mã tỉnh',
    labelEn: 'Province code',
  }),
  field({ name: 'note', type: 'text', required: false, min: 5, max: 20, label: 'Ghi chú', labelEn: 'Note' }),
];

export const registry = {
  fullName: 'Trần An',
  birthDate: '1990-05-01',
  gender: 'Nam',
  personalId: '079090001234',
};
