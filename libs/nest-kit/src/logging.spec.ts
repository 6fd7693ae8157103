import { Writable } from 'node:stream';
import { Controller, Get, InternalServerErrorException, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import request from 'supertest';
import { loggingModule, requestLogLevel } from './logging';

@Controller()
class ProbeController {
  @Get('ok')
  ok() {
    return { ok: true };
  }

  @Get('broken')
  broken() {
    throw new InternalServerErrorException('broken');
  }
}

describe('request logging', () => {
  const quiet = { isLevelEnabled: (level: string) => level !== 'debug' };
  const verbose = { isLevelEnabled: () => true };

  it('logs errors, refusals and slow requests, and successes only at debug', () => {
    expect(requestLogLevel(quiet, 200, false, 5, 1000)).toBe('silent');
    expect(requestLogLevel(verbose, 200, false, 5, 1000)).toBe('debug');
    expect(requestLogLevel(quiet, 202, false, 1500, 1000)).toBe('info');
    expect(requestLogLevel(quiet, 404, false, 5, 1000)).toBe('warn');
    expect(requestLogLevel(quiet, 503, false, 5, 1000)).toBe('error');
    expect(requestLogLevel(quiet, 200, true, 5, 1000)).toBe('error');
  });

  async function appLogging(level: string): Promise<{ app: INestApplication; lines: Record<string, unknown>[] }> {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
        cb();
      },
    });
    const logger = pino({ level }, sink);
    const moduleRef = await Test.createTestingModule({
      imports: [loggingModule(logger, { slowRequestMs: 60_000 })],
      controllers: [ProbeController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return { app, lines };
  }

  it('writes nothing for a successful request at info, and the failed one with its correlation id', async () => {
    const { app, lines } = await appLogging('info');
    try {
      const server = app.getHttpServer() as Parameters<typeof request>[0];
      await request(server).get('/ok').set('X-Correlation-Id', 'quiet-1').expect(200);
      await request(server).get('/broken').set('X-Correlation-Id', 'loud-1').expect(500);
      expect(lines.filter((l) => l['correlationId'] === 'quiet-1')).toEqual([]);
      expect(lines.filter((l) => l['correlationId'] === 'loud-1')).toEqual([
        expect.objectContaining({ level: 50, res: { statusCode: 500 } }),
      ]);
    } finally {
      await app.close();
    }
  });

  it('writes every request at debug, with its correlation id', async () => {
    const { app, lines } = await appLogging('debug');
    try {
      await request(app.getHttpServer() as Parameters<typeof request>[0])
        .get('/ok')
        .set('X-Correlation-Id', 'seen-1')
        .expect(200);
      expect(lines.filter((l) => l['correlationId'] === 'seen-1')).toEqual([
        expect.objectContaining({ level: 20, req: { method: 'GET', url: '/ok' }, res: { statusCode: 200 } }),
      ]);
    } finally {
      await app.close();
    }
  });
});
