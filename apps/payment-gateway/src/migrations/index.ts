import { GatewaySchema1764300000000 } from './1764300000000-gateway-schema';
import { RefundIdempotency1764300000001 } from './1764300000001-refund-idempotency';

/** Every migration of the simulator's database (no messaging tables: it has no outbox or consumer). */
export const GATEWAY_MIGRATIONS = [GatewaySchema1764300000000, RefundIdempotency1764300000001];
