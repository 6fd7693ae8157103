import { randomBytes } from 'node:crypto';
import { Body, ConflictException, Controller, HttpCode, Post, UnprocessableEntityException } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { ApiZodBody, zodBody } from '@hoso/nest-kit';

export const RefundBody = z.strictObject({
  paymentId: z.uuid(),
  amountVnd: z.number().int().positive(),
  reason: z.string().min(1).max(500),
});

interface RefundRow {
  payment_id: string;
  refund_id: string;
  amount_vnd: string;
  reason: string;
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
  constructor(private readonly ds: DataSource) {}

  /** Refunds a succeeded payment; idempotent per paymentId (a retry returns the first refund, money moves once). */
  @Post()
  @HttpCode(200)
  @ApiZodBody(RefundBody)
  refund(@Body(zodBody(RefundBody)) body: z.output<typeof RefundBody>) {
    return this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`refund:${body.paymentId}`]);
      const [existing] = await m.query<RefundRow[]>('SELECT * FROM gateway_refunds WHERE payment_id = $1', [
        body.paymentId,
      ]);
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
        `INSERT INTO gateway_refunds (payment_id, refund_id, amount_vnd, reason) VALUES ($1, $2, $3, $4) RETURNING *`,
        [body.paymentId, refundId, body.amountVnd, body.reason],
      );
      await m.query(
        `INSERT INTO gateway_ledger (kind, payment_id, status, amount_vnd, gateway_reference, occurred_at)
         VALUES ('REFUND', $1, 'REFUNDED', $2, $3, now())`,
        [body.paymentId, body.amountVnd, refundId],
      );
      return view(row as RefundRow, true);
    });
  }
}
