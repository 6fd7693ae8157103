import { Body, Controller, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { ApiZodBody, CorrelationId, zodBody } from '@hoso/nest-kit';
import { AttachSupplementHandler } from './attach-supplement.handler';
import { AttachSupplementBody, type AttachSupplementAnswer } from './attach-supplement.request';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@ApiTags('dossiers')
@Controller('dossiers')
export class AttachSupplementHttpController {
  constructor(private readonly handler: AttachSupplementHandler) {}

  /**
   * The applicant adds uploaded documents to the dossier in answer to a supplement request (409 in any other
   * status). Answers with the dossier's documents; repeating the request changes nothing.
   */
  @Post(':id/attachments')
  @HttpCode(200)
  @Roles('citizen')
  @ApiOperation({ summary: 'Add supplement documents to a dossier (the applicant, while a supplement is requested)' })
  @ApiZodBody(AttachSupplementBody)
  attach(
    @Param('id') id: string,
    @Body(zodBody(AttachSupplementBody)) body: AttachSupplementBody,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ): Promise<AttachSupplementAnswer> {
    if (!UUID.test(id)) throw new NotFoundException('no such dossier');
    return this.handler.attach(id, body.attachmentIds, user, correlationId);
  }
}
