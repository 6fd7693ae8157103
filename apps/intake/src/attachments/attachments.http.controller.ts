import {
  BadRequestException,
  ConflictException,
  Controller,
  Delete,
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
import { CorrelationId, recordAuditApart } from '@hoso/nest-kit';
import { mayRead } from '../dossiers/read-dossiers/read-dossiers.http.controller';
import { APP_LOGGER } from '../logger.token';
import { ATTACHMENT_STORAGE, type AttachmentStorage } from './attachment-storage';
import { contentDisposition } from './domain/content-disposition';
import { cleanFileName } from './domain/content-type';
import type { StoredUpload } from './streaming-upload';
import { UploadQuota } from './upload-quota';

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
    @Inject(UploadQuota) private readonly quota: UploadQuota,
  ) {}

  /**
   * Uploads one document (PDF, JPEG or PNG) for a later submission; it belongs to the uploader. Until a dossier
   * claims it, it counts against the uploader's quota of unattached uploads (409 past it) and is deleted once it is
   * older than the retention period.
   */
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
      // The quota decides on the final size, serialised against the same user's other uploads.
      await this.quota.insert({
        id: view.id,
        ownerSub: user.sub,
        fileName: view.fileName,
        contentType: view.contentType,
        sizeBytes: view.sizeBytes,
        sha256: view.sha256,
        storageKey: file.storageKey,
      });
    } catch (e) {
      // Refused or failed: no row was written, so the file goes too.
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
      // The request fails with a 404 (its transaction, if any, rolls back): the refusal is recorded in a short
      // transaction of its own.
      await recordAuditApart(this.ds, this.logger, {
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
    const content = await this.storage.read(a.storage_key).catch(async (e: unknown) => {
      // Deleted (purged, or by its owner) between the row's read and the file's: the 404 it now is.
      if (isMissingFile(e) && !(await this.exists(id))) throw new NotFoundException('no such attachment');
      throw e;
    });
    res.setHeader('x-content-sha256', a.sha256.trim());
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'private, no-store');
    return new StreamableFile(content, {
      type: a.content_type,
      length: Number(a.size_bytes),
      disposition: contentDisposition(a.file_name),
    });
  }

  /**
   * Deletes one of the caller's uploads that no dossier has claimed, freeing its share of the quota. A document a
   * dossier holds is part of that dossier and stays (409); anyone else's, or an unknown id, is the 404 of a missing
   * attachment.
   */
  @Delete(':id')
  @HttpCode(204)
  @Roles('citizen', 'officer')
  @ApiOperation({ summary: 'Delete an own upload not attached to a dossier' })
  async remove(@Param('id') id: string, @CurrentUser() user: AuthUser): Promise<void> {
    if (!UUID.test(id)) throw new NotFoundException('no such attachment');
    // The row's delete and the queued file removal commit together; a claim holding the row wins (it is attached).
    const gone = await this.ds.query<{ storage_key: string }[]>(
      `WITH gone AS (
         DELETE FROM attachments WHERE id = $1 AND owner_sub = $2 AND dossier_id IS NULL RETURNING storage_key, size_bytes
       )
       INSERT INTO attachment_file_deletions (storage_key, size_bytes) SELECT storage_key, size_bytes FROM gone
       ON CONFLICT (storage_key) DO NOTHING
       RETURNING storage_key`,
      [id, user.sub],
    );
    if (gone.length === 0) {
      const [held] = await this.ds.query<{ dossier_id: string | null }[]>(
        `SELECT dossier_id FROM attachments WHERE id = $1 AND owner_sub = $2`,
        [id, user.sub],
      );
      if (held?.dossier_id) {
        throw new ConflictException('this document is attached to a dossier and stays with it; it cannot be deleted');
      }
      throw new NotFoundException('no such attachment');
    }
    const key = gone[0]?.storage_key ?? '';
    try {
      await this.storage.delete(key);
      await this.ds.query(`DELETE FROM attachment_file_deletions WHERE storage_key = $1`, [key]);
    } catch (err) {
      // The row is gone and the key queued: the next purge run removes the file.
      this.logger.warn({ err, storageKey: key }, 'could not remove a deleted upload’s file at once; the purge will');
    }
  }

  private async exists(id: string): Promise<boolean> {
    const rows = await this.ds.query<unknown[]>(`SELECT 1 FROM attachments WHERE id = $1`, [id]);
    return rows.length > 0;
  }
}

function isMissingFile(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === 'ENOENT';
}
