import { PLATFORM_MIGRATIONS } from '@hoso/nest-kit';
import { PaymentSchema1764300000000 } from './1764300000000-payment-schema';
import { SeedFeeExemptions1764300000001 } from './1764300000001-seed-fee-exemptions';
import { IntentReturnUrl1764300000002 } from './1764300000002-intent-return-url';
import { CashPayments1764300000003 } from './1764300000003-cash-payments';
import { RefundDecisions1764300000004 } from './1764300000004-refund-decisions';

/** Every migration of the payment database, in order: the service's start and `payment:migrate` run the same list. */
export const PAYMENT_MIGRATIONS = [
  ...PLATFORM_MIGRATIONS,
  PaymentSchema1764300000000,
  SeedFeeExemptions1764300000001,
  IntentReturnUrl1764300000002,
  CashPayments1764300000003,
  RefundDecisions1764300000004,
];
