import { randomBytes } from 'node:crypto';
import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { ApiZodBody, zodBody, zodParams } from '@hoso/nest-kit';
import { RefundFaultBody, RefundFaults } from './refund-faults';

export const RefundBody = z.strictObject({
  paymentId: z.uuid(),
  amountVnd: z.number().int().positive(),
  reason: z.string().min(1).max(500),
});

/** Printable, no spaces; long enough for a UUID or a `refund-<uuid>` key. */
const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'Idempotency-Key: 1 to 200 printable characters');

const PaymentParams = z.strictObject({ paymentId: z.uuid() });

interface RefundRow {
  payment_id: string;
  refund_id: string;
  amount_vnd: string;
  reason: string;
  idempotency_key: string | null;
  requests: number;
  created_at: Date;
}

const view = (r: RefundRow, created: boolean) => ({
  refundId: r.refund_id,
  paymentId: r.payment_id,
  amountVnd: Number(r.amount_vnd),
  status: 'REFUNDED' as const,
  refundedAt: r.created_at.toISOString(),
  created,
});

@ApiTags('refunds')
@ApiBearerAuth()
@Controller('refunds')
export class RefundsController {
  constructor(
    private readonly ds: DataSource,
    private readonly faults: RefundFaults,
  ) {}

  /**
   * Refunds a succeeded payment, at most once per payment. A request with an `Idempotency-Key` that was used before
   * answers the refund it created (a merchant retrying after a lost answer); the same key for another payment or
   * amount is refused (422). Without a key, a second request for the payment also answers the first refund.
   */
  @Post()
  @HttpCode(200)
  @ApiZodBody(RefundBody)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'the same key on a retry: money moves once' })
  async refund(
    @Body(zodBody(RefundBody)) body: z.output<typeof RefundBody>,
    @Headers('idempotency-key') rawKey: string | undefined,
  ) {
    const parsed = rawKey === undefined ? undefined : IdempotencyKey.safeParse(rawKey);
    if (parsed && !parsed.success) throw new BadRequestException(parsed.error.issues[0]?.message);
    const key = parsed?.data ?? null;
    const fault = this.faults.take(body.paymentId);
    if (fault === 'before-commit') throw new ServiceUnavailableException('refunds are unavailable (simulated)');
    const refund = await this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`refund:${body.paymentId}`]);
      if (key !== null) {
        const [byKey] = await m.query<RefundRow[]>('SELECT * FROM gateway_refunds WHERE idempotency_key = $1', [key]);
        if (byKey && (byKey.payment_id !== body.paymentId || Number(byKey.amount_vnd) !== body.amountVnd)) {
          throw new UnprocessableEntityException(`Idempotency-Key ${key} was used for another refund request`);
        }
      }
      const [existing] = await m.query<RefundRow[]>(
        // A CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, count] instead of the rows.
        'WITH u AS (UPDATE gateway_refunds SET requests = requests + 1 WHERE payment_id = $1 RETURNING *) SELECT * FROM u',
        [body.paymentId],
      );
      if (existing) {
        if (Number(existing.amount_vnd) !== body.amountVnd) {
          throw new ConflictException(`payment ${body.paymentId} was already refunded ${existing.amount_vnd} VND`);
        }
        return view(existing, false);
      }
      const [paid] = await m.query<{ amount_vnd: string }[]>(
        `SELECT amount_vnd FROM gateway_ledger WHERE kind = 'PAYMENT' AND payment_id = $1 AND status = 'SUCCEEDED' LIMIT 1`,
        [body.paymentId],
      );
      if (!paid) throw new UnprocessableEntityException(`payment ${body.paymentId} has no successful payment`);
      if (body.amountVnd > Number(paid.amount_vnd)) {
        throw new UnprocessableEntityException(`refund exceeds the ${paid.amount_vnd} VND paid`);
      }
      const refundId = `RF-${randomBytes(8).toString('hex').toUpperCase()}`;
      const [row] = await m.query<RefundRow[]>(
        `INSERT INTO gateway_refunds (payment_id, refund_id, amount_vnd, reason, idempotency_key)
         VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [body.paymentId, refundId, body.amountVnd, body.reason, key],
      );
      await m.query(
        `INSERT INTO gateway_ledger (kind, payment_id, status, amount_vnd, gateway_reference, occurred_at)
         VALUES ('REFUND', $1, 'REFUNDED', $2, $3, now())`,
        [body.paymentId, body.amountVnd, refundId],
      );
      return view(row as RefundRow, true);
    });
    if (fault === 'after-commit') throw new ServiceUnavailableException('the answer was lost (simulated)');
    return refund;
  }

  /** Makes the next refund requests of a payment fail (a testing aid of the simulator). */
  @Post('faults')
  @HttpCode(200)
  @ApiZodBody(RefundFaultBody)
  setFault(@Body(zodBody(RefundFaultBody)) body: z.output<typeof RefundFaultBody>) {
    this.faults.set(body);
    return this.faults.view(body.paymentId);
  }

  @Get('faults/:paymentId')
  fault(@Param(zodParams(PaymentParams)) p: z.output<typeof PaymentParams>) {
    return this.faults.view(p.paymentId);
  }
}
