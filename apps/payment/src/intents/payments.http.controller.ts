import type { AddressInfo } from 'node:net';
import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { canReadDossier, CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { MessagingService } from '@hoso/messaging';
import { ApiZodBody, ApiZodQuery, CorrelationId, recordAuditApart, zodBody, zodParams, zodQuery } from '@hoso/nest-kit';
import type { Config } from '../config';
import { CALLBACK_PATH } from '../gateway/raw-body';
import { GatewayClient } from '../gateway/gateway.client';
import { AfterCommits } from '../jobs/payment-queues';
import { PAYMENT_CONFIG, ROOT_LOGGER } from '../tokens';
import { canStartNewIntent } from './domain/intent';
import { checkoutReturnUrl } from './domain/return-url';
import { findDossier, findIntent, intentsOf, intentView, lockDossier, type DossierRow } from './intent.store';
import { OpenIntent } from './open-intent';
import { RecordCashPayment } from './record-cash-payment.handler';

const ListQuery = z.strictObject({ dossierId: z.uuid() });
const PaymentParams = z.object({ paymentId: z.uuid() });
const DossierParams = z.object({ dossierId: z.uuid() });
const CheckoutBody = z.strictObject({
  /** The page to come back to after paying, on an origin of PAYMENT_RETURN_ORIGINS (default: PAYMENT_RETURN_URL). */
  returnUrl: z.string().max(2000).optional(),
});
const CashBody = z.strictObject({
  /** The cash taken, in VND: must be the amount due (400 otherwise). */
  amountVnd: z.number().int().positive(),
  /** The number of the counter's cash receipt (biên lai), unique within the agency. */
  receiptNo: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .regex(/^[\p{L}\p{N}][\p{L}\p{N} ./_-]*$/u, 'letters, digits, spaces and . / _ - only'),
});

@ApiTags('payments')
@ApiBearerAuth()
@Controller('payments')
export class PaymentsController {
  constructor(
    private readonly ds: DataSource,
    private readonly messaging: MessagingService,
    private readonly gateway: GatewayClient,
    private readonly openIntent: OpenIntent,
    private readonly recordCash: RecordCashPayment,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(PAYMENT_CONFIG) private readonly config: Config,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** The dossier's fee decision and its payment intents (oldest first). */
  @Get()
  @ApiZodQuery(ListQuery)
  async list(
    @Query(zodQuery(ListQuery)) q: z.output<typeof ListQuery>,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ) {
    const dossier = await this.readable(
      await findDossier(this.ds.manager, q.dossierId),
      q.dossierId,
      user,
      correlationId,
    );
    return {
      dossierId: dossier.dossier_id,
      state: dossier.state,
      baseAmountVnd: dossier.base_amount_vnd === null ? null : Number(dossier.base_amount_vnd),
      amountVnd: dossier.amount_vnd === null ? null : Number(dossier.amount_vnd),
      waiverReason: dossier.waiver_reason,
      items: (await intentsOf(this.ds.manager, dossier.dossier_id)).map(intentView),
    };
  }

  @Get(':paymentId')
  async get(
    @Param(zodParams(PaymentParams)) p: z.output<typeof PaymentParams>,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ) {
    const intent = await findIntent(this.ds.manager, p.paymentId);
    await this.readable(
      intent && (await findDossier(this.ds.manager, intent.dossier_id)),
      p.paymentId,
      user,
      correlationId,
    );
    return intentView(intent as NonNullable<typeof intent>);
  }

  /** Opens (or reopens) the gateway checkout of a pending intent of the citizen's own dossier. */
  @Post(':paymentId/checkout')
  @HttpCode(200)
  @Roles('citizen')
  @ApiZodBody(CheckoutBody, 'optional; without a body the citizen returns to PAYMENT_RETURN_URL')
  @ApiOperation({
    summary: 'Open the gateway checkout of a pending payment',
    description:
      'returnUrl must be on an origin of PAYMENT_RETURN_ORIGINS (400 otherwise, nothing opened). The gateway keeps ' +
      'one return page per session: a checkout already opened keeps its own, which the answer gives as returnUrl.',
  })
  async checkout(
    @Param(zodParams(PaymentParams)) p: z.output<typeof PaymentParams>,
    // A POST without a body (no content type) leaves the body undefined.
    @Body(zodBody(CheckoutBody.optional())) body: z.output<typeof CheckoutBody> | undefined,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ) {
    const returnUrl = checkoutReturnUrl(
      body?.returnUrl,
      this.config.PAYMENT_RETURN_ORIGINS,
      this.config.PAYMENT_RETURN_URL,
    );
    if (!returnUrl.ok) throw new BadRequestException(returnUrl.reason);
    const intent = await findIntent(this.ds.manager, p.paymentId);
    await this.readable(
      intent && (await findDossier(this.ds.manager, intent.dossier_id)),
      p.paymentId,
      user,
      correlationId,
    );
    const i = intent as NonNullable<typeof intent>;
    if (i.status !== 'PENDING') throw new ConflictException(`payment ${i.payment_id} is ${i.status}, not payable`);
    if (i.session_id && i.checkout_url) {
      return {
        paymentId: i.payment_id,
        sessionId: i.session_id,
        checkoutUrl: i.checkout_url,
        returnUrl: i.return_url,
        amountVnd: Number(i.amount_vnd),
        expiresAt: i.expires_at.toISOString(),
      };
    }
    // Outside a transaction: the gateway returns the same open session when asked twice for one payment.
    const session = await this.gateway.openSession({
      paymentId: i.payment_id,
      amountVnd: Number(i.amount_vnd),
      callbackUrl: this.callbackUrl(),
      ...(returnUrl.url ? { returnUrl: returnUrl.url } : {}),
    });
    await this.ds.query(
      `UPDATE payment_intents SET session_id = $2, checkout_url = $3, return_url = $4
       WHERE payment_id = $1 AND session_id IS NULL`,
      [i.payment_id, session.sessionId, session.checkoutUrl, returnUrl.url],
    );
    return {
      paymentId: i.payment_id,
      sessionId: session.sessionId,
      checkoutUrl: session.checkoutUrl,
      returnUrl: returnUrl.url,
      amountVnd: Number(i.amount_vnd),
      expiresAt: i.expires_at.toISOString(),
    };
  }

  /**
   * An officer of the dossier's agency records the fee taken in cash at the counter: the payment completes as a
   * gateway success would, with `online: false`. Sent again with the same receipt, it answers the same, once paid.
   */
  @Post(':paymentId/cash')
  @HttpCode(200)
  @Roles('officer')
  @ApiZodBody(CashBody)
  @ApiOperation({
    summary: 'Record a fee paid in cash at the counter',
    description:
      "Only for a payment awaiting payment of a dossier of the officer's agency (404 otherwise, audited), for the " +
      'amount due (400 otherwise). A payment already paid, expired or cancelled is a 409; so is a receipt number ' +
      'already recorded for another payment of the agency. The same receipt sent again answers 200 with the same ' +
      'payment and records nothing more. Answers the payment (method CASH, settledVia COUNTER, receiptNo).',
  })
  async cash(
    @Param(zodParams(PaymentParams)) p: z.output<typeof PaymentParams>,
    @Body(zodBody(CashBody)) body: z.output<typeof CashBody>,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ) {
    const intent = await findIntent(this.ds.manager, p.paymentId);
    await this.readable(
      intent && (await findDossier(this.ds.manager, intent.dossier_id)),
      p.paymentId,
      user,
      correlationId,
      'payment.cash',
    );
    const r = await this.recordCash.record({
      paymentId: p.paymentId,
      amountVnd: body.amountVnd,
      receiptNo: body.receiptNo,
      officer: { sub: user.sub, agencyCode: user.agencyCode ?? '' },
      correlationId,
    });
    switch (r.outcome) {
      case 'refused':
        if (r.status === 400) throw new BadRequestException(r.reason);
        if (r.status === 404) throw new NotFoundException(r.reason);
        throw new ConflictException(`cannot record the cash payment: ${r.reason}`);
      case 'recorded':
        // Recorded in the audit trail by RecordCashPayment, in the transaction that completes the payment.
        return intentView(r.intent);
      case 'replayed':
        return intentView(r.intent);
    }
  }

  /** A new intent after the last one failed or expired (the dossier still unpaid). */
  @Post('dossiers/:dossierId/intents')
  @Roles('citizen')
  async retry(
    @Param(zodParams(DossierParams)) p: z.output<typeof DossierParams>,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ) {
    await this.readable(await findDossier(this.ds.manager, p.dossierId), p.dossierId, user, correlationId);
    const afterCommit = new AfterCommits();
    const intent = await this.messaging.transaction(async (m) => {
      const dossier = await lockDossier(m, p.dossierId);
      if (!dossier) throw new NotFoundException(`dossier ${p.dossierId} not found`);
      const decision = canStartNewIntent(dossier.state, await intentsOf(m, p.dossierId));
      if (!decision.ok) throw new ConflictException(`cannot start a new payment: ${decision.reason}`);
      return this.openIntent.open(
        m,
        p.dossierId,
        Number(dossier.amount_vnd),
        { correlationId, causationId: null },
        afterCommit.add,
      );
    });
    // The expiry job, now that the intent committed (a failure is logged and left to the timer rebuild).
    await afterCommit.run(this.logger);
    return intentView(intent);
  }

  /** A refused read answers 404 like a missing one (never confirm someone else's dossier exists) and is audited. */
  private async readable(
    dossier: DossierRow | undefined,
    resource: string,
    user: AuthUser,
    correlationId: string,
    action = 'payment.read',
  ): Promise<DossierRow> {
    if (dossier?.applicant_personal_id && dossier.agency_code) {
      if (
        canReadDossier(user, { applicantPersonalId: dossier.applicant_personal_id, agencyCode: dossier.agency_code })
      ) {
        return dossier;
      }
      // A refused read writes nothing else: its record is a short transaction of its own.
      await recordAuditApart(this.ds, this.logger, {
        action,
        outcome: 'denied',
        actor: { sub: user.sub, role: user.role },
        resource,
        reason: 'not the applicant or the agency',
        correlationId,
      });
    }
    throw new NotFoundException(`${resource} not found`);
  }

  private callbackUrl(): string {
    if (this.config.PAYMENT_CALLBACK_URL) return this.config.PAYMENT_CALLBACK_URL;
    const server = this.adapterHost.httpAdapter.getHttpServer() as { address(): AddressInfo | string | null };
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : this.config.PORT;
    return `http://127.0.0.1:${port}${CALLBACK_PATH}`;
  }
}
