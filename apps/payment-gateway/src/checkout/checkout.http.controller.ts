import { randomBytes } from 'node:crypto';
import {
  Body,
  ConflictException,
  Controller,
  Get,
  Header,
  HttpCode,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { Public } from '@hoso/auth';
import { paymentMethods } from '@hoso/contracts';
import { ApiZodBody, zodBody } from '@hoso/nest-kit';
import type { CallbackMode } from '../config';
import { CallbackSender } from '../callbacks/callback-sender';
import { renderCheckoutPage } from './checkout-page';

export const PayBody = z.strictObject({
  outcome: z.enum(['success', 'failure']),
  method: z.enum(paymentMethods.filter((m) => m !== 'COUNTER') as ['CARD', 'BANK_TRANSFER', 'EWALLET']).optional(),
});

interface SessionRow {
  session_id: string;
  payment_id: string;
  amount_vnd: string;
  callback_url: string;
  return_url: string | null;
  callback_mode: CallbackMode | null;
  status: string;
}

const SESSION_ID = /^cs_[0-9a-f]{24}$/;

/** The citizen-facing side of the gateway: public pages, as a browser reaches them. */
@ApiTags('checkout')
@Controller('checkout')
export class CheckoutController {
  constructor(
    private readonly ds: DataSource,
    private readonly sender: CallbackSender,
  ) {}

  @Public()
  @Get(':sessionId')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async page(@Param('sessionId') sessionId: string): Promise<string> {
    const s = await this.find(sessionId);
    return renderCheckoutPage({
      sessionId: s.session_id,
      amountVnd: Number(s.amount_vnd),
      status: s.status,
      returnUrl: s.return_url,
    });
  }

  /** Records the outcome in the ledger (one per session), then sends the signed callback to the merchant. */
  @Public()
  @Post(':sessionId/pay')
  @HttpCode(200)
  @ApiZodBody(PayBody)
  async pay(@Param('sessionId') sessionId: string, @Body(zodBody(PayBody)) body: z.output<typeof PayBody>) {
    await this.find(sessionId);
    const status = body.outcome === 'success' ? 'SUCCEEDED' : 'FAILED';
    const method = body.method ?? 'CARD';
    const gatewayReference = `PGW-${randomBytes(8).toString('hex').toUpperCase()}`;
    const occurredAt = new Date();
    const session = await this.ds.transaction(async (m) => {
      const [s] = await m.query<SessionRow[]>('SELECT * FROM gateway_sessions WHERE session_id = $1 FOR UPDATE', [
        sessionId,
      ]);
      if (!s) throw new NotFoundException(`checkout session ${sessionId} not found`);
      if (s.status !== 'OPEN') throw new ConflictException(`checkout session ${sessionId} is already ${s.status}`);
      await m.query(`UPDATE gateway_sessions SET status = $2, completed_at = $3 WHERE session_id = $1`, [
        sessionId,
        status,
        occurredAt,
      ]);
      await m.query(
        `INSERT INTO gateway_ledger (kind, session_id, payment_id, status, amount_vnd, gateway_reference, method, occurred_at)
         VALUES ('PAYMENT', $1, $2, $3, $4, $5, $6, $7)`,
        [sessionId, s.payment_id, status, s.amount_vnd, gatewayReference, method, occurredAt],
      );
      return s;
    });
    this.sender.dispatch(
      { sessionId, callbackUrl: session.callback_url, callbackMode: session.callback_mode },
      {
        sessionId,
        paymentId: session.payment_id,
        status,
        amountVnd: Number(session.amount_vnd),
        gatewayReference,
        method,
        occurredAt: occurredAt.toISOString(),
      },
    );
    return { sessionId, status, gatewayReference, returnUrl: session.return_url };
  }

  private async find(sessionId: string): Promise<SessionRow> {
    const [s] = SESSION_ID.test(sessionId)
      ? await this.ds.query<SessionRow[]>('SELECT * FROM gateway_sessions WHERE session_id = $1', [sessionId])
      : [];
    if (!s) throw new NotFoundException(`checkout session ${sessionId} not found`);
    return s;
  }
}
