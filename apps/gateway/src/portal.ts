import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Request, Response } from 'express';
import { sendProblem } from './problem';

/** Vite's output: `assets/<name>-<8-char hash>.<ext>`; a hashed name never changes content. */
const HASHED = /(^\/assets\/)|([-.][A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$)/;

/**
 * The built portal: files from `PORTAL_DIR`, and `index.html` for every other page navigation (the portal routes
 * in the browser). Hashed assets are cached for a year as immutable; `index.html` is revalidated on every load
 * so a new release is picked up at once.
 */
export class Portal {
  private readonly dir: string;

  constructor(
    private readonly configuredDir: string,
    cwd = process.cwd(),
  ) {
    this.dir = resolve(cwd, configuredDir);
  }

  handle(req: Request, res: Response, correlationId: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendProblem(res, 404, `no endpoint ${req.method} ${req.path}`, correlationId);
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(req.path);
    } catch {
      sendProblem(res, 400, 'malformed percent-encoding in the path', correlationId);
      return;
    }
    if (path === '/' || path === '/index.html') {
      void this.sendIndex(res);
      return;
    }
    const hashed = HASHED.test(path);
    res.sendFile(
      path,
      {
        root: this.dir,
        dotfiles: 'ignore',
        ...(hashed
          ? { maxAge: '365d', immutable: true }
          : { cacheControl: false, headers: { 'cache-control': 'no-cache' } }),
      },
      (err?: Error & { status?: number; statusCode?: number }) => {
        if (!err || res.headersSent) return;
        const status = err.status ?? err.statusCode ?? 500;
        // A page of the portal (not a file): the browser navigates, so it asks for HTML.
        if ((status === 404 || (err as NodeJS.ErrnoException).code === 'EISDIR') && this.wantsPage(req)) {
          void this.sendIndex(res);
          return;
        }
        sendProblem(res, status === 500 ? 404 : status, `no file ${path}`, correlationId);
      },
    );
  }

  /** Only page navigations fall back to index.html; a missing script must stay a 404, not become HTML. */
  private wantsPage(req: Request): boolean {
    return String(req.headers.accept).includes('text/html') && !req.path.startsWith('/assets/');
  }

  private async sendIndex(res: Response): Promise<void> {
    const index = join(this.dir, 'index.html');
    const exists = await stat(index).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!exists) {
      res
        .status(503)
        .type('text/plain')
        .set('cache-control', 'no-store')
        .send(
          `The hoso portal is not built: there is no index.html in PORTAL_DIR (${this.configuredDir}). ` +
            'Build the portal into that folder, or point PORTAL_DIR at it; the API under /api works meanwhile.\n',
        );
      return;
    }
    res.sendFile(index, { cacheControl: false, headers: { 'cache-control': 'no-cache' } });
  }
}
