import { randomBytes } from 'node:crypto';
import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { ApiZodBody, zodBody } from '@hoso/nest-kit';
import { callbackModes } from '../config';
import { PublicUrl } from '../public-url';

export const CreateSession = z.strictObject({
  paymentId: z.uuid(),
  amountVnd: z.number().int().positive().max(1_000_000_000_000),
  callbackUrl: z.url({ protocol: /^https?$/ }),
  returnUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Per-session override of GATEWAY_CALLBACK_MODE (tests of delayed, duplicated and lost callbacks). */
  callbackMode: z.enum(callbackModes).optional(),
});

interface SessionRow {
  session_id: string;
  status: string;
}

@ApiTags('sessions')
@ApiBearerAuth()
@Controller('sessions')
export class SessionsController {
  constructor(
    private readonly ds: DataSource,
    private readonly publicUrl: PublicUrl,
  ) {}

  /** Opens a checkout session for a payment; an open session of the same payment and amount is returned again. */
  @Post()
  @HttpCode(201)
  @ApiZodBody(CreateSession)
  async create(@Body(zodBody(CreateSession)) body: z.output<typeof CreateSession>) {
    const session = await this.ds.transaction(async (m) => {
      // Serialises concurrent opens of one payment, so a retried request never opens two sessions.
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [body.paymentId]);
      const [open] = await m.query<SessionRow[]>(
        `SELECT session_id, status FROM gateway_sessions
         WHERE payment_id = $1 AND amount_vnd = $2 AND status = 'OPEN' ORDER BY created_at DESC LIMIT 1`,
        [body.paymentId, body.amountVnd],
      );
      if (open) return open;
      const [created] = await m.query<SessionRow[]>(
        `INSERT INTO gateway_sessions (session_id, payment_id, amount_vnd, callback_url, return_url, callback_mode)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING session_id, status`,
        [
          `cs_${randomBytes(12).toString('hex')}`,
          body.paymentId,
          body.amountVnd,
          body.callbackUrl,
          body.returnUrl ?? null,
          body.callbackMode ?? null,
        ],
      );
      return created as SessionRow;
    });
    return {
      sessionId: session.session_id,
      checkoutUrl: `${this.publicUrl.base()}/checkout/${session.session_id}`,
      status: session.status,
    };
  }
}
