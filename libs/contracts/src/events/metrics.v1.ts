import { z } from 'zod';
import { isoDateTime } from './common';

const rate = z.number().min(0).max(1).nullable();

export const MetricsCompletionRateV1 = z.looseObject({
  dimension: z.enum(['national', 'province', 'agency', 'procedure']),
  /** Province/agency/procedure code; "VN" for national. */
  key: z.string().min(1),
  period: z.looseObject({ from: isoDateTime, to: isoDateTime }),
  counts: z.looseObject({
    submitted: z.number().int().nonnegative(),
    submittedOnline: z.number().int().nonnegative(),
    completed: z.number().int().nonnegative(),
    completedOnTime: z.number().int().nonnegative(),
    completedFullyOnline: z.number().int().nonnegative(),
    withFee: z.number().int().nonnegative(),
    paidOnline: z.number().int().nonnegative(),
  }),
  /** Null when the denominator is zero. */
  rates: z.looseObject({
    onlineSubmission: rate,
    completion: rate,
    onTime: rate,
    endToEnd: rate,
    onlinePayment: rate,
  }),
  snapshotAt: isoDateTime,
});
export type MetricsCompletionRateV1 = z.output<typeof MetricsCompletionRateV1>;
