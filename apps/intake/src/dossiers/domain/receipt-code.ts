/** Vietnam has no daylight saving: its civil day is UTC+7 all year. */
const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000;
export const MAX_DAILY_SEQUENCE = 999_999;

/** The Vietnamese calendar day of an instant, `YYYY-MM-DD`: receipt counters restart each local day. */
export function vietnamDay(at: Date): string {
  return new Date(at.getTime() + VIETNAM_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * The code printed for the citizen: `<agencyCode>-<yyMMdd>-<6-digit daily sequence of the agency>`,
 * e.g. `P79-261126-000042`. The day is the Vietnamese day of submission.
 */
export function formatReceiptCode(agencyCode: string, at: Date, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > MAX_DAILY_SEQUENCE) {
    throw new RangeError(`receipt sequence ${sequence} is outside 1..${MAX_DAILY_SEQUENCE}`);
  }
  const day = vietnamDay(at);
  const yyMMdd = `${day.slice(2, 4)}${day.slice(5, 7)}${day.slice(8, 10)}`;
  return `${agencyCode}-${yyMMdd}-${String(sequence).padStart(6, '0')}`;
}

const RECEIPT_CODE = /^([A-Z][A-Z0-9]{1,15})-(\d{6})-(\d{6})$/;

/** Whether `code` has the receipt-code shape (used to refuse garbage before a database lookup). */
export function isReceiptCode(code: string): boolean {
  return RECEIPT_CODE.test(code);
}
