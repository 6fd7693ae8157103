import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Run from the workspace root by Nx; paths are resolved against this folder.
const here = resolve(__dirname);
const workspace = resolve(here, '../..');

/**
 * Where /api goes in development: the gateway (which strips the service prefix) by default, or PORTAL_API_TARGET.
 * PORTAL_DIRECT sends each prefix straight to its service instead, for working on the portal without a gateway:
 * `1` for the services' default ports, or a list such as `identity=3102,intake=3101,payment=3103,cases=3104`.
 */
const gateway = process.env['PORTAL_API_TARGET'] ?? 'http://127.0.0.1:3000';
const defaults: Record<string, number> = { identity: 3002, intake: 3001, payment: 3003, cases: 3004, metrics: 3005 };
const directSetting = process.env['PORTAL_DIRECT'];
const direct: Record<string, number> =
  directSetting && directSetting !== '1'
    ? {
        ...defaults,
        ...Object.fromEntries(
          directSetting.split(',').map((pair) => {
            const [prefix = '', port = ''] = pair.split('=');
            return [prefix.trim(), Number(port)];
          }),
        ),
      }
    : defaults;
const proxy = directSetting
  ? Object.fromEntries(
      Object.entries(direct).map(([prefix, port]) => [
        `/api/${prefix}`,
        {
          target: `http://127.0.0.1:${port}`,
          changeOrigin: true,
          rewrite: (p: string) => p.slice(`/api/${prefix}`.length) || '/',
        },
      ]),
    )
  : { '/api': { target: gateway, changeOrigin: false } };

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  resolve: {
    // The shared libraries (pure TypeScript) come from the workspace, as in tsconfig.base.json: the e-form rules,
    // the rate names, and the services' response types (type-only: nothing of it reaches the bundle).
    alias: {
      '@hoso/e-forms': resolve(workspace, 'libs/e-forms/src/index.ts'),
      '@hoso/rates': resolve(workspace, 'libs/rates/src/index.ts'),
      '@hoso/api-types': resolve(workspace, 'libs/api-types/src/index.ts'),
    },
  },
  server: { host: '127.0.0.1', port: 4200, strictPort: true, proxy },
  preview: { host: '127.0.0.1', port: 4300, strictPort: true, proxy },
  build: {
    outDir: resolve(workspace, 'dist/apps/portal'),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    chunkSizeWarningLimit: 800,
  },
});
