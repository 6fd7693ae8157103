import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { UnsupportedMediaTypeException } from '@nestjs/common';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { v7 as uuidv7 } from 'uuid';
import type { AttachmentStorage } from './attachment-storage';
import { acceptContentType, SNIFF_BYTES, type AllowedContentType } from './domain/content-type';

/** What the storage engine adds to multer's file object. */
export interface StoredUpload {
  id: string;
  storageKey: string;
  sha256: string;
  size: number;
  detectedType: AllowedContentType;
}

/**
 * Hashes and measures the bytes as they pass, and checks the magic bytes as soon as enough have arrived, so a
 * file of the wrong type is refused (415) without being stored and without buffering the file in memory.
 */
class InspectingStream extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  detectedType: AllowedContentType | null = null;
  private head = Buffer.alloc(0);

  constructor(private readonly declaredType: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    if (this.detectedType === null) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, SNIFF_BYTES)]).subarray(0, SNIFF_BYTES);
      if (this.head.length >= SNIFF_BYTES) {
        const error = this.inspect();
        if (error) {
          callback(error);
          return;
        }
      }
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.detectedType === null ? this.inspect() : null);
  }

  private inspect(): Error | null {
    const verdict = acceptContentType(this.declaredType, this.head);
    if (!verdict.ok) return new UnsupportedMediaTypeException(verdict.reason);
    this.detectedType = verdict.contentType;
    return null;
  }
}

/** A multer storage engine that streams each upload into an AttachmentStorage. */
export class StreamingUploadEngine implements StorageEngine {
  constructor(private readonly storage: AttachmentStorage) {}

  _handleFile(
    _req: Request,
    file: Express.Multer.File,
    callback: (error?: unknown, info?: Partial<Express.Multer.File> & StoredUpload) => void,
  ): void {
    const id = uuidv7();
    const inspector = new InspectingStream(file.mimetype);
    file.stream.pipe(inspector);
    inspector.on('error', () => {
      // Keep draining the part so the multipart parser can finish and the error is answered.
      file.stream.unpipe(inspector);
      file.stream.resume();
    });
    this.storage.write(id, inspector).then(
      () => {
        const detectedType = inspector.detectedType;
        if (detectedType === null) {
          // Cannot happen (the stream fails before it ends without a type); never keep an unchecked file.
          void this.storage.delete(id).finally(() => {
            callback(new UnsupportedMediaTypeException('the file type could not be determined'));
          });
          return;
        }
        callback(null, {
          id,
          storageKey: id,
          sha256: inspector.hash.digest('hex'),
          size: inspector.size,
          detectedType,
        });
      },
      (e: unknown) => {
        callback(e);
      },
    );
  }

  _removeFile(
    _req: Request,
    file: Express.Multer.File & Partial<StoredUpload>,
    callback: (error: Error | null) => void,
  ): void {
    if (!file.storageKey) {
      callback(null);
      return;
    }
    this.storage.delete(file.storageKey).then(
      () => {
        callback(null);
      },
      (e: unknown) => {
        callback(e instanceof Error ? e : new Error(String(e)));
      },
    );
  }
}
