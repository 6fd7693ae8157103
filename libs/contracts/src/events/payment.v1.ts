import { z } from 'zod';
import { isoDateTime, vnd } from './common';

const positiveVnd = vnd.refine((n) => n > 0, 'amount must be positive');

export const PaymentRequestedV1 = z.looseObject({
  dossierId: z.uuid(),
  paymentId: z.uuid(),
  amountVnd: positiveVnd,
  /** Unpaid at this time → payment.failed.v1 with final = true, and the dossier ends. */
  expiresAt: isoDateTime,
  requestedAt: isoDateTime,
});
export type PaymentRequestedV1 = z.output<typeof PaymentRequestedV1>;

export const PaymentWaivedV1 = z.looseObject({
  dossierId: z.uuid(),
  reason: z.enum(['ZERO_FEE', 'ONLINE_EXEMPTION', 'SUBJECT_EXEMPTION']),
  /** The procedure's fee before the waiver (0 for free procedures). */
  baseAmountVnd: vnd,
  waivedAt: isoDateTime,
});
export type PaymentWaivedV1 = z.output<typeof PaymentWaivedV1>;

export const paymentMethods = ['CARD', 'BANK_TRANSFER', 'EWALLET', 'COUNTER'] as const;

export const PaymentCompletedV1 = z.looseObject({
  dossierId: z.uuid(),
  paymentId: z.uuid(),
  amountVnd: positiveVnd,
  method: z.enum(paymentMethods),
  /** Paid through the online gateway (counts towards the online-payment rate). */
  online: z.boolean(),
  gatewayReference: z.string().min(1).max(128),
  completedAt: isoDateTime,
});
export type PaymentCompletedV1 = z.output<typeof PaymentCompletedV1>;

export const PaymentFailedV1 = z.looseObject({
  dossierId: z.uuid(),
  paymentId: z.uuid(),
  reason: z.enum(['DECLINED', 'EXPIRED', 'ABANDONED', 'GATEWAY_ERROR']),
  detail: z.string().max(500),
  /** True when the dossier cannot be paid any more (expired or abandoned): it ends without a case. */
  final: z.boolean(),
  failedAt: isoDateTime,
});
export type PaymentFailedV1 = z.output<typeof PaymentFailedV1>;

export const PaymentRefundedV1 = z.looseObject({
  dossierId: z.uuid(),
  paymentId: z.uuid(),
  amountVnd: positiveVnd,
  reason: z.string().min(1).max(500),
  refundedAt: isoDateTime,
});
export type PaymentRefundedV1 = z.output<typeof PaymentRefundedV1>;
