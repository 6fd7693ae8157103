import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Local fee policy as data. The reports say 34 of the 63 former provinces exempted online-submission fees
 * (about half); after the 2025 reorganisation into 34 provinces we seed 18 of them (53%) with a 100% online
 * exemption, one with a 50% online reduction, and one whose exemption ran out, so validity dates matter.
 * Operators change policy with new rows (or new migrations), never with code.
 */
const ONLINE_EXEMPT = [
  '01',
  '04',
  '08',
  '11',
  '12',
  '14',
  '15',
  '20',
  '22',
  '25',
  '31',
  '37',
  '44',
  '46',
  '48',
  '52',
  '82',
  '96',
];

const rows: [province: string, channel: string, percent: number, from: string, to: string | null, basis: string][] = [
  ...ONLINE_EXEMPT.map((p): [string, string, number, string, string | null, string] => [
    p,
    'ONLINE',
    100,
    '2025-07-01',
    null,
    'Provincial People’s Council resolution: online-submission fees exempted',
  ]),
  ['68', 'ONLINE', 50, '2025-07-01', '2027-12-31', 'Lâm Đồng: 50% of the fee for online submissions'],
  ['79', 'ONLINE', 100, '2023-01-01', '2025-06-30', 'Hồ Chí Minh City: online exemption (ended at the merger)'],
];

export class SeedFeeExemptions1764300000001 implements MigrationInterface {
  name = 'SeedFeeExemptions1764300000001';

  async up(q: QueryRunner): Promise<void> {
    const values: unknown[] = [];
    const tuples = rows.map((r, i) => {
      values.push(...r);
      const n = i * 6;
      return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}::date, $${n + 5}::date, $${n + 6})`;
    });
    await q.query(
      `INSERT INTO fee_exemptions (province_code, channel, percent, valid_from, valid_to, basis) VALUES ${tuples.join(', ')}`,
      values,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM fee_exemptions`);
  }
}
