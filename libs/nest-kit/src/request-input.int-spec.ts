/**
 * What every request of a service built by createServiceApp goes through before a handler: one error shape for
 * every refusal (body parser's included), bodies only where a handler reads one and of the type it reads, no
 * control characters in any text of the path, query or body, and Retry-After on every error that says when to
 * come back.
 */
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  Module,
  Param,
  Post,
  Query,
  Req,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { z } from 'zod';
import { AuthModule, Public, Roles } from '@hoso/auth';
import { createTestIssuer, type TestIssuer } from '@hoso/auth/testing';
import { createRootLogger, createServiceApp, loggingModule, MetricsModule, zodBody, zodQuery } from './index';

const Note = z.strictObject({
  title: z.string().min(1).max(200),
  text: z.string().max(5000).optional(),
  tags: z.array(z.string().max(50)).max(10).optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
});
const Search = z.strictObject({ q: z.string().max(100).optional() });

/** Every handler echoes what it got, so a test sees exactly what passed the checks. */
@Controller('notes')
class NotesController {
  @Public()
  @Post()
  @HttpCode(201)
  create(@Body(zodBody(Note)) body: z.output<typeof Note>) {
    return { created: body };
  }

  @Public()
  @Get()
  search(@Query(zodQuery(Search)) q: z.output<typeof Search>) {
    return { q: q.q ?? null };
  }

  /** A plain parameter, no schema: what handlers read as `@Param('id')` and pass to SQL as it is. */
  @Public()
  @Get(':id')
  read(@Param('id') id: string) {
    return { id };
  }

  @Public()
  @Post(':id/archive')
  @HttpCode(200)
  archive(@Param('id') id: string) {
    return { archived: id };
  }

  @Roles('officer')
  @Post(':id/lock')
  @HttpCode(200)
  lock(@Param('id') id: string) {
    return { locked: id };
  }

  /** Reads the request itself (as a signed callback does): its body is its own business. */
  @Public()
  @Post('raw/hook')
  @HttpCode(200)
  hook(@Req() req: { body?: unknown }) {
    return { bodyType: typeof req.body };
  }

  @Public()
  @Post('files/upload')
  @HttpCode(201)
  @UseInterceptors(FileInterceptor('file'))
  upload(@UploadedFile() file: { size: number } | undefined) {
    return { size: file?.size ?? null };
  }

  @Public()
  @Post('limited/try')
  limited(): never {
    throw new HttpException(
      { statusCode: 429, error: 'Too Many Requests', message: 'slow down', retryAfterSec: 41.2 },
      429,
    );
  }
}

interface Problem {
  statusCode: number;
  error: string;
  message: string;
  issues?: { path: string; code: string }[];
  correlationId: string;
}

