import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Where attachment bytes live; the database keeps only their metadata and checksum. */
export interface AttachmentStorage {
  /** Stores the stream under `key`; nothing is left under `key` when it fails. */
  write(key: string, content: Readable): Promise<void>;
  /** The stored bytes; resolves once they can be read, rejects when there is nothing under `key`. */
  read(key: string): Promise<Readable>;
  delete(key: string): Promise<void>;
}

export const ATTACHMENT_STORAGE = Symbol('ATTACHMENT_STORAGE');

const SAFE_KEY = /^[A-Za-z0-9-]{1,100}$/;

/** Files in one local directory (development, single-node); an object store would implement the same interface. */
export class LocalDirectoryStorage implements AttachmentStorage {
  private readonly dir: string;
  private ready: Promise<unknown> | null = null;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  async write(key: string, content: Readable): Promise<void> {
    const path = this.pathOf(key);
    this.ready ??= mkdir(this.dir, { recursive: true });
    await this.ready;
    // Written under a temporary name and renamed, so a reader never sees half a file.
    const temp = `${path}.part`;
    try {
      await pipeline(content, createWriteStream(temp, { flags: 'wx' }));
      await rename(temp, path);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
  }

  async read(key: string): Promise<Readable> {
    const stream = createReadStream(this.pathOf(key));
    // Opened before the caller sends anything: a missing file fails here, not halfway through a response.
    await once(stream, 'ready');
    return stream;
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  private pathOf(key: string): string {
    if (!SAFE_KEY.test(key)) throw new Error(`invalid storage key ${JSON.stringify(key)}`);
    return join(this.dir, key);
  }
}
