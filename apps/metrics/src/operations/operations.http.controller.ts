import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '@hoso/auth';
import { topicNames } from '@hoso/contracts';
import { consumerLag, MessagingService, totalLag } from '@hoso/messaging';
import { ApiZodQuery, zodQuery } from '@hoso/nest-kit';
import type { Config } from '../config';
import { METRICS_CONFIG } from '../tokens';
import { TopicSampler } from './topic-sampler';

const LagQuery = z.strictObject({ groupId: z.string().min(1).max(200).optional() });

@ApiTags('operations')
@ApiBearerAuth()
@Roles('operator')
@Controller('operations')
export class OperationsController {
  constructor(
    private readonly sampler: TopicSampler,
    private readonly messaging: MessagingService,
    @Inject(METRICS_CONFIG) private readonly config: Config,
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

  private physicalTopics(): string[] {
    return topicNames.map((t) => `${this.config.KAFKA_TOPIC_PREFIX}${t}`);
  }
}
