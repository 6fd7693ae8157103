import { BadRequestException, Controller, HttpCode, Inject, Post, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { ATTACHMENT_STORAGE, type AttachmentStorage } from './attachment-storage';
import { cleanFileName } from './domain/content-type';
import type { StoredUpload } from './streaming-upload';

export interface AttachmentView {
  id: string;
  sha256: string;
  sizeBytes: number;
  contentType: string;
  fileName: string;
}

@ApiTags('attachments')
@Controller('attachments')
export class AttachmentsHttpController {
  constructor(
    private readonly ds: DataSource,
    @Inject(ATTACHMENT_STORAGE) private readonly storage: AttachmentStorage,
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
}
