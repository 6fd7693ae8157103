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

/** What an upload may be, decided before any of it is stored. */
export interface UploadAllowance {
  /** The most bytes this upload may have (beyond the multipart size limit, which multer enforces). */
  maxBytes: number;
  /** The error that refuses an upload cut after `seenBytes` (more than `maxBytes`). */
  refusal(seenBytes: number): Error;
}

/** Decides, per request and before the stream is stored, whether and how much of an upload may be stored. */
export type UploadGate = (req: Request) => Promise<UploadAllowance>;

/**
 * Hashes and measures the bytes as they pass, and checks the magic bytes as soon as enough have arrived, so a
 * file of the wrong type is refused (415) without being stored and without buffering the file in memory. A file
 * that grows past its allowance is cut there (the refusal fails the write, which removes what was written).
 */
class InspectingStream extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  detectedType: AllowedContentType | null = null;
  private head = Buffer.alloc(0);

  constructor(
    private readonly declaredType: string,
    private readonly allowance: UploadAllowance | null,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    if (this.allowance && this.size > this.allowance.maxBytes) {
      callback(this.allowance.refusal(this.size));
      return;
    }
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

/**
 * A multer storage engine that streams each upload into an AttachmentStorage, after the gate (when there is one)
 * has admitted it.
 */
export class StreamingUploadEngine implements StorageEngine {
  constructor(
    private readonly storage: AttachmentStorage,
    private readonly gate?: UploadGate,
  ) {}

  _handleFile(
    req: Request,
    file: Express.Multer.File,
    callback: (error?: unknown, info?: Partial<Express.Multer.File> & StoredUpload) => void,
  ): void {
    if (!this.gate) {
      this.store(file, null, callback);
      return;
    }
    this.gate(req).then(
      (allowance) => {
        this.store(file, allowance, callback);
      },
      (e: unknown) => {
        // Refused before a byte was stored; the part is drained so the multipart parser finishes and answers.
        file.stream.resume();
        callback(e);
      },
    );
  }

  private store(
    file: Express.Multer.File,
    allowance: UploadAllowance | null,
    callback: (error?: unknown, info?: Partial<Express.Multer.File> & StoredUpload) => void,
  ): void {
    const id = uuidv7();
    const inspector = new InspectingStream(file.mimetype, allowance);
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
