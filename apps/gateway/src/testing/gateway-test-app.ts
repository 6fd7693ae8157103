import { Writable } from 'node:stream';
import type { NestExpressApplication } from '@nestjs/platform-express';
import pino from 'pino';
import { createGatewayApp } from '../app';
import { loadConfig, type Config } from '../config';

export interface GatewayTestApp {
  app: NestExpressApplication;
  config: Config;
  url: string;
  /** JSON log lines at warn and above, for assertions on what the gateway reported. */
  warnings: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A gateway in this process on a free port of 127.0.0.1, configured from `env` like `main.ts` does. */
export async function startGateway(env: Record<string, string>): Promise<GatewayTestApp> {
  const config = loadConfig({ LOG_LEVEL: 'warn', ...env });
  const warnings: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) warnings.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  const logger = pino({ name: 'gateway', level: 'warn', base: { service: 'gateway' } }, sink);
  const app = await createGatewayApp(config, logger);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    config,
    url,
    warnings,
    close: () => app.close(),
  };
}

/** Fetch with a bearer token (or none). */
export function call(url: string, token: string | null, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  return fetch(url, { ...init, headers });
}
