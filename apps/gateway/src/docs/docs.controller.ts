import { dirname } from 'node:path';
import { Controller, Get, Header, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import type { OpenApiDocument } from '../domain/openapi-merge';
import { DocsService } from './docs.service';

/** swagger-ui's browser files, shipped with @nestjs/swagger. */
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/swagger-ui-bundle.js'));
const ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png']);

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>hoso API</title>
    <link rel="stylesheet" href="/api/docs/assets/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/api/docs/assets/favicon-32x32.png" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/api/docs/init.js"></script>
  </body>
</html>
`;

// A file of its own: the content security policy admits no inline script.
const INIT = `window.ui = SwaggerUIBundle({
  url: '/api/docs/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
  validatorUrl: null,
});
`;

/** `/api/docs`: one OpenAPI page for every service, as reached through the gateway. */
@ApiExcludeController()
@Controller('api/docs')
export class DocsController {
  constructor(@Inject(DocsService) private readonly docs: DocsService) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-cache')
  page(): string {
    return PAGE;
  }

  @Get('init.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'no-cache')
  init(): string {
    return INIT;
  }

  @Get('openapi.json')
  @Header('cache-control', 'no-cache')
  openapi(): Promise<OpenApiDocument> {
    return this.docs.document();
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    if (!ASSETS.has(file)) throw new NotFoundException(`no asset ${file}`);
    res.sendFile(file, { root: SWAGGER_UI_DIR, maxAge: '1d' });
  }
}
