import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Where result documents live. Local directory in development; an object store plugs in behind this. */
export interface ResultStorage {
  put(id: string, bytes: Buffer): Promise<void>;
  get(id: string): Promise<Buffer | null>;
}

export const RESULT_STORAGE = Symbol('RESULT_STORAGE');

export class LocalResultStorage implements ResultStorage {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  private path(id: string): string {
    if (!/^[A-Za-z0-9-]+$/.test(id)) throw new Error(`bad result id ${id}`);
    return join(this.dir, `${id}.pdf`);
  }

  async put(id: string, bytes: Buffer): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.path(id), bytes);
  }

  async get(id: string): Promise<Buffer | null> {
    try {
      return await readFile(this.path(id));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }
}