describe('nest-kit: the input every request must satisfy', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let url = '';

  beforeAll(async () => {
    issuer = await createTestIssuer();
    const logger = createRootLogger('input-test', 'silent');
    @Module({
      imports: [
        loggingModule(logger),
        MetricsModule.forRoot('input-test'),
        AuthModule.forRoot({ jwks: issuer.jwksUrl }),
      ],
      controllers: [NotesController],
    })
    class AppModule {}
    app = await createServiceApp(AppModule, { name: 'input-test', title: 'input', description: 'test', logger });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer() as { address(): AddressInfo }).address().port}`;
  });

  afterAll(async () => {
    await app.close();
    await issuer.close();
  });

  const postJson = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  /** The answer must be the common error shape, with the correlation id of the response header. */
  async function problem(res: Response, status: number): Promise<Problem> {
    const body = (await res.json()) as Problem;
    expect({ status: res.status, body }).toMatchObject({ status, body: { statusCode: status } });
    expect(typeof body.error).toBe('string');
    expect(typeof body.message).toBe('string');
    expect(body.correlationId).toMatch(/^[\w.:-]+$/);
    expect(res.headers.get('x-correlation-id')).toBe(body.correlationId);
    return body;
  }

  describe('text that cannot be stored', () => {
    it('refuses U+0000 in a body field with 400 naming the field', async () => {
      const res = await postJson('/notes', JSON.stringify({ title: 'a\u0000b' }), { 'x-correlation-id': 'nul-1' });
      const body = await problem(res, 400);
      expect(body.correlationId).toBe('nul-1');
      expect(body.message).toMatch(/^Invalid request body: title: contains the control character U\+0000/);
      expect(body.issues).toEqual([expect.objectContaining({ path: 'title', code: 'invalid_characters' })]);
    });

    it('names nested fields, array items and field names', async () => {
      const deep = await problem(
        await postJson('/notes', JSON.stringify({ title: 'ok', tags: ['fine', 'x\u0007y'], extra: { 'k\u0000': 1 } })),
        400,
      );
      expect(deep.issues?.map((i) => i.path)).toEqual(['tags.1', 'extra.k\\u0000']);
    });

    it('refuses the other control characters and lone surrogates, and keeps tab, line feed and carriage return', async () => {
      for (const bad of ['\u0001', '\u001b[31m', '\u007f', '\u0085', '\ud800', 'x\udc00']) {
        const res = await postJson('/notes', JSON.stringify({ title: 'ok', text: `before${bad}after` }));
        expect((await problem(res, 400)).issues?.[0]?.path).toBe('text');
      }
      const ok = await postJson('/notes', JSON.stringify({ title: 'Đơn xin\tcấp', text: 'dòng 1\r\ndòng 2\n😀' }));
      expect(ok.status).toBe(201);
      expect(await ok.json()).toEqual({ created: { title: 'Đơn xin\tcấp', text: 'dòng 1\r\ndòng 2\n😀' } });
    });

    it('refuses them in path parameters read without a schema, and in the query', async () => {
      expect((await problem(await fetch(`${url}/notes/abc%00def`), 400)).message).toMatch(
        /^Invalid request params: id: contains the control character U\+0000/,
      );
      expect((await problem(await fetch(`${url}/notes?q=x%00`), 400)).message).toMatch(
        /^Invalid request query: q: contains the control character U\+0000/,
      );
      // Unknown query parameters are checked too: the check does not depend on the schema.
      expect((await problem(await fetch(`${url}/notes/n1?other=%1f`), 400)).issues?.[0]?.path).toBe('other');
      expect(await (await fetch(`${url}/notes/n%C3%A1%201`)).json()).toEqual({ id: 'ná 1' });
    });

    it('refuses nesting deeper than 32 levels before any schema sees it', async () => {
      // Written out: JSON.stringify itself overflows the stack on such a value, as a service's logger would.
      const nested = `${'{"a":'.repeat(20_000)}"leaf"${'}'.repeat(20_000)}`;
      const body = await problem(await postJson('/notes', `{"title":"ok","extra":${nested}}`), 400);
      expect(body.issues?.[0]).toMatchObject({ code: 'too_deep' });
    });

    it('leaves authentication first: an anonymous caller gets 401, not a verdict on its input', async () => {
      const res = await fetch(`${url}/notes/a%00/lock`, { method: 'POST' });
      await problem(res, 401);
    });
  });

  describe('bodies and their types', () => {
    it('answers malformed JSON in the common shape with the correlation id', async () => {
      const res = await postJson('/notes', '{"title":', { 'x-correlation-id': 'bad-json-7' });
      const body = await problem(res, 400);
      expect(body.correlationId).toBe('bad-json-7');
      expect(body.message).toMatch(/^the request body is not valid JSON/);
      // Not an object or array at the top (the parser's strict mode).
      await problem(await postJson('/notes', '"just a string"'), 400);
    });

    it('answers 415 for a body that is not JSON where JSON is expected (text/plain, form, none declared)', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const res = await fetch(`${url}/notes`, {
          method: 'POST',
          headers: { 'content-type': type },
          body: '{"title":"ok"}',
        });
        expect((await problem(res, 415)).message).toBe(`the request body must be application/json (got ${type})`);
      }
      const untyped = await fetch(`${url}/notes`, { method: 'POST', body: new Uint8Array([123, 125]) });
      expect((await problem(untyped, 415)).message).toMatch(/no Content-Type/);
      // A +json type is JSON.
      const merge = await fetch(`${url}/notes`, {
        method: 'POST',
        headers: { 'content-type': 'application/merge-patch+json' },
        body: '{"title":"ok"}',
      });
      expect(merge.status).toBe(201);
    });

    it('answers a body larger than the limit with 413 in the common shape', async () => {
      const res = await postJson('/notes', JSON.stringify({ title: 'x'.repeat(300 * 1024) }), {
        'x-correlation-id': 'big-1',
      });
      const body = await problem(res, 413);
      expect(body).toMatchObject({ error: 'Payload Too Large', correlationId: 'big-1' });
      expect(body.message).toBe('request body larger than 262144 bytes');
    });

    it('refuses a body where the handler takes none (400), and accepts an empty one', async () => {
      const withBody = await postJson('/notes/n1/archive', '{}');
      expect((await problem(withBody, 400)).message).toBe('POST /notes/n1/archive takes no request body; send none');
      const text = await fetch(`${url}/notes/n1`, { method: 'GET', headers: { 'content-length': '0' } });
      expect(text.status).toBe(200);
      expect((await fetch(`${url}/notes/n1/archive`, { method: 'POST' })).status).toBe(200);
      // A chunked request whose body turns out empty carries none.
      const chunkedEmpty = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          `${url}/notes/n1/archive`,
          { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(chunkedEmpty).toBe(200);
    });

    it('leaves a handler that reads the request itself alone, and wants multipart for an upload', async () => {
      const hook = await fetch(`${url}/notes/raw/hook`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'anything',
      });
      expect(hook.status).toBe(200);
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(10)]), 'a.bin');
      const upload = await fetch(`${url}/notes/files/upload`, { method: 'POST', body: form });
      expect(await upload.json()).toEqual({ size: 10 });
      const notMultipart = await postJson('/notes/files/upload', '{"file":"x"}');
      expect((await problem(notMultipart, 415)).message).toBe(
        'the request body must be multipart/form-data (got application/json)',
      );
    });
  });

  /**
   * Sends a chunked body in full whatever comes back (as simple clients do) and reads the answer: a refusal that
   * comes before the body has arrived must survive the rest of it.
   */
  async function sendInFull(path: string, headers: Record<string, string>, bytes: number) {
    const req = httpRequest(`${url}${path}`, {
      method: 'POST',
      headers: { ...headers, 'transfer-encoding': 'chunked' },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
    });
    const piece = Buffer.alloc(64 * 1024, 0x20);
    const written = (async () => {
      for (let sent = 0; sent < bytes; sent += piece.length) if (!req.write(piece)) await once(req, 'drain');
      req.end();
      await once(req, 'finish');
    })();
    const [res] = await Promise.all([answer, written]);
    return res;
  }

  it('answers an early refusal only once the body has arrived, so a client sending it all reads the answer', async () => {
    for (const connection of ['keep-alive', 'close']) {
      for (let i = 0; i < 2; i++) {
        const res = await sendInFull('/notes', { 'content-type': 'text/plain', connection }, 20 * 1024 * 1024);
        expect(res.status).toBe(415);
        const bodyless = await sendInFull(
          '/notes/n1/archive',
          { 'content-type': 'text/plain', connection },
          4 * 1024 * 1024,
        );
        expect(bodyless.status).toBe(400);
        const tooLarge = await sendInFull(
          '/notes',
          { 'content-type': 'application/json', connection },
          20 * 1024 * 1024,
        );
        expect(tooLarge.status).toBe(413);
      }
    }
  });

  /** Writes raw bytes and reads until the server closes: what Node's own parser refuses never reaches Nest. */
  async function raw(text: string): Promise<{ status: number; headers: string; body: string }> {
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.write(text);
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk as Buffer);
    const answer = Buffer.concat(chunks).toString('utf8');
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head.toLowerCase(), body };
  }

  it('answers what the HTTP parser refuses (headers too large, a malformed request) in the error shape too', async () => {
    const huge = await raw(`GET /notes/n1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    expect(huge.status).toBe(431);
    const body = JSON.parse(huge.body) as Problem;
    expect(body).toMatchObject({ statusCode: 431, error: 'Request Header Fields Too Large' });
    expect(huge.headers).toContain(`x-correlation-id: ${body.correlationId}`);
    const garbage = await raw('GET /notes/n1 HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    expect(garbage.status).toBe(400);
    expect(JSON.parse(garbage.body)).toMatchObject({ statusCode: 400, message: 'malformed HTTP request' });
  });

  it('sets Retry-After (whole seconds, rounded up) on every error that carries retryAfterSec', async () => {
    const res = await fetch(`${url}/notes/limited/try`, { method: 'POST' });
    const body = await problem(res, 429);
    expect(res.headers.get('retry-after')).toBe('42');
    expect(body).toMatchObject({ message: 'slow down', retryAfterSec: 41.2 });
    // Errors without it have no such header.
    const other = await postJson('/notes', '{}');
    expect(other.status).toBe(400);
    expect(other.headers.get('retry-after')).toBeNull();
  });
});
