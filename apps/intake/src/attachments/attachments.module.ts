import { Module, UnauthorizedException, type DynamicModule } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import type { Request } from 'express';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { AuthUser } from '@hoso/auth';
import { MetricsService } from '@hoso/nest-kit';
import type { Config } from '../config';
import { APP_LOGGER } from '../logger.token';
import { AttachmentPurge } from './attachment-purge';
import { ATTACHMENT_STORAGE, LocalDirectoryStorage, type AttachmentStorage } from './attachment-storage';
import { AttachmentsHttpController } from './attachments.http.controller';
import { StreamingUploadEngine, type UploadGate } from './streaming-upload';
import { UploadQuota } from './upload-quota';

/** The settings of uploads, their quota and the purge (see config.ts). */
export type AttachmentsOptions = Pick<
  Config,
  | 'ATTACHMENT_MAX_BYTES'
  | 'ATTACHMENT_DIR'
  | 'ATTACHMENT_QUOTA_BYTES'
  | 'ATTACHMENT_QUOTA_FILES'
  | 'ATTACHMENT_UNATTACHED_TTL_SEC'
  | 'ATTACHMENT_PURGE_EVERY_SEC'
  | 'ATTACHMENT_PURGE_BATCH'
>;

@Module({})
class UploadQuotaModule {}

/** The quota as the upload engine sees it: the caller's headroom, checked before anything is stored. */
function quotaGate(quota: UploadQuota): UploadGate {
  return async (req: Request) => {
    // The global auth guard runs before the upload interceptor, so an upload always has its caller here.
    const user = (req as Request & { user?: AuthUser }).user;
    if (!user) throw new UnauthorizedException('authentication required');
    const headroom = await quota.headroom(user.sub);
    return { maxBytes: headroom.bytes, refusal: (seen) => quota.refusalPast(headroom.usage, seen) };
  };
}

@Module({})
export class AttachmentsModule {
  static forRoot(options: AttachmentsOptions): DynamicModule {
    const storage: AttachmentStorage = new LocalDirectoryStorage(options.ATTACHMENT_DIR);
    // One module object imported twice (here and by the multipart engine's factory) is one instance: the
    // controller and the engine share the quota, whose metrics may be registered only once.
    const quotaModule: DynamicModule = {
      module: UploadQuotaModule,
      providers: [
        {
          provide: UploadQuota,
          inject: [DataSource, MetricsService],
          useFactory: (ds: DataSource, metrics: MetricsService) =>
            new UploadQuota(ds, metrics, {
              maxFiles: options.ATTACHMENT_QUOTA_FILES,
              maxBytes: options.ATTACHMENT_QUOTA_BYTES,
              retentionSec: options.ATTACHMENT_UNATTACHED_TTL_SEC,
            }),
        },
      ],
      exports: [UploadQuota],
    };
    return {
      module: AttachmentsModule,
      imports: [
        quotaModule,
        MulterModule.registerAsync({
          imports: [quotaModule],
          inject: [UploadQuota],
          useFactory: (quota: UploadQuota) => ({
            storage: new StreamingUploadEngine(storage, quotaGate(quota)),
            // One file and no other parts: a multipart body cannot smuggle fields or many files.
            limits: { fileSize: options.ATTACHMENT_MAX_BYTES, files: 1, fields: 0, parts: 1 },
          }),
        }),
      ],
      controllers: [AttachmentsHttpController],
      providers: [
        { provide: ATTACHMENT_STORAGE, useValue: storage },
        {
          provide: AttachmentPurge,
          inject: [DataSource, APP_LOGGER, MetricsService],
          useFactory: (ds: DataSource, logger: Logger, metrics: MetricsService) =>
            new AttachmentPurge(ds, storage, logger, metrics, {
              retentionSec: options.ATTACHMENT_UNATTACHED_TTL_SEC,
              everyMs: options.ATTACHMENT_PURGE_EVERY_SEC * 1000,
              batchSize: options.ATTACHMENT_PURGE_BATCH,
            }),
        },
      ],
      exports: [ATTACHMENT_STORAGE],
    };
  }
}
