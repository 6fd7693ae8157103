import {
  BadRequestException,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Res,
  StreamableFile,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { AttachmentView } from '@hoso/api-types';
import { CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { audit, CorrelationId } from '@hoso/nest-kit';
import { mayRead } from '../dossiers/read-dossiers/read-dossiers.http.controller';
import { APP_LOGGER } from '../logger.token';
import { ATTACHMENT_STORAGE, type AttachmentStorage } from './attachment-storage';
import { contentDisposition } from './domain/content-disposition';
import { cleanFileName } from './domain/content-type';
import type { StoredUpload } from './streaming-upload';

interface AttachmentAccessRow {
  owner_sub: string;
  file_name: string;
  content_type: string;
  size_bytes: string;
  sha256: string;
  storage_key: string;
  dossier_id: string | null;
  applicant_personal_id: string | null;
  agency_code: string | null;
  handling_agency_code: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@ApiTags('attachments')
@Controller('attachments')
export class AttachmentsHttpController {
  constructor(
    private readonly ds: DataSource,
    @Inject(ATTACHMENT_STORAGE) private readonly storage: AttachmentStorage,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  /** Uploads one document (PDF, JPEG or PNG) for a later submission; it belongs to the uploader. */
  @Post()
  @HttpCode(201)
  @Roles('citizen', 'officer')
  @UseInterceptors(FileInterceptor('file'))
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } },
  })
  async upload(
    @UploadedFile() file: (Express.Multer.File & StoredUpload) | undefined,
    @CurrentUser() user: AuthUser,
  ): Promise<AttachmentView> {
    if (!file) throw new BadRequestException('a file is required in the multipart field "file"');
    const view: AttachmentView = {
      id: file.id,
      sha256: file.sha256,
      sizeBytes: file.size,
      contentType: file.detectedType,
      fileName: cleanFileName(Buffer.from(file.originalname, 'latin1').toString('utf8')),
    };
    try {
      await this.ds.query(
        `INSERT INTO attachments (id, owner_sub, file_name, content_type, size_bytes, sha256, storage_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [view.id, user.sub, view.fileName, view.contentType, view.sizeBytes, view.sha256, file.storageKey],
      );
    } catch (e) {
      await this.storage.delete(file.storageKey);
      throw e;
    }
    return view;
  }

  /**
   * The file's bytes as uploaded. Readable by its uploader and, once a dossier claimed it, by whoever may read that
   * dossier (its applicant, officers of its agency, operators). Anyone else gets the 404 of a missing attachment.
   */
  @Get(':id')
  @ApiOperation({ summary: 'Download an attachment (uploader; once attached: the dossier applicant and agency)' })
  @ApiProduces('application/pdf', 'image/jpeg', 'image/png')
  async download(
    @Param('id') id: string,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const [a] = UUID.test(id)
      ? await this.ds.query<AttachmentAccessRow[]>(
          `SELECT a.owner_sub, a.file_name, a.content_type, a.size_bytes, a.sha256, a.storage_key, a.dossier_id,
                  d.applicant_personal_id, d.agency_code, d.handling_agency_code
           FROM attachments a LEFT JOIN dossiers d ON d.id = a.dossier_id WHERE a.id = $1`,
          [id],
        )
      : [];
    if (!a) throw new NotFoundException('no such attachment');
    const dossier =
      a.applicant_personal_id !== null && a.agency_code !== null && a.handling_agency_code !== null
        ? {
            applicant_personal_id: a.applicant_personal_id,
            agency_code: a.agency_code,
            handling_agency_code: a.handling_agency_code,
          }
        : null;
    if (a.owner_sub !== user.sub && !(dossier && mayRead(user, dossier))) {
      // Same answer as a missing attachment: a caller must not learn that someone else's document exists.
      audit(this.logger, {
        action: 'attachment.read',
        outcome: 'denied',
        actor: { sub: user.sub, role: user.role },
        resource: `attachment:${id}`,
        reason: dossier ? 'not the uploader, the applicant nor an officer of the agency' : 'not the uploader',
        correlationId,
      });
      throw new NotFoundException('no such attachment');
    }
    // Opened before the headers go out: a missing file is a 500 with a log line, not a cut-off 200.
    const content = await this.storage.read(a.storage_key);
    res.setHeader('x-content-sha256', a.sha256.trim());
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'private, no-store');
    return new StreamableFile(content, {
      type: a.content_type,
      length: Number(a.size_bytes),
      disposition: contentDisposition(a.file_name),
    });
  }
}
