import {
  BadRequestException,
  Controller,
  Headers,
  HttpCode,
  Inject,
  NotFoundException,
  Post,
  Req,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { PinoLogger } from 'nestjs-pino';
import { z } from 'zod';
import { Public } from '@hoso/auth';
import { paymentMethods } from '@hoso/contracts';
import { CorrelationId, describeIssues, inputIssues, invalidInput, MetricsService } from '@hoso/nest-kit';
import { Counter } from 'prom-client';
import type { Config } from '../config';
import { CLOCK, PAYMENT_CONFIG, type Clock } from '../tokens';
import { ApplyGatewayResult } from './apply-gateway-result.handler';
import { verifyCallbackSignature } from './domain/signature';

export const GatewayCallback = z.strictObject({
  sessionId: z.string().min(1).max(128),
  paymentId: z.uuid(),
  status: z.enum(['SUCCEEDED', 'FAILED']),
  amountVnd: z.number().int().positive(),
  gatewayReference: z.string().min(1).max(128),
  method: z.enum(paymentMethods),
  occurredAt: z.iso.datetime({ offset: true }),
});

@ApiTags('gateway callbacks')
@Controller('payments/gateway/callbacks')
export class GatewayCallbacksController {
  private readonly received: Counter<'outcome'>;

  constructor(
    private readonly applyResult: ApplyGatewayResult,
    private readonly log: PinoLogger,
    metrics: MetricsService,
    @Inject(PAYMENT_CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.log.setContext('GatewayCallbacks');
    this.received = new Counter({
      name: 'payment_gateway_callbacks_total',
      help: 'Gateway callbacks by outcome (rejected = bad signature)',
      labelNames: ['outcome'],
      registers: [metrics.registry],
    });
  }

  /** Public, but only a body signed with the shared webhook secret within ±CALLBACK_TOLERANCE_SEC is accepted. */
  @Public()
  @Post()
  @HttpCode(200)
  @ApiHeader({ name: 'X-Gateway-Signature', description: 't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>' })
  async receive(
    @Req() req: { body?: unknown },
    @Headers('x-gateway-signature') signature: string | undefined,
    @CorrelationId() correlationId: string,
  ) {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = verifyCallbackSignature({
      secret: this.config.webhookSecret,
      header: signature,
      rawBody: raw,
      nowSeconds: Math.floor(this.clock.now().getTime() / 1000),
      toleranceSeconds: this.config.CALLBACK_TOLERANCE_SEC,
    });
    if (!check.ok) {
      this.received.inc({ outcome: 'rejected' });
      this.log.warn({ reason: check.reason }, 'gateway callback refused: bad signature');
      throw new UnauthorizedException(`invalid gateway signature (${check.reason})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new BadRequestException('callback body is not JSON');
    }
    // The shared input check saw only the raw bytes; a signature proves who sent the text, not that the database
    // can store it (a U+0000 would fail the transaction with a 500), so the parsed body gets the same check here.
    const textIssues = inputIssues(json);
    if (textIssues.length > 0) throw invalidInput('body', textIssues);
    const parsed = GatewayCallback.safeParse(json);
    if (!parsed.success) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: `Invalid callback: ${describeIssues(parsed.error)
          .map((i) => `${i.path || '(root)'}: ${i.message}`)
          .join('; ')}`,
      });
    }
    const result = await this.applyResult.apply(parsed.data, 'CALLBACK', correlationId);
    this.received.inc({ outcome: result.outcome });
    if (result.outcome === 'unknown-payment') throw new NotFoundException(`unknown payment ${parsed.data.paymentId}`);
    return { received: true, ...result };
  }
}
