import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { topicNames } from '@hoso/contracts';
import { consumerLag, MessagingService, totalLag } from '@hoso/messaging';
import { ApiZodBody, ApiZodQuery, CorrelationId, recordAuditApart, zodBody, zodQuery } from '@hoso/nest-kit';
import type { Config } from '../config';
import { METRICS_CONFIG, ROOT_LOGGER } from '../tokens';
import { DeadLetters } from './dead-letters';
import { OperationsStream } from './operations-stream';
import { QueueReadouts } from './queue-readout';
import { TopicSampler } from './topic-sampler';

const LagQuery = z.strictObject({ groupId: z.string().min(1).max(200).optional() });

const DlqMessagesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  /** pending: the dead letters not yet replayed (what the depth counts); all: every one still in the topic. */
  state: z.enum(['pending', 'all']).default('pending'),
});

const ReplayBody = z.strictObject({
  limit: z.number().int().min(1).max(100_000).optional(),
  /** Ids as the messages readout gives them (`<partition>:<offset>`); each must be waiting for a replay. */
  messageIds: z
    .array(z.string().regex(/^\d{1,6}:\d{1,19}$/, 'a message id is <partition>:<offset>'))
    .min(1)
    .max(500)
    .refine((ids) => new Set(ids).size === ids.length, 'message ids must not repeat')
    .optional(),
});

@ApiTags('operations')
@ApiBearerAuth()
@Roles('operator')
@Controller('operations')
export class OperationsController {
  constructor(
    private readonly sampler: TopicSampler,
    private readonly messaging: MessagingService,
    private readonly deadLetters: DeadLetters,
    private readonly queues: QueueReadouts,
    private readonly stream: OperationsStream,
    @Inject(METRICS_CONFIG) private readonly config: Config,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    @Inject(DataSource) private readonly ds: DataSource,
  ) {}

  /** Per topic: messages in and out per second over the last minute, and dead-letter depth. */
  @Get('topics')
  topics() {
    return this.sampler.readouts();
  }

  /** Consumer lag per group and partition (one group, or every known group). */
  @Get('lag')
  @ApiZodQuery(LagQuery)
  async lag(@Query(zodQuery(LagQuery)) q: z.output<typeof LagQuery>) {
    const groupIds = q.groupId ? [q.groupId] : this.config.KNOWN_GROUPS;
    const groups = await Promise.all(
      groupIds.map(async (groupId) => {
        const all = await consumerLag(this.messaging.kafka, groupId, this.physicalTopics());
        // A topic on which the group never committed is one it does not consume, not one it lags on.
        const consumed = new Set(all.filter((p) => p.committed !== '-1').map((p) => p.topic));
        const partitions = all.filter((p) => consumed.has(p.topic));
        return { groupId, totalLag: totalLag(partitions), partitions };
      }),
    );
    return { groups };
  }

  @Get('dlq')
  @ApiOperation({
    summary: 'Dead-letter topics: depth (not yet replayed), held, oldest waiting',
    description:
      'depth = Σ per partition of end offset − max(log start, committed offset of the replay group ' +
      '`hoso-dlq-replay.<physical dlq topic>`): exactly what a replay would send. held = end − log start.',
  })
  dlq() {
    return this.deadLetters.overview();
  }

  @Get('dlq/:topic/messages')
  @ApiOperation({ summary: 'Dead letters of one DLQ topic (e.g. dossier.submitted.v1.dlq), payload cut to 4 KiB' })
  @ApiZodQuery(DlqMessagesQuery)
  dlqMessages(@Param('topic') topic: string, @Query(zodQuery(DlqMessagesQuery)) q: z.output<typeof DlqMessagesQuery>) {
    return this.deadLetters.messages(topic, q);
  }

  @Post('dlq/:topic/replay')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send dead letters back to their original topics (all waiting, the first `limit`, or `messageIds`)',
  })
  @ApiZodBody(ReplayBody)
  async replay(
    @Param('topic') topic: string,
    @Body(zodBody(ReplayBody)) body: z.output<typeof ReplayBody>,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ) {
    const actor = { sub: user.sub, role: user.role };
    const what = body.messageIds ? `messages ${body.messageIds.join(',')}` : `limit ${body.limit ?? 'none'}`;
    // A replay moves messages through Kafka, not through this database: it is recorded in a short transaction of its
    // own right after it (a crash in between loses the record of a replay that happened; the replay group's
    // committed offsets still show it).
    let result: Awaited<ReturnType<DeadLetters['replay']>>;
    try {
      result = await this.deadLetters.replay(topic, body);
    } catch (e) {
      await recordAuditApart(this.ds, this.logger, {
        action: 'dlq.replay',
        outcome: 'failed',
        actor,
        resource: `dlq:${topic}`,
        reason: `${what}: ${e instanceof Error ? e.message : String(e)}`,
        correlationId,
      });
      throw e;
    }
    await recordAuditApart(
      this.ds,
      this.logger,
      {
        action: 'dlq.replay',
        outcome: 'allowed',
        actor,
        resource: `dlq:${topic}`,
        reason: `${what}: replayed ${result.replayed}`,
        correlationId,
      },
      { topic, ...(body.messageIds ? { messageIds: body.messageIds } : { limit: body.limit ?? null }) },
    );
    return result;
  }

  @Get('queues')
  @ApiOperation({ summary: 'BullMQ job counts of every queue under the configured queue prefixes' })
  queueCounts() {
    return this.queues.read();
  }

  @Get('stream')
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary: 'Server-Sent Events: `operations` and `rates` every OPS_STREAM_EVERY_MS, heartbeat comments',
  })
  openStream(@Res() res: Response): void {
    this.stream.start(res);
  }

  private physicalTopics(): string[] {
    return topicNames.map((t) => `${this.config.KAFKA_TOPIC_PREFIX}${t}`);
  }
}
