import { Module, type DynamicModule } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { ATTACHMENT_STORAGE, LocalDirectoryStorage, type AttachmentStorage } from './attachment-storage';
import { AttachmentsHttpController } from './attachments.http.controller';
import { StreamingUploadEngine } from './streaming-upload';

export interface AttachmentsOptions {
  maxBytes: number;
  directory: string;
}

@Module({})
export class AttachmentsModule {
  static forRoot(options: AttachmentsOptions): DynamicModule {
    const storage: AttachmentStorage = new LocalDirectoryStorage(options.directory);
    return {
      module: AttachmentsModule,
      imports: [
        MulterModule.register({
          storage: new StreamingUploadEngine(storage),
          // One file and no other parts: a multipart body cannot smuggle fields or many files.
          limits: { fileSize: options.maxBytes, files: 1, fields: 0, parts: 1 },
        }),
      ],
      controllers: [AttachmentsHttpController],
      providers: [{ provide: ATTACHMENT_STORAGE, useValue: storage }],
      exports: [ATTACHMENT_STORAGE],
    };
  }
}
