import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { CorrelationId } from '@hoso/nest-kit';
import { PublishSnapshots } from './snapshot.handler';

@ApiTags('snapshots')
@ApiBearerAuth()
@Controller('snapshots')
export class SnapshotsController {
  constructor(private readonly snapshots: PublishSnapshots) {}

  /** Publishes the current month's completion-rate snapshots now (besides the schedule); audited. */
  @Post()
  @HttpCode(202)
  @Roles('operator')
  publish(@CurrentUser() user: AuthUser, @CorrelationId() correlationId: string) {
    return this.snapshots.run(correlationId, { sub: user.sub, role: user.role });
  }
}
